import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';

const root = join(__dirname, '..');
const bin = join(root, 'packages', 'cli', 'dist', 'bin.js');

function tfvision(...args: string[]) {
  return spawnSync(process.execPath, [bin, ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, TFVISION_BACKEND: 'cpu' } });
}

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
