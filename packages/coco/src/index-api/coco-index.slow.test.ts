/**
 * CocoIndex against the official pycocotools COCO class on a synthetic dataset and random
 * filters. Needs PYCOCOTOOLS_DIR (a cocoapi/PythonAPI with _mask built) and /usr/bin/python3
 * with numpy; skips otherwise.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeededRandom } from '../synth/prng.js';
import { generateSyntheticCoco } from '../synth/generate.js';
import { CocoIndex, type AnnIdFilter, type CatIdFilter, type ImgIdFilter } from './coco-index.js';

const PYTHON = '/usr/bin/python3';
const pycocoDir = process.env.PYCOCOTOOLS_DIR;
const available = !!pycocoDir && existsSync(join(pycocoDir, 'pycocotools', 'coco.py')) && existsSync(PYTHON);
const maybe = available ? describe : describe.skip;

type Query = { method: 'getAnnIds'; args: AnnIdFilter } | { method: 'getImgIds'; args: ImgIdFilter } | { method: 'getCatIds'; args: CatIdFilter };

function pick<T>(rng: SeededRandom, xs: readonly T[], max: number): T[] {
  const n = rng.int(0, max);
  return Array.from({ length: n }, () => xs[rng.int(0, xs.length - 1)]);
}

maybe('CocoIndex matches pycocotools', () => {
  it('on random filters and annToMask areas', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tfvision-index-ref-'));
    const { annotationFile, dataset } = await generateSyntheticCoco({ outDir: dir, images: 40, seed: 21, size: 160 });
    const index = new CocoIndex(dataset);
    const rng = new SeededRandom(5);
    const imgIds = [...dataset.images.map((i) => i.id), 999];
    const catIds = [...dataset.categories.map((c) => c.id), 77];
    const names = [...dataset.categories.map((c) => c.name), 'nothing'];
    const queries: Query[] = [];
    for (let i = 0; i < 300; i++) {
      const areas = dataset.annotations.map((a) => a.area);
      const lo = areas[rng.int(0, areas.length - 1)];
      const areaRng: [number, number] | [] = rng.next() < 0.5 ? [] : [lo, lo + rng.uniform(0, 5000)];
      const crowdRoll = rng.int(0, 2);
      queries.push({
        method: 'getAnnIds',
        args: { imgIds: pick(rng, imgIds, 4), catIds: pick(rng, catIds, 3), areaRng, ...(crowdRoll < 2 ? { iscrowd: crowdRoll === 1 } : {}) },
      });
      queries.push({ method: 'getImgIds', args: { imgIds: pick(rng, imgIds, 12), catIds: pick(rng, catIds, 2) } });
      queries.push({ method: 'getCatIds', args: { catNms: pick(rng, names, 3), supNms: pick(rng, ['shape', 'other'], 1), catIds: pick(rng, catIds, 3) } });
    }
    const queryFile = join(dir, 'queries.json');
    writeFileSync(queryFile, JSON.stringify(queries));
    const r = spawnSync(PYTHON, [join(__dirname, '..', '..', 'fixtures', 'pycocotools_index.py'), annotationFile, queryFile], {
      encoding: 'utf8',
      env: { ...process.env, PYCOCOTOOLS_DIR: pycocoDir },
      maxBuffer: 64 << 20,
    });
    expect(r.stderr).toBe('');
    const ref = JSON.parse(r.stdout) as { answers: number[][]; maskAreas: Record<string, number> };
    const ours = queries.map((q) =>
      q.method === 'getAnnIds' ? index.getAnnIds(q.args) : q.method === 'getImgIds' ? index.getImgIds(q.args) : index.getCatIds(q.args),
    );
    expect(ours).toEqual(ref.answers);
    // The filters must exercise something: most answers are non-empty.
    expect(ours.filter((a) => a.length > 0).length).toBeGreaterThan(queries.length / 2);
    for (const ann of dataset.annotations) {
      expect([ann.id, index.annToMask(ann).reduce((s, v) => s + v, 0)]).toEqual([ann.id, ref.maskAreas[String(ann.id)]]);
      // The synthetic generator's areas are pycocotools' mask areas.
      expect([ann.id, ann.area]).toEqual([ann.id, ref.maskAreas[String(ann.id)]]);
    }
  });
});
