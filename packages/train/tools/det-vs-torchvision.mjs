#!/usr/bin/env node
/* global process, performance, Buffer */
// Detection training checked against torchvision's (issue #17): for each seed, trains our Faster
// R-CNN with @tfvision/train's detection loop (buildDetectionRun over det-vs-torchvision.config.json),
// exports its initial weights in torchvision's layout, the image ids and targets of every step its
// loader yielded and the learning rate of every step, has torchvision_det_train.py train
// torchvision's FasterRCNN from them, scores both sides' final detections with the same
// @tfvision/eval COCOeval, and writes the results JSON, one PNG with the loss curves of every run
// and the table in packages/train/README.md (det-vs-torchvision-table.cjs renders it).
// Runs one after another (never two at once); run it under `nice -n 5` (torchvision's process
// inherits the niceness). PyTorch gets 1 thread: on shared, loaded cores its OpenMP threads wait
// on each other (2 threads ran 6x slower than 1 at load 6 on 2 cores).
//
// Usage (after `npm run build`):
//   nice -n 5 node packages/train/tools/det-vs-torchvision.mjs [--seeds 0,1,2] [--steps N] [--out DIR] [--threads N]
//   node packages/train/tools/det-vs-torchvision.mjs --render   (table and PNG from the committed JSON)
//   nice -n 5 node packages/train/tools/det-vs-torchvision.mjs --cross-eval   (after a run: our final
//     weights through torchvision's inference, torchvision_det_eval.py, scored the same way; added
//     to the JSON, so an inference difference is told apart from a training one)
// Skips (exit 0, with a line saying why) when /usr/bin/python3 cannot import torchvision.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import sharp from 'sharp';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const table = createRequire(import.meta.url)('./det-vs-torchvision-table.cjs');
// TFVISION_PYTHON: another interpreter (e.g. one without torchvision, to see the skip).
const PYTHON = process.env.TFVISION_PYTHON ?? '/usr/bin/python3';
const CONFIG = join(here, 'det-vs-torchvision.config.json');
const RESULTS = join(here, 'det-vs-torchvision.results.json');
const PLOT = join(here, 'det-vs-torchvision.png');
const README = join(here, '..', 'README.md');
const HEADING = '## Detection training against torchvision';
const SMOOTH = 20;

function parse(argv) {
  const o = { seeds: [0, 1, 2], steps: undefined, out: join(repo, 'runs', 'det-vs-torchvision'), threads: 1, render: false, crossEval: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`det-vs-torchvision: ${a} needs a value`);
      return v;
    };
    if (a === '--seeds') o.seeds = value().split(',').map((s) => Number(s));
    else if (a === '--steps') o.steps = Number(value());
    else if (a === '--out') o.out = resolve(value());
    else if (a === '--threads') o.threads = Number(value());
    else if (a === '--render') o.render = true;
    else if (a === '--cross-eval') o.crossEval = true;
    else throw new Error(`det-vs-torchvision: unknown argument "${a}"`);
  }
  if (o.seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new Error(`det-vs-torchvision: --seeds must be non-negative integers, got ${o.seeds}`);
  if (o.steps !== undefined && !(Number.isInteger(o.steps) && o.steps > 0)) throw new Error(`det-vs-torchvision: --steps must be a positive integer, got ${o.steps}`);
  return o;
}

const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
const readJsonl = (path) => readFileSync(path, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const rel = (p) => relative(repo, p);

/** The batches our loader yields for steps 0..T-1: image ids per step, and each image's file, size and targets. */
async function dumpSteps(loader, totalSteps) {
  const images = {};
  const steps = [];
  for (let s = 0; s < totalSteps; s++) {
    const samples = await loader.batch(s);
    steps.push(samples.map((x) => x.imageId));
    for (const x of samples) {
      images[x.imageId] ??= { file: x.fileName, width: x.image.width, height: x.image.height, boxes: Array.from(x.boxes), labels: Array.from(x.labels) };
    }
  }
  return { images, steps };
}

function stats(summary) {
  return { AP: summary.stats[0], AP50: summary.stats[1], AP75: summary.stats[2], stats: summary.stats };
}

async function runSeed(seed, o, lib) {
  const { train, heads, evaluateCoco } = lib;
  const dir = join(o.out, `seed-${seed}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'torchvision'), { recursive: true });
  const config = train.loadDetectionConfig(CONFIG, { seed });
  const run = await train.buildDetectionRun(config, { outDir: join(dir, 'ours'), totalSteps: o.steps, cwd: repo });
  try {
    const { trainer, model, trainSet, evalSet } = run;
    const totalSteps = trainer.o.totalSteps;
    const init = join(dir, 'init.safetensors');
    await heads.exportDetectorCheckpoint(model, init, { source: `tfvision ${run.modelName} seed ${seed}, before training` });
    const spec = {
      seed,
      threads: o.threads,
      init,
      rcnn: model.config,
      trainableParameters: model.numParameters(true),
      categoryIds: trainSet.labels.categoryIds,
      lr: Array.from({ length: totalSteps }, (_, s) => trainer.lrAt(s)),
      optimizer: {
        momentum: config.optimizer.momentum,
        weightDecay: config.optimizer.weightDecay,
        weightDecayNorm: config.optimizer.weightDecayNorm,
        weightDecayBias: config.optimizer.weightDecayBias ?? config.optimizer.weightDecay,
        clipGradNorm: config.optimizer.clipGradNorm === false ? null : config.optimizer.clipGradNorm,
      },
      train: { imageDir: train.splitPaths(config, 'train', repo).images, ...(await dumpSteps(trainer.o.loader, totalSteps)) },
      val: { imageDir: train.splitPaths(config, 'val', repo).images, images: evalSet.coco.images.map((im) => ({ id: im.id, file: im.file_name })) },
    };
    const specPath = join(dir, 'torchvision', 'spec.json');
    writeFileSync(specPath, JSON.stringify(spec));

    process.stderr.write(`det-vs-torchvision: seed ${seed}: ours, ${totalSteps} iterations (load ${load()})\n`);
    const ours = await trainer.run();
    const oursLog = readJsonl(trainer.paths.log).filter((r) => r.type === 'train');

    process.stderr.write(`det-vs-torchvision: seed ${seed}: torchvision (load ${load()})\n`);
    const t0 = performance.now();
    const py = spawnSync(PYTHON, [join(here, 'torchvision_det_train.py'), specPath, join(dir, 'torchvision')], { stdio: ['ignore', 'inherit', 'inherit'] });
    const tvWall = (performance.now() - t0) / 1000;
    if (py.status !== 0) throw new Error(`det-vs-torchvision: seed ${seed}: torchvision_det_train.py exited with ${py.status}`);
    const tvResults = JSON.parse(readFileSync(join(dir, 'torchvision', 'results.bbox.json'), 'utf8'));
    const tvSummary = JSON.parse(readFileSync(join(dir, 'torchvision', 'summary.json'), 'utf8'));
    const tvLog = readJsonl(join(dir, 'torchvision', 'log.jsonl'));
    // Scored exactly as our trainer scores its own detections (detection-eval.ts): every evaluation image.
    const imgIds = evalSet.coco.images.map((im) => im.id);
    const tvEval = tvResults.length > 0 ? stats(evaluateCoco(evalSet.coco, tvResults, 'bbox', { imgIds })) : { AP: 0, AP50: 0, AP75: 0, stats: new Array(12).fill(0) };
    const pick = (records) => records.map((r) => ({ step: r.step, loss: r.loss, losses: r.losses }));
    return {
      seed,
      ours: { ...stats(ours.finalEval.bbox), wallSeconds: ours.wallSeconds, detections: ours.finalEval.detections, log: pick(oursLog) },
      torchvision: { ...tvEval, wallSeconds: tvWall, trainSeconds: tvSummary.trainSeconds, evalSeconds: tvSummary.evalSeconds, threads: tvSummary.threads, detections: tvResults.length, log: pick(tvLog) },
      lrCheck: tvLog.every((r, i) => r.lr === oursLog[i].lr),
    };
  } finally {
    run.close();
  }
}

/** Loss logs at 6 significant digits (the plot's resolution; keeps the committed JSON small). */
const round6 = (x) => Number(x.toPrecision(6));
const compactLog = (log) => log.map((r) => ({ step: r.step, loss: round6(r.loss), losses: Object.fromEntries(Object.entries(r.losses).map(([k, v]) => [k, round6(v)])) }));

function writeResults(results) {
  for (const s of results.seeds) for (const side of [s.ours, s.torchvision]) side.log = compactLog(side.log);
  writeFileSync(RESULTS, `${JSON.stringify(results)}\n`);
}

const mean = (v) => v.reduce((a, b) => a + b, 0) / v.length;
const smooth = (points, k) => points.map(([x], i) => [x, mean(points.slice(Math.max(0, i - k + 1), i + 1).map((p) => p[1]))]);
const OURS = ['#08306b', '#2171b5', '#6baed6'];
const TORCH = ['#7f2704', '#d94801', '#fd8d3c'];

/** The PNG: total loss, the RPN's losses and the RoI head's losses of every run, and the total loss averaged over seeds per side; 20-step running means. */
async function writePlot(results, curvesSvg) {
  const part = (log, keys) => log.map((r) => [r.step, keys ? keys.reduce((a, k) => a + (r.losses[k] ?? 0), 0) : r.loss]);
  const panel = (title, keys) => ({
    title: `${title} (${SMOOTH}-step mean)`,
    xLabel: 'step',
    series: results.seeds.flatMap((s, i) => [
      { label: `ours s${s.seed}`, color: OURS[i % 3], points: smooth(part(s.ours.log, keys), SMOOTH) },
      { label: `tv s${s.seed}`, color: TORCH[i % 3], points: smooth(part(s.torchvision.log, keys), SMOOTH) },
    ]),
  });
  const seedMean = (side) => {
    const logs = results.seeds.map((x) => x[side].log);
    return logs[0].map((r, i) => [r.step, mean(logs.map((l) => l[i].loss))]);
  };
  const means = {
    title: `total loss, mean of the ${results.seeds.length} seeds (${SMOOTH}-step mean)`,
    xLabel: 'step',
    series: [
      { label: 'ours', color: OURS[1], points: smooth(seedMean('ours'), SMOOTH) },
      { label: 'torchvision', color: TORCH[1], points: smooth(seedMean('torchvision'), SMOOTH) },
    ],
  };
  const svg = curvesSvg([panel('total loss'), panel('RPN: objectness + box', ['loss_objectness', 'loss_rpn_box_reg']), panel('RoI: classifier + box', ['loss_classifier', 'loss_box_reg']), means]);
  writeFileSync(PLOT, await sharp(Buffer.from(svg)).png().toBuffer());
}

function writeReadme(results) {
  const readme = readFileSync(README, 'utf8');
  writeFileSync(README, table.replaceSection(readme, results, HEADING));
}

/** Our final weights of each seed through torchvision's inference, scored as ours were. */
async function crossEval(o, results) {
  const [train, ev] = await Promise.all([import('@tfvision/train'), import('@tfvision/eval')]);
  const config = train.loadDetectionConfig(CONFIG);
  const coco = await (await import('@tfvision/coco')).readCocoFile(train.splitPaths(config, 'val', repo).annotations);
  const imgIds = coco.images.map((im) => im.id);
  for (const s of results.seeds) {
    const dir = join(o.out, `seed-${s.seed}`);
    const latest = JSON.parse(readFileSync(join(dir, 'ours', 'checkpoints', 'latest.json'), 'utf8'));
    const weights = join(dir, 'ours', 'checkpoints', latest.checkpoint, 'model.safetensors');
    const out = join(dir, 'torchvision', 'ours-weights.results.bbox.json');
    const py = spawnSync(PYTHON, [join(here, 'torchvision_det_eval.py'), join(dir, 'torchvision', 'spec.json'), weights, out], { stdio: ['ignore', 'inherit', 'inherit'] });
    if (py.status !== 0) throw new Error(`det-vs-torchvision: seed ${s.seed}: torchvision_det_eval.py exited with ${py.status}`);
    const r = JSON.parse(readFileSync(out, 'utf8'));
    s.crossEval = { weights: `seed-${s.seed}/ours/checkpoints/${latest.checkpoint}`, ...stats(ev.evaluateCoco(coco, r, 'bbox', { imgIds })), detections: r.length };
    process.stderr.write(`det-vs-torchvision: seed ${s.seed}: our weights, torchvision's inference: AP ${(s.crossEval.AP * 100).toFixed(3)} (ours ${(s.ours.AP * 100).toFixed(3)}), ${r.length} detections (ours ${s.ours.detections})\n`);
  }
  results.commands.crossEval = 'nice -n 5 node packages/train/tools/det-vs-torchvision.mjs --cross-eval';
}

async function main() {
  const o = parse(process.argv.slice(2));
  const { curvesSvg } = await import('@tfvision/train');
  if (o.render) {
    const results = JSON.parse(readFileSync(RESULTS, 'utf8'));
    await writePlot(results, curvesSvg);
    writeReadme(results);
    process.stderr.write(`det-vs-torchvision: rendered ${rel(PLOT)} and the table in ${rel(README)} from ${rel(RESULTS)}\n`);
    return;
  }
  const probe = spawnSync(PYTHON, ['-c', 'import torchvision'], { stdio: 'ignore' });
  if (probe.status !== 0) {
    process.stderr.write(`det-vs-torchvision: skipped: ${PYTHON} cannot import torchvision\n`);
    return;
  }
  if (o.crossEval) {
    const results = JSON.parse(readFileSync(RESULTS, 'utf8'));
    await crossEval(o, results);
    writeResults(results);
    await writePlot(results, curvesSvg);
    writeReadme(results);
    return;
  }
  const [train, heads, nn, ev] = await Promise.all([import('@tfvision/train'), import('@tfvision/heads'), import('@tfvision/nn'), import('@tfvision/eval')]);
  const backend = await nn.initBackend({ report: false });
  const before = load();
  const seeds = [];
  for (const seed of o.seeds) {
    const r = await runSeed(seed, o, { train, heads, evaluateCoco: ev.evaluateCoco });
    process.stderr.write(`det-vs-torchvision: seed ${seed}: ours AP ${(r.ours.AP * 100).toFixed(2)}, torchvision AP ${(r.torchvision.AP * 100).toFixed(2)}\n`);
    seeds.push(r);
  }
  const argv = process.argv.slice(2).join(' ');
  const results = {
    config: rel(CONFIG),
    iterations: seeds[0].ours.log.length,
    backend: typeof backend === 'object' && backend ? backend.name : String(backend),
    cpus: cpus().length,
    date: new Date().toISOString(),
    commands: {
      all: `nice -n 5 node packages/train/tools/det-vs-torchvision.mjs${argv ? ` ${argv}` : ''}`,
      ours: `buildDetectionRun(loadDetectionConfig('${rel(CONFIG)}', { seed }))${o.steps ? ` with totalSteps ${o.steps}` : ''}, then trainer.run()`,
      torchvision: `${PYTHON} packages/train/tools/torchvision_det_train.py ${rel(o.out)}/seed-S/torchvision/spec.json ${rel(o.out)}/seed-S/torchvision`,
      render: 'node packages/train/tools/det-vs-torchvision.mjs --render',
    },
    load: { before, after: load() },
    seeds,
  };
  writeResults(results);
  await writePlot(results, curvesSvg);
  writeReadme(results);
  const v = table.verdict(results);
  process.stderr.write(`det-vs-torchvision: ours ${v.ours.mean.toFixed(2)} ± ${v.ours.std.toFixed(2)}, torchvision ${v.torchvision.mean.toFixed(2)} ± ${v.torchvision.std.toFixed(2)} bbox AP: ${v.pass ? 'pass' : 'fail'}; wrote ${rel(RESULTS)}, ${rel(PLOT)}, ${rel(README)}\n`);
}

main().catch((err) => {
  process.stderr.write(`${err.stack ?? err}\n`);
  process.exit(1);
});
