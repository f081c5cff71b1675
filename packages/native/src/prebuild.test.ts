/**
 * The committed linux-x64 prebuild: built from the C source in the tree (its recorded SHA-256),
 * the binary the manifest describes, loadable here with every entry point, needing nothing but
 * glibc; and the loader's node-gyp-build-style choice of prebuild (tags, libc, staleness).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { currentLibc, findPrebuild, parsePrebuildName, type PrebuildManifest } from './prebuild.js';
import { loadNativeAddon } from './addon.js';

const root = path.join(__dirname, '..');
const dir = path.join(root, 'prebuilds', 'linux-x64');
const manifest = JSON.parse(readFileSync(path.join(dir, 'tfvision_native.json'), 'utf8')) as PrebuildManifest;
const binary = path.join(dir, manifest.file);
const sha256 = (bytes: Buffer | string) => createHash('sha256').update(bytes).digest('hex');
const linuxX64 = process.platform === 'linux' && process.arch === 'x64' && currentLibc().libc === 'glibc';
const onLinuxX64 = linuxX64 ? it : it.skip;
if (!linuxX64) console.log(`skipped loading the prebuild: this is ${process.platform}-${process.arch}, the prebuild is linux-x64 glibc`);

describe('the committed prebuild', () => {
  it('was built from native/tfvision_native.c as it is now (else: node packages/native/tools/build-prebuild.mjs)', () => {
    expect(sha256(readFileSync(path.join(root, 'native', 'tfvision_native.c')))).toBe(manifest.sourceSha256);
  });

  it('is the binary its manifest describes', () => {
    const bytes = readFileSync(binary);
    expect(bytes.length).toBe(manifest.bytes);
    expect(sha256(bytes)).toBe(manifest.binarySha256);
    expect(parsePrebuildName(manifest.file)).toEqual({ file: manifest.file, runtime: 'napi', libc: 'glibc', specificity: 2 });
  });

  onLinuxX64('is what loadNativeAddon loads here, with every entry point', () => {
    if (process.env.TFVISION_NATIVE_PREBUILD === '0') return;
    const loaded = loadNativeAddon();
    expect(loaded.origin).toBe('prebuild');
    expect(loaded.path).toBe(binary);
    for (const fn of ['conv2d', 'conv2dBackpropInput', 'conv2dBackpropFilter', 'groupedConv2dDirect', 'addBiasActivation', 'setThreads', 'threads']) {
      expect(typeof (loaded.addon as unknown as Record<string, unknown>)[fn]).toBe('function');
    }
    // ReLU epilogue keeps NaN, as torch.relu does.
    const y = Float32Array.of(NaN, -2, 3);
    loaded.addon?.addBiasActivation(y, Float32Array.of(0, 0, 1), true);
    expect(Array.from(y)).toEqual([NaN, 0, 4]);
  });

  onLinuxX64('needs nothing at run time but glibc (OpenBLAS is linked in)', () => {
    let out: string;
    try {
      out = execFileSync('ldd', [binary], { encoding: 'utf8' });
    } catch {
      return; // no ldd here: nothing to inspect
    }
    const libs = out.split('\n').map((l) => l.trim().split(/\s/)[0]).filter(Boolean);
    expect(libs.filter((l) => !/^(linux-vdso\.so|libc\.so|libm\.so|libpthread\.so|libdl\.so|\/lib64\/ld-linux-x86-64\.so)/.test(l))).toEqual([]);
  });
});

describe('findPrebuild chooses as node-gyp-build does and refuses a stale one', () => {
  let pkg: string;
  const source = 'int x;\n';
  const write = (files: string[], m: Partial<PrebuildManifest>) => {
    const d = path.join(pkg, 'prebuilds', 'linux-x64');
    mkdirSync(d, { recursive: true });
    for (const f of files) writeFileSync(path.join(d, f), 'binary');
    writeFileSync(path.join(d, 'tfvision_native.json'), JSON.stringify({ file: files[0], sourceSha256: sha256(source), binarySha256: '', bytes: 6, minGlibc: '2.34', ...m }));
  };
  beforeEach(() => {
    pkg = mkdtempSync(path.join(tmpdir(), 'tfv-prebuild-'));
    mkdirSync(path.join(pkg, 'native'));
    writeFileSync(path.join(pkg, 'native', 'tfvision_native.c'), source);
  });
  afterEach(() => rmSync(pkg, { recursive: true, force: true }));

  it('parses tags from the file name and ignores its first part and unknown tags', () => {
    expect(parsePrebuildName('tfvision_native.node')).toEqual({ file: 'tfvision_native.node', specificity: 0 });
    expect(parsePrebuildName('node.napi.musl.node')).toEqual({ file: 'node.napi.musl.node', runtime: 'napi', libc: 'musl', specificity: 2 });
    expect(parsePrebuildName('x.armv7.napi.node')).toEqual({ file: 'x.armv7.napi.node', runtime: 'napi', specificity: 1 });
    expect(parsePrebuildName('tfvision_native.json')).toBeUndefined();
    expect(parsePrebuildName('.tmp.node')).toBeUndefined();
  });

  it('takes the fitting prebuild on glibc with a new enough version', () => {
    write(['tfvision_native.napi.glibc.node'], {});
    expect(findPrebuild(pkg, 'linux', 'x64', { libc: 'glibc', glibcVersion: '2.36' })).toEqual({ path: path.join(pkg, 'prebuilds', 'linux-x64', 'tfvision_native.napi.glibc.node'), reason: 'prebuild' });
  });

  it('says why not: other platform, musl, old glibc, source changed since', () => {
    write(['tfvision_native.napi.glibc.node'], {});
    expect(findPrebuild(pkg, 'darwin', 'arm64', { libc: 'other' }).reason).toBe('no prebuild for darwin-arm64 (prebuilds exist for linux-x64 with glibc)');
    expect(findPrebuild(pkg, 'linux', 'x64', { libc: 'musl' }).path).toBeUndefined();
    expect(findPrebuild(pkg, 'linux', 'x64', { libc: 'glibc', glibcVersion: '2.31' }).reason).toMatch(/needs glibc >= 2\.34, this is 2\.31$/);
    writeFileSync(path.join(pkg, 'native', 'tfvision_native.c'), `${source}// edited\n`);
    expect(findPrebuild(pkg, 'linux', 'x64', { libc: 'glibc', glibcVersion: '2.36' }).reason).toMatch(/is older than native\/tfvision_native\.c/);
  });

  it('prefers the more specific of two fitting files', () => {
    write(['tfvision_native.napi.glibc.node', 'tfvision_native.node'], {});
    expect(findPrebuild(pkg, 'linux', 'x64', { libc: 'glibc', glibcVersion: '2.36' }).path).toMatch(/napi\.glibc\.node$/);
  });

  onLinuxX64('falls back to the source build in build/ when the prebuild is not taken', () => {
    if (!existsSync(path.join(root, 'build', 'tfvision_native.node'))) return; // no source build here
    const saved = process.env.TFVISION_NATIVE_PREBUILD;
    process.env.TFVISION_NATIVE_PREBUILD = '0';
    try {
      jest.isolateModules(() => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const fresh = require('./addon.js') as typeof import('./addon.js');
        const loaded = fresh.loadNativeAddon();
        expect(loaded.origin).toBe('build');
        expect(loaded.reason).toBe('prebuild skipped (TFVISION_NATIVE_PREBUILD=0)');
      });
    } finally {
      if (saved === undefined) delete process.env.TFVISION_NATIVE_PREBUILD;
      else process.env.TFVISION_NATIVE_PREBUILD = saved;
    }
  });
});
