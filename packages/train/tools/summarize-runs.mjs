#!/usr/bin/env node
// Summarises trainer logs (log.jsonl) into one JSON results table: per run, the evaluations by
// epoch, the final and best top-1/top-5 and the median logged training images/s.
// Usage: node packages/train/tools/summarize-runs.mjs NAME=path/log.jsonl [NAME=...] > results.json
import { readFileSync } from 'node:fs';

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length === 0 ? null : s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const runs = {};
for (const arg of process.argv.slice(2)) {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new Error(`summarize-runs: expected NAME=path/log.jsonl, got "${arg}"`);
  const [name, path] = [arg.slice(0, eq), arg.slice(eq + 1)];
  const records = readFileSync(path, 'utf8').split('\n').filter(Boolean).map((line, i) => {
    try {
      return JSON.parse(line);
    } catch {
      throw new Error(`summarize-runs: ${path}: line ${i + 1} is not JSON`);
    }
  });
  const evals = records.filter((r) => r.type === 'eval');
  const train = records.filter((r) => r.type === 'train');
  if (evals.length === 0) throw new Error(`summarize-runs: ${path}: no eval records`);
  const last = evals[evals.length - 1];
  runs[name] = {
    log: path,
    steps: last.step,
    final: { top1: last.top1, top5: last.top5, loss: last.loss },
    bestTop1: Math.max(...evals.map((e) => e.top1)),
    byEpoch: evals.map((e) => ({ epoch: e.epoch + 1, step: e.step, top1: e.top1, top5: e.top5 })),
    medianImagesPerSecond: median(train.map((r) => r.imagesPerSecond)),
  };
}
process.stdout.write(`${JSON.stringify({ command: `node packages/train/tools/summarize-runs.mjs ${process.argv.slice(2).join(' ')}`, runs }, null, 2)}\n`);
