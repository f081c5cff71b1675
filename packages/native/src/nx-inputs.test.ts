import { execFileSync } from 'node:child_process';
import * as path from 'node:path';

// nx replays a cached build when its inputs hash the same: the addon's C source, its build
// script, the prebuild (build.mjs skips compiling when it fits) and whether OpenBLAS and a
// compiler exist must be inputs, or a cached "addon not built" (or a stale addon) is replayed
// after the source or the machine changed.
describe('the native build target is cached on what the addon is built from', () => {
  it('inputs name the C source, build.mjs and the toolchain; outputs include build/', () => {
    const root = path.join(__dirname, '..', '..', '..');
    const nx = path.join(root, 'node_modules', 'nx', 'bin', 'nx.js');
    const shown = JSON.parse(execFileSync(process.execPath, [nx, 'show', 'project', '@tfvision/native', '--json'], { cwd: root, encoding: 'utf8' })) as {
      targets: { build: { inputs: (string | { runtime?: string; env?: string })[]; outputs: string[] } };
    };
    const { inputs, outputs } = shown.targets.build;
    expect(inputs).toEqual(expect.arrayContaining(['{projectRoot}/native/**/*', '{projectRoot}/build.mjs', '{projectRoot}/src/**/*', '{projectRoot}/prebuilds/**/*']));
    expect(inputs.some((i) => typeof i === 'object' && i.runtime?.includes('cblas.h'))).toBe(true);
    expect(inputs).toEqual(expect.arrayContaining([{ env: 'TFVISION_NATIVE_BUILD' }]));
    expect(outputs).toEqual(expect.arrayContaining(['{projectRoot}/build', '{projectRoot}/dist']));
  });
});
