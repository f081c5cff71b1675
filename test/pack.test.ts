/**
 * The packages as a user gets them (README "Installing the packages"): tools/release/pack-all.mjs
 * packs every workspace package (each prepack compiles it), the tarballs install with the npm
 * client into an empty project, and one example per package runs from that install, where no
 * workspace link or source file can stand in for what the tarball lacks.
 *
 * Offline: `npm ci` leaves the third-party tarballs in npm's cache but not the registry metadata
 * npm resolves versions from, so the empty project starts with the repository lockfile's
 * entries for them (the versions CI installed) and `npm install --offline` takes each from the
 * cache. Needs the workspace built (npm test builds first); prepack then only re-checks.
 */
import { loadNativeAddon } from '@tfvision/native';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '..');
const version = (dir: string): string => JSON.parse(readFileSync(join(root, 'packages', dir, 'package.json'), 'utf8')).version;

/** The environment minus npm's own variables: a test run under `npm test` must not pass its config on. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  return { ...env, TFVISION_BACKEND: 'cpu', ...extra };
}

interface Packed {
  name: string;
  version: string;
  tarball: string;
  files: number;
}

describe('npm pack + install of every package, offline, in an empty project', () => {
  let dir: string;
  let app: string;
  let packed: Packed[];

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'tfv-pack-'));
    const out = execFileSync(process.execPath, [join(root, 'tools/release/pack-all.mjs'), '--no-build', '--json', '--out', join(dir, 'tarballs')], { cwd: root, encoding: 'utf8', env: cleanEnv() });
    packed = JSON.parse(out) as Packed[];
    app = join(dir, 'app');
    execFileSync('mkdir', [app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', version: '1.0.0', private: true, type: 'module' }));
    const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as { packages: Record<string, { link?: boolean; dev?: boolean }> };
    const thirdParty = Object.entries(lock.packages).filter(([k, v]) => k.startsWith('node_modules/') && !k.startsWith('node_modules/@tfvision/') && !v.link && !v.dev);
    writeFileSync(join(app, 'package-lock.json'), JSON.stringify({ name: 'app', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'app', version: '1.0.0' }, ...Object.fromEntries(thirdParty) } }));
    execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', ...packed.map((p) => p.tarball)], { cwd: app, encoding: 'utf8', env: cleanEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const node = (code: string) => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { cwd: app, encoding: 'utf8', env: cleanEnv() });
    if (r.status !== 0) throw new Error(`example failed (${r.status}): ${r.stderr}`);
    return JSON.parse(r.stdout.trim().split('\n').at(-1)!);
  };

  it('packs every workspace package at its version, without build info, source maps, tests or benchmarks', () => {
    const workspaces = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).workspaces as string[];
    expect(packed.map((p) => p.name).sort()).toEqual(workspaces.map((w) => `@tfvision/${w.split('/')[1]}`).sort());
    for (const p of packed) {
      expect(p.version).toBe(version(p.name.split('/')[1]));
      const list = execFileSync('tar', ['tzf', p.tarball], { encoding: 'utf8' }).split('\n');
      const leaked = list.filter((f) => /\.tsbuildinfo$|\.map$|\.test\.|^package\/dist\/bench\/|^package\/src\//.test(f));
      expect({ name: p.name, leaked }).toEqual({ name: p.name, leaked: [] });
      expect(list).toContain('package/README.md');
    }
  });

  it('@tfvision/eval: the README example gives pycocotools\' AP', () => {
    const out = node(`
      import { evaluateCoco } from '@tfvision/eval';
      const gt = { images: [{ id: 1, width: 640, height: 480, file_name: '1.jpg' }, { id: 2, width: 640, height: 480, file_name: '2.jpg' }],
        categories: [{ id: 1, name: 'person' }, { id: 3, name: 'car' }],
        annotations: [{ id: 1, image_id: 1, category_id: 1, bbox: [10, 10, 100, 200], area: 20000, iscrowd: 0 },
          { id: 2, image_id: 1, category_id: 3, bbox: [300, 200, 120, 80], area: 9600, iscrowd: 0 },
          { id: 3, image_id: 2, category_id: 1, bbox: [50, 60, 40, 90], area: 3600, iscrowd: 0 }] };
      const results = [{ image_id: 1, category_id: 1, bbox: [12, 8, 98, 205], score: 0.92 }, { image_id: 1, category_id: 3, bbox: [310, 205, 100, 70], score: 0.81 },
        { image_id: 2, category_id: 1, bbox: [200, 200, 40, 40], score: 0.6 }, { image_id: 2, category_id: 1, bbox: [48, 62, 44, 85], score: 0.55 }];
      console.log(JSON.stringify(evaluateCoco(gt, results, 'bbox').stats[0]));`);
    expect(out).toBe(0.6344884488448844);
  });

  it('@tfvision/coco: one synthetic image through sharp, read back and validated', () => {
    const out = node(`
      import { generateSyntheticCoco, readCocoFile } from '@tfvision/coco';
      const made = await generateSyntheticCoco({ outDir: 'synth', images: 1, seed: 3, size: 32 });
      const back = await readCocoFile(made.annotationFile);
      console.log(JSON.stringify({ images: back.images.length, categories: back.categories.length, same: back.annotations.length === made.dataset.annotations.length }));`);
    expect(out).toEqual({ images: 1, categories: 5, same: true });
  });

  it('@tfvision/nn: a Linear(3, 2) has 8 parameters and maps zeros to its bias', () => {
    const out = node(`
      import * as tf from '@tensorflow/tfjs-core';
      import { initBackend, Linear } from '@tfvision/nn';
      await initBackend({ backend: 'cpu', report: false });
      const fc = new Linear({ inFeatures: 3, outFeatures: 2 });
      const y = fc.forward(tf.zeros([1, 3]));
      const bias = fc.namedParameters().find(([n]) => n === 'bias')[1].dataSync();
      console.log(JSON.stringify({ params: fc.numParameters(), shape: y.shape, isBias: Array.from(y.dataSync()).every((v, i) => v === bias[i]) }));`);
    expect(out).toEqual({ params: 8, shape: [1, 2], isBias: true });
  });

  it("@tfvision/backbones: resnet18 with 10 classes has timm's count less the classifier's 990 rows", () => {
    const out = node(`
      import { initBackend } from '@tfvision/nn';
      import { createBackbone, getModelEntry } from '@tfvision/backbones';
      await initBackend({ backend: 'cpu', report: false });
      const m = createBackbone('resnet18', { numClasses: 10 });
      console.log(JSON.stringify({ params: m.numParameters(), timm1000: getModelEntry('resnet18').params }));`);
    // timm resnet18: 11,689,512 at 1000 classes; fc is 512 x classes + classes.
    expect(out).toEqual({ params: 11_689_512 - 990 * 513, timm1000: 11_689_512 });
  });

  it('@tfvision/train: the warmup + cosine schedule halfway through the cosine is half the rate', () => {
    const out = node(`
      import { learningRateAt } from '@tfvision/train';
      const o = { kind: 'cosine', baseLr: 0.1, totalSteps: 110, warmupSteps: 10 };
      console.log(JSON.stringify([learningRateAt(o, 5), learningRateAt(o, 60)]));`);
    expect(out[0]).toBeCloseTo(0.05, 12);
    expect(out[1]).toBeCloseTo(0.05, 12);
  });

  it('@tfvision/native and @tfvision/heads import; the installed addon loads from where the clone\'s does (the linux-x64 prebuild, else a source build)', () => {
    const out = node(`
      import { loadNativeAddon } from '@tfvision/native';
      await import('@tfvision/heads');
      const { addon, origin } = loadNativeAddon();
      console.log(JSON.stringify({ built: addon !== undefined, origin: origin ?? null, threads: addon ? addon.threads() >= 1 : null }));`);
    const here = loadNativeAddon();
    expect(out).toEqual({ built: here.addon !== undefined, origin: here.addon ? (here.origin ?? null) : null, threads: here.addon ? true : null });
  });

  it('@tfvision/cli: `tfvision --version`, and a bundled config found by name inside the installed package', () => {
    const bin = join(app, 'node_modules', '.bin', 'tfvision');
    const v = spawnSync(bin, ['--version'], { cwd: app, encoding: 'utf8', env: cleanEnv() });
    expect(v.stdout.trim()).toBe(version('cli'));
    const t = spawnSync(bin, ['train', 'cls', '--config', 'fashion-mnist/resnest', '--data', join(app, 'no-data')], { cwd: app, encoding: 'utf8', env: cleanEnv() });
    expect(t.status).toBe(2);
    expect(t.stderr).toContain(`set data.root in ${join(app, 'node_modules/@tfvision/cli/configs/fashion-mnist/resnest.json')}`);
  });
});
