import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readFileSync, realpathSync } from 'node:fs';

const root = join(__dirname, '..');
const bin = join(root, 'packages', 'cli', 'dist', 'bin.js');

function tfvision(...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, TFVISION_BACKEND: 'cpu' } });
}

describe('npx tfvision (the DESIGN.md contract: run from the repository root after npm ci)', () => {
  it('npm ci linked node_modules/.bin/tfvision to a file that exists before the build', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'packages', 'cli', 'package.json'), 'utf8'));
    expect(pkg.bin.tfvision).toBe('./bin/tfvision.js');
    expect(realpathSync(join(root, 'node_modules', '.bin', 'tfvision'))).toBe(realpathSync(join(root, 'packages', 'cli', 'bin', 'tfvision.js')));
  });

  it('npx tfvision --version runs the built CLI', () => {
    const r = spawnSync('npx', ['--no-install', 'tfvision', '--version'], { cwd: root, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout.trim()).toBe(JSON.parse(readFileSync(join(root, 'packages', 'cli', 'package.json'), 'utf8')).version);
  });
});

describe('tfvision CLI (built)', () => {
  it('--help lists every subcommand', () => {
    const r = tfvision('--help');
    expect(r.status).toBe(0);
    for (const c of ['demo', 'model', 'eval', 'data', 'train']) expect(r.stdout).toMatch(new RegExp(`^  ${c} `, 'm'));
  });

  it('--version prints the package version', () => {
    const version = JSON.parse(readFileSync(join(root, 'packages', 'cli', 'package.json'), 'utf8')).version;
    const r = tfvision('--version');
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(version);
  });

  it('an unknown command exits 2 with a one-line reason and the usage', () => {
    const r = tfvision('frobnicate');
    expect(r.status).toBe(2);
    expect(r.stderr.split('\n')[0]).toBe('tfvision: unknown command "frobnicate"');
  });
});
