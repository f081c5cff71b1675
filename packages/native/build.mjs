/* global process, console */
// The install step of @tfvision/native. Where the shipped prebuild fits this machine
// (prebuilds/<platform>-<arch>/, built from this very C source, loads here) there is nothing to
// do. Otherwise compiles native/tfvision_native.c into build/tfvision_native.node when a C
// compiler, Node's headers and OpenBLAS are present, or says what is missing and succeeds,
// because the addon is optional (tfvision runs without it). TFVISION_NATIVE_BUILD=0 skips
// everything; TFVISION_NATIVE_BUILD=1 compiles even where the prebuild fits.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const out = path.join(here, 'build', 'tfvision_native.node');
const source = path.join(here, 'native', 'tfvision_native.c');

function skip(why) {
  console.log(`@tfvision/native: addon not built (${why}); tfvision uses its JS/wasm kernels`);
  process.exit(0);
}

if (process.env.TFVISION_NATIVE_BUILD === '0') skip('TFVISION_NATIVE_BUILD=0');

/** The prebuild for this platform when it is current with the source and loads here. */
function usablePrebuild() {
  const dir = path.join(here, 'prebuilds', `${process.platform}-${process.arch}`);
  const manifestPath = path.join(dir, 'tfvision_native.json');
  if (!existsSync(manifestPath)) return undefined;
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
  const file = path.join(dir, manifest.file);
  if (!existsSync(file) || createHash('sha256').update(readFileSync(source)).digest('hex') !== manifest.sourceSha256) return undefined;
  try {
    execFileSync(process.execPath, ['-e', 'require(process.argv[1]).threads()', file], { stdio: 'ignore' });
  } catch {
    return undefined;
  }
  return file;
}

if (process.env.TFVISION_NATIVE_BUILD !== '1') {
  const prebuild = usablePrebuild();
  if (prebuild) {
    console.log(`@tfvision/native: using the prebuild ${path.relative(process.cwd(), prebuild)} (OpenBLAS linked in); TFVISION_NATIVE_BUILD=1 compiles from source instead`);
    process.exit(0);
  }
}
const cc = process.env.CC ?? 'gcc';
const nodeInclude = [process.env.NODE_INCLUDE, path.join(path.dirname(path.dirname(process.execPath)), 'include', 'node'), '/usr/include/node'].find((d) => d && existsSync(path.join(d, 'node_api.h')));
if (!nodeInclude) skip("Node's headers (node_api.h) not found; set NODE_INCLUDE");
const blasInclude = ['/usr/include/x86_64-linux-gnu', '/usr/include/aarch64-linux-gnu', '/usr/include/openblas', '/usr/include'].find((d) => existsSync(path.join(d, 'cblas.h')));
if (!blasInclude) skip('cblas.h not found: apt-get install libopenblas-dev');
try {
  execFileSync(cc, ['--version'], { stdio: 'ignore' });
} catch {
  skip(`no C compiler (${cc})`);
}
mkdirSync(path.dirname(out), { recursive: true });
const tmp = `${out}.tmp-${process.pid}`;
try {
  execFileSync(cc, ['-O3', '-shared', '-fPIC', '-pthread', '-DNODE_GYP_MODULE_NAME=tfvision_native', `-I${nodeInclude}`, `-I${blasInclude}`, source, '-lopenblas', '-lm', '-o', tmp], { stdio: ['ignore', 'inherit', 'inherit'] });
} catch (err) {
  skip(`compilation failed: ${err.message.split('\n')[0]}`);
}
renameSync(tmp, out);
console.log(`@tfvision/native: built ${path.relative(process.cwd(), out)} (OpenBLAS from ${blasInclude})`);
