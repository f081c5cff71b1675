/**
 * Parse bench: writes a COCO train2017-sized instances file (118k images, ~860k annotations,
 * ~450 MB) to the temp folder once, then parses it in fresh child processes and reports wall
 * time and peak RSS for each reader. Then runs the mask bench (dist/bench/rle-iou.bench.js)
 * if it is built. Prints one JSON line per bench.
 *
 *   npm run bench -w @tfvision/coco          (TFVISION_BENCH_ANNS=N for another size)
 */
import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, readFileSync, renameSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseJsonBytes, parseJsonFile } from '../json/parse-json-bytes.js';
import { readCocoFile } from '../read.js';
import { SeededRandom } from '../synth/prng.js';

const TRAIN2017 = { images: 118287, annotations: 860001, categories: 80 };

type Reader = 'readCocoFile' | 'parseJsonFile' | 'parseJsonBytes' | 'JSON.parse';
const READERS: Reader[] = ['readCocoFile', 'parseJsonFile', 'parseJsonBytes', 'JSON.parse'];

interface ChildReport {
  reader: Reader;
  seconds: number;
  peakRssMB: number;
  annotations: number;
}

async function writeLargeFile(path: string, annotations: number): Promise<void> {
  const images = Math.round((annotations * TRAIN2017.images) / TRAIN2017.annotations);
  const rng = new SeededRandom(2017);
  const tmp = `${path}.partial`;
  const out = createWriteStream(tmp);
  const write = (s: string) => (out.write(s) ? Promise.resolve() : new Promise<void>((r) => out.once('drain', () => r())));
  await write('{"info":{"description":"tfvision parse bench, COCO train2017-sized"},"licenses":[],"images":[');
  for (let i = 1; i <= images; i++) {
    await write(`${i > 1 ? ',' : ''}{"license":1,"file_name":"${String(i).padStart(12, '0')}.jpg","coco_url":"http://images.cocodataset.org/train2017/${String(i).padStart(12, '0')}.jpg","height":480,"width":640,"date_captured":"2013-11-14 11:18:45","flickr_url":"http://farm1.staticflickr.com/1/${i}_0.jpg","id":${i}}`);
  }
  await write('],"annotations":[');
  let chunk = '';
  for (let a = 1; a <= annotations; a++) {
    const imageId = 1 + Math.floor(((a - 1) * images) / annotations);
    const crowd = rng.next() < 0.01;
    const x = rng.uniform(0, 500);
    const y = rng.uniform(0, 380);
    const w = rng.uniform(1, 640 - x);
    const h = rng.uniform(1, 480 - y);
    let seg: string;
    if (crowd) {
      const counts: number[] = [];
      let left = 480 * 640;
      while (left > 0) {
        const run = Math.min(left, rng.int(1, 4000));
        counts.push(run);
        left -= run;
      }
      if (counts.length % 2 === 0) counts.push(0);
      seg = `{"counts":[${counts.join(',')}],"size":[480,640]}`;
    } else {
      // COCO polygons average about 30 vertices; coordinates carry 2 decimals.
      const n = rng.int(12, 50);
      const pts: string[] = [];
      for (let k = 0; k < n; k++) pts.push((x + rng.uniform(0, w)).toFixed(2), (y + rng.uniform(0, h)).toFixed(2));
      seg = `[[${pts.join(',')}]]`;
    }
    chunk += `${a > 1 ? ',' : ''}{"segmentation":${seg},"area":${(w * h * 0.6).toFixed(4)},"iscrowd":${crowd ? 1 : 0},"image_id":${imageId},"bbox":[${x.toFixed(2)},${y.toFixed(2)},${w.toFixed(2)},${h.toFixed(2)}],"category_id":${rng.int(1, TRAIN2017.categories)},"id":${a}}`;
    if (chunk.length > 1 << 20) {
      await write(chunk);
      chunk = '';
    }
  }
  await write(chunk);
  await write('],"categories":[');
  for (let c = 1; c <= TRAIN2017.categories; c++) await write(`${c > 1 ? ',' : ''}{"supercategory":"thing","id":${c},"name":"class${c}"}`);
  await write(']}');
  await new Promise<void>((resolve, reject) => out.end((err?: Error | null) => (err ? reject(err) : resolve())));
  renameSync(tmp, path);
}

/** Runs in the child: parse once and report. */
async function child(reader: Reader, path: string): Promise<void> {
  const t0 = process.hrtime.bigint();
  let annotations: number;
  if (reader === 'readCocoFile') annotations = (await readCocoFile(path)).annotations.length;
  else if (reader === 'parseJsonFile') annotations = (parseJsonFile(path) as { annotations: unknown[] }).annotations.length;
  else if (reader === 'parseJsonBytes') annotations = (parseJsonBytes(readFileSync(path), path) as { annotations: unknown[] }).annotations.length;
  else annotations = (JSON.parse(readFileSync(path).toString('utf8')) as { annotations: unknown[] }).annotations.length;
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const report: ChildReport = { reader, seconds, peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024), annotations };
  process.stdout.write(`${JSON.stringify(report)}\n`);
}

async function main(): Promise<void> {
  const annotations = Number(process.env.TFVISION_BENCH_ANNS ?? TRAIN2017.annotations);
  const path = join(tmpdir(), `tfvision-bench-instances-${annotations}.json`);
  if (!existsSync(path)) {
    process.stderr.write(`writing ${path} (${annotations} annotations), once...\n`);
    await writeLargeFile(path, annotations);
  }
  const sizeMB = statSync(path).size / 2 ** 20;
  const script = process.argv[1];
  const results: (ChildReport | { reader: Reader; error: string })[] = [];
  for (const reader of READERS) {
    const r = spawnSync(process.execPath, [script, '--child', reader, path], { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (r.status === 0) results.push(JSON.parse(r.stdout.trim().split('\n').pop() as string) as ChildReport);
    else results.push({ reader, error: (r.stderr || `exit ${r.status} ${r.signal ?? ''}`).trim().split('\n').slice(-3).join(' | ') });
  }
  process.stdout.write(
    `${JSON.stringify({ bench: 'coco-parse', file: path, fileMB: Math.round(sizeMB), annotations, node: process.version, heapLimitMB: heapLimitMB(), results })}\n`,
  );

  const rleBench = join(dirname(script), 'rle-iou.bench.js');
  if (existsSync(rleBench)) {
    const r = spawnSync(process.execPath, [rleBench], { stdio: 'inherit' });
    if (r.status !== 0) process.exitCode = r.status ?? 1;
  }
}

function heapLimitMB(): number {
  const out = spawnSync(process.execPath, ['-e', "process.stdout.write(String(require('v8').getHeapStatistics().heap_size_limit))"], { encoding: 'utf8' });
  return Math.round(Number(out.stdout) / 2 ** 20);
}

if (process.argv[2] === '--child') void child(process.argv[3] as Reader, process.argv[4]);
else void main();
