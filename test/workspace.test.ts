import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..');
const packages = readdirSync(join(root, 'packages'));

describe('workspace packages', () => {
  it.each(packages)('%s declares exports, types, files and a version', (name) => {
    const pkg = JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8'));
    expect(pkg.name).toBe(`@tfvision/${name}`);
    expect(pkg.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(pkg.exports['.'].types).toBe('./dist/index.d.ts');
    expect(pkg.files).toContain('dist');
  });

  it.each(['coco', 'eval'])('%s does not depend on TensorFlow.js', (name) => {
    const pkg = JSON.parse(readFileSync(join(root, 'packages', name, 'package.json'), 'utf8'));
    const deps = Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies });
    expect(deps.filter((d) => d.startsWith('@tensorflow/'))).toEqual([]);
  });
});
