/**
 * Finds the prebuilt addon for this machine the way node-gyp-build does: files named
 * prebuilds/<platform>-<arch>/<name>.<tags>.node, where the tags say the runtime (`node`,
 * `napi`: any Node with N-API) and the C library (`glibc`, `musl`); a file whose tags do not fit
 * this process is skipped, and the most specific fit wins. Beside each prebuild,
 * tfvision_native.json records the SHA-256 of native/tfvision_native.c it was built from: a
 * prebuild older than the source is not used (the source build in build/ is), so editing the C
 * never runs stale code.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface PrebuildManifest {
  file: string;
  sourceSha256: string;
  binarySha256: string;
  bytes: number;
  /** Lowest glibc the binary links against (its highest GLIBC_x.y symbol version). */
  minGlibc: string;
}

export interface PrebuildTags {
  file: string;
  runtime?: 'node' | 'napi';
  libc?: 'glibc' | 'musl';
  /** How many tags matched: node-gyp-build prefers the most specific file. */
  specificity: number;
}

/** Tags of a prebuild's file name (`tfvision_native.napi.glibc.node`); the first part is its name. */
export function parsePrebuildName(file: string): PrebuildTags | undefined {
  if (!file.endsWith('.node') || file.startsWith('.')) return undefined;
  const parts = file.slice(0, -'.node'.length).split('.').slice(1);
  const tags: PrebuildTags = { file, specificity: 0 };
  for (const tag of parts) {
    if (tag === 'node' || tag === 'napi') tags.runtime = tag;
    else if (tag === 'glibc' || tag === 'musl') tags.libc = tag;
    else continue;
    tags.specificity++;
  }
  return tags;
}

/** This process's C library as node-gyp-build tells it apart: glibc reports its version. */
export function currentLibc(): { libc: 'glibc' | 'musl' | 'other'; glibcVersion?: string } {
  if (process.platform !== 'linux') return { libc: 'other' };
  // The report's network section can cost seconds of DNS lookups; only its header is needed.
  const report = process.report as (NodeJS.ProcessReport & { excludeNetwork?: boolean }) | undefined;
  const exclude = report?.excludeNetwork;
  if (report) report.excludeNetwork = true;
  const header = (report?.getReport() as { header?: { glibcVersionRuntime?: string } } | undefined)?.header;
  if (report) report.excludeNetwork = exclude;
  if (header?.glibcVersionRuntime) return { libc: 'glibc', glibcVersion: header.glibcVersionRuntime };
  return { libc: 'musl' };
}

function versionAtLeast(have: string, need: string): boolean {
  const [a, b] = have.split('.').map(Number);
  const [c, d] = need.split('.').map(Number);
  return a > c || (a === c && b >= d);
}

export function sha256File(file: string): string {
  return createHash('sha256').update(readFileSync(file)).digest('hex');
}

/**
 * The prebuild to load here, or why there is none. `root` is the package folder (it holds
 * prebuilds/ and native/).
 */
export function findPrebuild(root: string, platform = process.platform, arch = process.arch, libc = currentLibc()): { path?: string; reason: string } {
  const dir = path.join(root, 'prebuilds', `${platform}-${arch}`);
  if (!existsSync(dir)) return { reason: `no prebuild for ${platform}-${arch} (prebuilds exist for linux-x64 with glibc)` };
  const fits = readdirSync(dir)
    .map(parsePrebuildName)
    .filter((t): t is PrebuildTags => t !== undefined)
    .filter((t) => (t.libc === undefined || t.libc === libc.libc) && (t.runtime === undefined || t.runtime === 'napi' || t.runtime === 'node'))
    .sort((a, b) => b.specificity - a.specificity);
  if (!fits.length) return { reason: `no prebuild in ${dir} for ${libc.libc}` };
  const file = path.join(dir, fits[0].file);
  const manifestPath = path.join(dir, 'tfvision_native.json');
  if (!existsSync(manifestPath)) return { reason: `${manifestPath} is missing` };
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as PrebuildManifest;
  if (manifest.file !== fits[0].file) return { reason: `${manifestPath} describes ${manifest.file}, not ${fits[0].file}` };
  if (libc.glibcVersion && !versionAtLeast(libc.glibcVersion, manifest.minGlibc)) return { reason: `${file} needs glibc >= ${manifest.minGlibc}, this is ${libc.glibcVersion}` };
  const source = path.join(root, 'native', 'tfvision_native.c');
  if (existsSync(source) && sha256File(source) !== manifest.sourceSha256) {
    return { reason: `${file} is older than native/tfvision_native.c (rebuild: node packages/native/tools/build-prebuild.mjs)` };
  }
  return { path: file, reason: 'prebuild' };
}
