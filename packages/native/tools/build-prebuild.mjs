/* global process, console */
// Builds the linux-x64 prebuild of the addon that ships in the npm tarball and in git:
// prebuilds/linux-x64/tfvision_native.napi.glibc.node, named the way node-gyp-build names
// prebuilds (prebuilds/<platform>-<arch>/<name>.<tags>.node), with Debian's OpenBLAS
// (libopenblas-pthread-dev's libopenblas.a) linked in statically, so it needs nothing at run
// time but glibc. Next to it, tfvision_native.json records the SHA-256 of the C source it was
// built from (the loader and src/prebuild.test.ts refuse a stale one) and of the binary.
//
//   apt-get install gcc libopenblas-dev && node packages/native/tools/build-prebuild.mjs
//
// OpenBLAS's static library carries kernels for ~20 x86-64 core types (25 MB linked). Most are
// older cores whose kernels a smaller set covers, so the link points those types at a kept one
// with the same or an older instruction set (never a newer one: that would be SIGILL); the
// result is ~6 MB. Each kept core type this CPU can run is checked against a JS convolution.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const source = path.join(root, 'native', 'tfvision_native.c');
const outDir = path.join(root, 'prebuilds', 'linux-x64');
const outFile = path.join(outDir, 'tfvision_native.napi.glibc.node');
const manifestFile = path.join(outDir, 'tfvision_native.json');

function fail(why) {
  console.error(`build-prebuild: ${why}`);
  process.exit(1);
}

if (process.platform !== 'linux' || process.arch !== 'x64') fail(`builds the linux-x64 prebuild only, this is ${process.platform}-${process.arch}`);

/** Kept OpenBLAS core types and the kernels each dropped one uses instead (an older ISA). */
const KEPT = { PRESCOTT: 'pni', SANDYBRIDGE: 'avx', HASWELL: 'avx2', SKYLAKEX: 'avx512bw' };
const ALIASES = {
  PRESCOTT: ['CORE2', 'PENRYN', 'DUNNINGTON', 'NEHALEM', 'ATOM', 'NANO', 'OPTERON', 'OPTERON_SSE3', 'BARCELONA', 'BOBCAT'],
  SANDYBRIDGE: ['BULLDOZER', 'PILEDRIVER', 'STEAMROLLER', 'EXCAVATOR'],
  HASWELL: ['ZEN'],
  SKYLAKEX: ['COOPERLAKE'],
};
/** OPENBLAS_CORETYPE names of the kept types, for the self-check. */
const CORETYPE = { PRESCOTT: 'Prescott', SANDYBRIDGE: 'Sandybridge', HASWELL: 'Haswell', SKYLAKEX: 'SkylakeX' };

const archives = ['/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.a', '/usr/lib/x86_64-linux-gnu/libopenblas.a'];
const archive = archives.find((a) => existsSync(a));
if (!archive) fail(`no static OpenBLAS (${archives.join(' or ')}): apt-get install libopenblas-dev`);
const archiveReal = realpathSync(archive);
if (!archiveReal.includes('openblas-pthread')) fail(`${archiveReal} is not the pthread variant (the addon calls openblas_set_num_threads and must not need libgomp)`);
const blasInclude = ['/usr/include/x86_64-linux-gnu/openblas-pthread', '/usr/include/x86_64-linux-gnu'].find((d) => existsSync(path.join(d, 'cblas.h')));
if (!blasInclude) fail('cblas.h not found: apt-get install libopenblas-dev');
const nodeInclude = [process.env.NODE_INCLUDE, path.join(path.dirname(path.dirname(process.execPath)), 'include', 'node'), '/usr/include/node'].find((d) => d && existsSync(path.join(d, 'node_api.h')));
if (!nodeInclude) fail("Node's headers (node_api.h) not found; set NODE_INCLUDE");
const cc = process.env.CC ?? 'gcc';

const run = (cmd, args) => execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const sha256 = (file) => createHash('sha256').update(readFileSync(file)).digest('hex');

let openblasPackage = 'unknown';
try {
  openblasPackage = `libopenblas-pthread-dev ${run('dpkg-query', ['-W', '-f', '${Version}', 'libopenblas-pthread-dev']).trim()}`;
} catch {
  openblasPackage = path.basename(archiveReal);
}

mkdirSync(outDir, { recursive: true });
// Built and checked outside prebuilds/ (require() needs the .node suffix), copied in when good.
const tmp = path.join(mkdtempSync(path.join(tmpdir(), 'tfvision-prebuild-')), 'tfvision_native.node');
const defsyms = Object.entries(ALIASES).flatMap(([kept, dropped]) => dropped.map((d) => `-Wl,--defsym=gotoblas_${d}=gotoblas_${kept}`));
const flags = [
  '-O3', '-shared', '-fPIC', '-pthread', '-DNODE_GYP_MODULE_NAME=tfvision_native', `-I${nodeInclude}`, `-I${blasInclude}`,
  source,
  // Unused sections out, OpenBLAS's symbols hidden (no clash with another BLAS in the
  // process), no symbol table.
  '-Wl,--gc-sections', '-Wl,--exclude-libs,ALL', '-s', '-static-libgcc',
  ...defsyms,
  archive, '-lm',
  '-o', tmp,
];
try {
  run(cc, flags);
} catch (err) {
  rmSync(tmp, { force: true });
  fail(`compilation failed: ${err.stderr || err.message}`);
}

// Nothing but glibc at run time.
const libs = run('ldd', [tmp]).split('\n').map((l) => l.trim()).filter(Boolean);
const glibcParts = /^(linux-vdso\.so|libc\.so|libm\.so|libpthread\.so|libdl\.so|librt\.so|\/lib64\/ld-linux-x86-64\.so)/;
const foreign = libs.filter((l) => !glibcParts.test(l));
if (foreign.length) fail(`the prebuild needs more than glibc: ${foreign.join('; ')}`);
const glibcVersions = [...run('objdump', ['-T', tmp]).matchAll(/GLIBC_(\d+)\.(\d+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
const [maj, min] = glibcVersions.reduce((a, b) => (b[0] > a[0] || (b[0] === a[0] && b[1] > a[1]) ? b : a), [2, 0]);

// Self-check: every kept core type this CPU runs gives the convolution a JS loop gives, and
// the fused ReLU keeps NaN.
const cpuFlags = new Set((readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '').trim().split(/\s+/));
const checkScript = `
const a = require(process.argv[1]);
const [n, h, w, c, k, o] = [2, 7, 6, 8, 3, 40];
const x = Float32Array.from({ length: n * h * w * c }, (_, i) => Math.sin(i * 1.3));
const f = Float32Array.from({ length: k * k * c * o }, (_, i) => Math.cos(i * 0.7));
const y = new Float32Array(n * h * w * o);
a.conv2d(x, f, y, [n, h, w, c, k, k, o, h, w, 1, 1, 1, 1, 1, 1, 1]);
let worst = 0;
for (let b = 0; b < n; b++) for (let p = 0; p < h; p++) for (let q = 0; q < w; q++) for (let oc = 0; oc < o; oc++) {
  let s = 0;
  for (let i = 0; i < k; i++) for (let j = 0; j < k; j++) {
    const yy = p - 1 + i, xx = q - 1 + j;
    if (yy < 0 || yy >= h || xx < 0 || xx >= w) continue;
    for (let ci = 0; ci < c; ci++) s += x[((b * h + yy) * w + xx) * c + ci] * f[((i * k + j) * c + ci) * o + oc];
  }
  worst = Math.max(worst, Math.abs(s - y[((b * h + p) * w + q) * o + oc]) / (1 + Math.abs(s)));
}
const z = Float32Array.of(NaN, -1, 2);
a.addBiasActivation(z, new Float32Array(3), true);
if (!(worst < 1e-5) || !Number.isNaN(z[0]) || z[1] !== 0 || z[2] !== 2) { console.error('worst', worst, Array.from(z)); process.exit(1); }
`;
const checked = [];
for (const [core, flag] of [['detected', 'fpu'], ...Object.entries(KEPT)]) {
  if (!cpuFlags.has(flag)) continue;
  const env = { ...process.env };
  if (core === 'detected') delete env.OPENBLAS_CORETYPE;
  else env.OPENBLAS_CORETYPE = CORETYPE[core];
  try {
    execFileSync(process.execPath, ['-e', checkScript, tmp], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (err) {
    rmSync(tmp, { force: true });
    fail(`self-check (OpenBLAS core ${core}) failed: ${err.stderr || err.message}`);
  }
  if (core !== 'detected') checked.push(core);
}

copyFileSync(tmp, `${outFile}.partial`);
renameSync(`${outFile}.partial`, outFile);
rmSync(path.dirname(tmp), { recursive: true, force: true });
const manifest = {
  file: path.basename(outFile),
  sourceSha256: sha256(source),
  binarySha256: sha256(outFile),
  bytes: statSync(outFile).size,
  minGlibc: `${maj}.${min}`,
  napi: true,
  openblas: `${openblasPackage}, static (${path.basename(archiveReal)}), kernels for ${Object.keys(KEPT).join(', ')}; ${Object.entries(ALIASES).map(([k, d]) => `${d.join('/')} run ${k}'s`).join('; ')}`,
  compiler: run(cc, ['--version']).split('\n')[0],
  node: process.version,
  selfChecked: checked,
  command: 'node packages/native/tools/build-prebuild.mjs',
};
writeFileSync(manifestFile, `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`build-prebuild: ${path.relative(process.cwd(), outFile)} (${(manifest.bytes / 1e6).toFixed(1)} MB, glibc >= ${manifest.minGlibc}, checked on ${checked.join(', ')})`);
