/**
 * COCOeval throughput on a val2017-sized synthetic set (5000 images, ~36k GT, ~100
 * detections per image, 80 categories), bbox and segm, generated deterministically and
 * written to a temporary folder as COCO JSON. Each evaluation runs in a fresh child process
 * that reads those files, so its peak RSS is the evaluation's own; when /usr/bin/python3 can
 * import pycocotools (PYCOCOTOOLS_DIR, default /tmp/cocoapi/PythonAPI) it is timed on the
 * same files and the ratio is printed. One JSON line per iou type.
 * Run: npm run bench -w @tfvision/eval   (options: --images N --iou-type bbox|segm|both --keep)
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadRes, readCocoFile, readCocoResultsFile } from '@tfvision/coco';
import { CocoEval } from '../coco/cocoeval.js';
import type { IouType } from '../coco/params.js';
import { randomCoco } from '../testing/random-coco.js';

const PYTHON = '/usr/bin/python3';
const PYCOCOTOOLS_DIR = process.env.PYCOCOTOOLS_DIR ?? '/tmp/cocoapi/PythonAPI';
const HERE = dirname(fileURLToPath(import.meta.url));
const REFERENCE_SCRIPT = join(HERE, '..', '..', 'fixtures', 'pycocotools_eval.py');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const seconds = (ms: number) => Math.round(ms) / 1000;
const peakRssMiB = () => Math.round(process.resourceUsage().maxRSS / 1024);

interface Timing {
  loadSeconds: number;
  evaluateSeconds: number;
  accumulateSeconds: number;
  summarizeSeconds: number;
  peakRssMiB: number;
  stats: number[];
}

/** Child mode: read the files, evaluate, print the timings (this process's RSS is the evaluation's). */
async function runOurs(gtPath: string, dtPath: string, iouType: IouType): Promise<void> {
  const t0 = performance.now();
  const gt = await readCocoFile(gtPath);
  const results = await readCocoResultsFile(dtPath, { groundTruth: gt });
  const E = new CocoEval(gt, loadRes(gt, results, dtPath), iouType);
  const t1 = performance.now();
  E.evaluate();
  const t2 = performance.now();
  E.accumulate();
  const t3 = performance.now();
  const stats = E.summarize();
  const t4 = performance.now();
  const out: Timing = {
    loadSeconds: seconds(t1 - t0),
    evaluateSeconds: seconds(t2 - t1),
    accumulateSeconds: seconds(t3 - t2),
    summarizeSeconds: seconds(t4 - t3),
    peakRssMiB: peakRssMiB(),
    stats,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function lastJsonLine(text: string, what: string): Timing {
  const line = text.trim().split('\n').pop() ?? '';
  try {
    return JSON.parse(line) as Timing;
  } catch {
    throw new Error(`${what}: expected a JSON line, got ${JSON.stringify(text.slice(-300))}`);
  }
}

function pycocotoolsAvailable(): boolean {
  if (!existsSync(PYTHON) || !existsSync(REFERENCE_SCRIPT)) return false;
  const probe = spawnSync(PYTHON, ['-c', 'import sys; sys.path.insert(0, sys.argv[1]); import pycocotools.cocoeval, pycocotools.mask', PYCOCOTOOLS_DIR]);
  return probe.status === 0;
}

function benchOne(iouType: IouType, images: number, dir: string): void {
  const t0 = performance.now();
  const { gt, results } = randomCoco({ seed: 2017, images, categories: 80, gtPerImage: 8, dtPerImage: 100, iouType, size: 640, crowdRate: 0.01 });
  const generateSeconds = seconds(performance.now() - t0);
  const gtPath = join(dir, `${iouType}.gt.json`);
  const dtPath = join(dir, `${iouType}.dt.json`);
  writeFileSync(gtPath, JSON.stringify(gt));
  writeFileSync(dtPath, JSON.stringify(results));
  const counts = { images, groundTruths: gt.annotations.length, detections: results.length, categories: gt.categories.length };

  const child = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--run-ours', gtPath, dtPath, iouType], { encoding: 'utf8', maxBuffer: 1 << 24 });
  if (child.status !== 0) throw new Error(`tfvision evaluation failed:\n${child.stderr}`);
  const ours = lastJsonLine(child.stdout, 'tfvision evaluation');
  const oursEval = ours.evaluateSeconds + ours.accumulateSeconds + ours.summarizeSeconds;

  let reference: Record<string, unknown> = { pycocotools: 'skipped: not importable' };
  if (pycocotoolsAvailable()) {
    const py = spawnSync(PYTHON, [REFERENCE_SCRIPT, gtPath, dtPath, iouType, '--timing'], {
      encoding: 'utf8',
      env: { ...process.env, PYCOCOTOOLS_DIR },
      maxBuffer: 1 << 24,
    });
    if (py.status !== 0) throw new Error(`pycocotools failed:\n${py.stderr}`);
    const ref = lastJsonLine(py.stdout, 'pycocotools');
    const refEval = ref.evaluateSeconds + ref.accumulateSeconds + ref.summarizeSeconds;
    const round3 = (v: number) => Math.round(v * 1000) / 1000;
    reference = {
      pycocotools: {
        loadSeconds: round3(ref.loadSeconds),
        evaluateSeconds: round3(ref.evaluateSeconds),
        accumulateSeconds: round3(ref.accumulateSeconds),
        summarizeSeconds: round3(ref.summarizeSeconds),
        peakRssMiB: ref.peakRssMiB,
      },
      // pycocotools time / ours, for evaluate+accumulate+summarize and with file loading.
      speedupEval: round3(refEval / oursEval),
      speedupWithLoad: round3((refEval + ref.loadSeconds) / (oursEval + ours.loadSeconds)),
      maxAbsStatDiff: Math.max(...ref.stats.map((v, i) => Math.abs(v - ours.stats[i]))),
    };
  }
  console.log(
    JSON.stringify({
      bench: `cocoeval-${iouType}`,
      ...counts,
      generateSeconds,
      ours: { ...ours, stats: undefined, AP: ours.stats[0] },
      ...reference,
      node: process.version,
      cpus: cpus().length,
      memoryGiB: Math.round(totalmem() / 2 ** 30),
      date: new Date().toISOString().slice(0, 10),
    }),
  );
}

if (process.argv[2] === '--run-ours') {
  await runOurs(process.argv[3], process.argv[4], process.argv[5] as IouType);
} else {
  const images = Number(arg('images', '5000'));
  const which = arg('iou-type', 'both');
  const types: IouType[] = which === 'both' ? ['bbox', 'segm'] : [which === 'segm' ? 'segm' : 'bbox'];
  const dir = mkdtempSync(join(tmpdir(), 'tfvision-cocoeval-bench-'));
  try {
    for (const t of types) benchOne(t, images, dir);
  } finally {
    if (process.argv.includes('--keep')) console.error(`inputs kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  }
}
