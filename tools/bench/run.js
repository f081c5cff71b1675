#!/usr/bin/env node
// `npm run bench`: tfvision backbone throughput per backend, PyTorch's on the same machine and
// thread count, the grouped-convolution micro-benchmark of issue #6, and the detection ops of
// issue #13 (RoIAlign forward+backward, batched NMS), the whole detectors of issue #14
// (Faster / Mask R-CNN at 800x1088) against torchvision, Cascade Mask R-CNN (issue #15) against
// detectron2 and a detection training step (issue #17) against torchvision, each in the same run.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const DEFAULT_MODELS = ['resnet50d', 'resnext50_32x4d', 'seresnet50', 'skresnet50', 'resnest50d', 'efficientnet_b0'];
const HELP = `Usage: npm run bench -- [--models a,b] [--iters N] [--backends wasm,cpu] [--cpu-models]
                        [--threads N] [--no-torch] [--micro-only] [--detection-only] [--no-detection] [--no-detectors] [--detectors-only]
                        [--no-cascade] [--cascade-only] [--no-det-train] [--det-train-only] [--json]
  --models      backbones to time (default: ${DEFAULT_MODELS.join(',')})
  --iters       timed iterations per figure, after one warm-up (default 3); figures are medians
  --backends    tfjs backends to try (default: tensorflow,webgpu,wasm,cpu; unavailable ones are reported and skipped)
  --cpu-models  also time whole models on the JS cpu backend (minutes per model; off by default)
  --threads     threads for wasm and PyTorch (default: all cores)
  --no-torch    skip the PyTorch reference
  --micro-only  only the grouped-convolution micro-benchmark
  --detection-only  only the detection ops (RoIAlign fwd+bwd on wasm and cpu, batched NMS), each against torchvision CPU
  --no-detection    skip the detection ops (and the detectors)
  --no-detectors    skip the whole-detector figures (fasterrcnn_resnet50_fpn, maskrcnn_resnest50d_fpn at 800x1088
                    against torchvision, the cascade and the training step below; minutes per model on 2 cores)
  --detectors-only  only the whole-detector figures
  --no-cascade      skip cascade_mask_rcnn_resnest50d_fpn at 800x1088 against detectron2 CPU (needs detectron2's
                    source: D2_SRC, FVCORE_SRC, YACS_SRC, IOPATH_SRC, TIMM_SRC; without it one line says which is missing)
  --cascade-only    only the cascade figure
  --no-det-train    skip the detection training step (maskrcnn_resnest50d_fpn at batch 2, 800x1088, ours with
                    gradient checkpointing to fit the 4 GB wasm heap, and
                    maskrcnn_resnest14d_fpn at 256x256 against torchvision training; minutes per model)
  --det-train-only  only the training-step figures
  --no-segmenters   skip the segmenter figures (deeplabv3_resnet50, deeplabv3plus_resnest50d at 512x512 on wasm
                    against PyTorch; minutes on 2 cores)
  --segmenters-only only the segmenter figures
  --limit       seconds per backend (and for PyTorch) before its run is stopped, keeping what it measured (default 1800)
  --json        print all records as JSON lines instead of tables`;

function parse(argv) {
  const o = { limit: 1800, models: DEFAULT_MODELS, iters: 3, backends: ['tensorflow', 'webgpu', 'wasm', 'cpu'], cpuModels: false, threads: os.cpus().length, torch: true, microOnly: false, detection: true, detectors: true, rcnn: true, cascade: true, detTrain: true, detectionOnly: false, json: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`bench: ${a} needs a value`);
      return v;
    };
    if (a === '--help' || a === '-h') {
      console.log(HELP);
      process.exit(0);
    } else if (a === '--models') o.models = value().split(',').filter(Boolean);
    else if (a === '--iters') o.iters = Number(value());
    else if (a === '--backends') o.backends = value().split(',').filter(Boolean);
    else if (a === '--threads') o.threads = Number(value());
    else if (a === '--limit') o.limit = Number(value());
    else if (a === '--cpu-models') o.cpuModels = true;
    else if (a === '--no-torch') o.torch = false;
    else if (a === '--micro-only') o.microOnly = true;
    else if (a === '--detection-only') o.detectionOnly = true;
    else if (a === '--no-detection') o.detection = false;
    else if (a === '--no-detectors') o.detectors = false;
    else if (a === '--detectors-only') o.detectorsOnly = o.detectionOnly = true;
    else if (a === '--no-cascade') o.cascade = false;
    else if (a === '--no-det-train') o.detTrain = false;
    else if (a === '--cascade-only') Object.assign(o, { rcnn: false, detTrain: false, segmenters: false, detectorsOnly: true, detectionOnly: true });
    else if (a === '--det-train-only') Object.assign(o, { rcnn: false, cascade: false, segmenters: false, detectorsOnly: true, detectionOnly: true });
    else if (a === '--json') o.json = true;
    else if (a === '--no-segmenters') o.segmenters = false;
    else if (a === '--segmenters-only') o.segmentersOnly = o.detectorsOnly = o.detectionOnly = true;
    else throw new Error(`bench: unknown option ${a}\n${HELP}`);
  }
  if (!Number.isInteger(o.iters) || o.iters < 1) throw new Error(`bench: --iters must be a positive integer, got ${o.iters}`);
  if (!Number.isInteger(o.threads) || o.threads < 1) throw new Error(`bench: --threads must be a positive integer, got ${o.threads}`);
  return o;
}

// Records stream in as JSON lines (progress goes to stderr); a run past `limitS` seconds is
// killed and keeps what it measured.
function runLines(cmd, args, env, limitS) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, limitS * 1000);
    child.stdout.on('data', (d) => {
      out += d;
      for (const line of String(d).split('\n')) if (line.startsWith('{')) process.stderr.write(`  ${line}\n`);
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      const records = out
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l));
      resolve({ code, records, stderr: err.trim(), timedOut });
    });
  });
}

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(widths[i])).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

const fmt = (v) => (v === undefined ? '—' : v >= 10 ? v.toFixed(1) : v.toFixed(2));

async function main() {
  const o = parse(process.argv.slice(2));
  const started = new Date();
  const records = [];
  const notes = [];
  if (o.segmentersOnly) o.detectors = false;
  const detection = o.detection && !o.microOnly ? await detectionOps(o, notes) : [];
  const segmenters = o.segmenters !== false && o.detection && !o.microOnly && (!o.detectorsOnly || o.segmentersOnly) ? await segmenterBench(o, notes) : [];
  for (const backend of o.detectionOnly ? [] : o.backends) {
    const parts = o.microOnly ? 'micro' : backend === 'cpu' && !o.cpuModels ? 'micro' : 'micro,models';
    const args = [path.join(here, 'measure.js'), '--backend', backend, '--iters', String(o.iters), '--parts', parts, '--models', o.models.join(',')];
    const r = await runLines(process.execPath, args, { TFVISION_WASM_THREADS: String(o.threads) }, o.limit);
    if (r.timedOut) notes.push(`${backend}: stopped after --limit ${o.limit} s; figures missing below were not reached`);
    if (!r.records.some((x) => x.kind === 'backend')) {
      const why = r.records.find((x) => x.kind === 'unavailable')?.message ?? (r.stderr.split('\n')[0] || `exit code ${r.code}`);
      notes.push(`${backend}: skipped, ${why}`);
      continue;
    }
    records.push(...r.records);
    if (r.code !== 0 && !r.timedOut) notes.push(`${backend}: measurement process exited with ${r.code}: ${r.stderr.split('\n').slice(-1)[0]}`);
    if (backend === 'cpu' && !o.cpuModels && !o.microOnly) notes.push('cpu: whole models skipped (the JS cpu backend needs minutes per model; --cpu-models runs them)');
  }
  const torch = [];
  if (o.torch && !o.microOnly && !o.detectionOnly) {
    const python = '/usr/bin/python3';
    const hasTorch = existsSync(python) && spawnSync(python, ['-c', 'import torch, torchvision'], { stdio: 'ignore' }).status === 0;
    if (hasTorch) {
      const r = await runLines(python, [path.join(here, 'torch_bench.py'), '--models', o.models.join(','), '--iters', String(o.iters), '--threads', String(o.threads)], {}, o.limit);
      if (r.timedOut) notes.push(`PyTorch: stopped after --limit ${o.limit} s`);
      torch.push(...r.records);
      if (r.code !== 0) notes.push(`PyTorch: exited with ${r.code}: ${r.stderr.split('\n').slice(-1)[0]}`);
    } else notes.push('PyTorch: /usr/bin/python3 with torch and torchvision not found, reference skipped');
  }
  if (o.json) {
    for (const r of records) console.log(JSON.stringify(r));
    for (const r of torch) console.log(JSON.stringify({ kind: 'torch', ...r }));
    for (const r of detection) console.log(JSON.stringify({ kind: ['detector', 'cascade', 'det-train'].includes(r.bench) ? r.bench : 'detection-op', ...r }));
    for (const r of segmenters) console.log(JSON.stringify({ kind: 'segmenter', ...r }));
    for (const n of notes) console.log(JSON.stringify({ kind: 'note', message: n }));
    return;
  }
  console.log(`tfvision bench — ${started.toISOString()} — ${os.cpus().length} x ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}, threads ${o.threads}, iters ${o.iters} (medians)`);
  // Which convolution path the figures below come from (the README's speed figures say it too).
  for (const b of records.filter((r) => r.kind === 'backend')) console.log(`backend ${b.backend}: ${b.provider}${b.backend === 'wasm' ? `; native: ${b.native?.active ? b.native.detail : `not active (${b.native?.detail ?? 'unknown'})`}` : ''}`);
  const micro = records.filter((r) => r.kind === 'grouped-conv');
  if (micro.length) {
    console.log('\nGrouped convolution 8x28x28x256, 3x3, 32 groups (GFLOP/s; reference = split/conv/concat in the same process)');
    console.log(table(['backend', 'reference', 'tfvision kernel', 'speedup', 'kernel fwd+bwd'], micro.map((m) => [m.backend, fmt(m.referenceGflops), fmt(m.kernelGflops), `${m.speedup.toFixed(2)}x`, fmt(m.kernelTrainGflops)])));
  }
  const models = records.filter((r) => r.kind === 'model');
  if (models.length || torch.length) {
    const get = (list, name, mode, batch, backend) => list.find((r) => r.name === name && r.mode === mode && r.batch === batch && (backend === undefined || r.backend === backend))?.imagesPerSecond;
    const backends = [...new Set(models.map((m) => m.backend))];
    const rows = [];
    for (const name of o.models) {
      const pt = [get(torch, name, 'infer', 1), get(torch, name, 'infer', 8), get(torch, name, 'train', 8)];
      for (const b of backends) {
        const tj = [get(models, name, 'infer', 1, b), get(models, name, 'infer', 8, b), get(models, name, 'train', 8, b)];
        const ratio = (i) => (tj[i] && pt[i] ? `${(pt[i] / tj[i]).toFixed(2)}x` : '—');
        rows.push([name, b, ...tj.map(fmt), ...pt.map(fmt), ratio(0), ratio(1), ratio(2)]);
      }
      if (!backends.length) rows.push([name, '—', '—', '—', '—', ...pt.map(fmt), '—', '—', '—']);
    }
    console.log('\nImages/s at 224x224 (ratio = PyTorch / tfvision, lower is better for tfvision)');
    console.log(table(['model', 'backend', 'infer b1', 'infer b8', 'train b8', 'torch infer b1', 'torch infer b8', 'torch train b8', 'ratio b1', 'ratio b8', 'ratio train'], rows));
  }
  const ops = detection.filter((d) => d.bench === 'batched-nms' || d.bench === 'roi-align-fwd-bwd');
  if (ops.length) {
    const ms = (v) => (v === undefined ? '—' : v.toFixed(1));
    const rows = ops.map((d) =>
      d.bench === 'batched-nms'
        ? [`batched NMS ${d.boxes} boxes, ${d.classes} classes (${d.path})`, d.ours.backend, ms(d.ours.seconds * 1000), ms(d.torchvision?.seconds * 1000), d.ratio === undefined ? '—' : `${d.ratio.toFixed(2)}x`]
        : [`RoIAlign fwd+bwd ${d.rois} RoIs x ${d.channels} ch, ${d.outputSize}x${d.outputSize}, FPN levels of ${d.image.join('x')}`, d.backend, ms(d.ours.forwardBackwardMs), ms(d.torchvision?.forwardBackwardMs), d.ratioForwardBackward === undefined ? '—' : `${d.ratioForwardBackward.toFixed(2)}x`],
    );
    console.log('\nDetection ops, ms per call (ratio = torchvision CPU / tfvision, >= 1 means tfvision is at least as fast)');
    console.log(table(['op', 'backend', 'tfvision ms', 'torchvision ms', 'ratio'], rows));
  }
  const detectors = detection.filter((d) => d.bench === 'detector' && d.name);
  if (detectors.length) printDetectors(detectors);
  const cascades = detection.filter((d) => d.bench === 'cascade' && d.imagesPerSecond !== undefined);
  if (cascades.length) printCascades(cascades);
  const trainSteps = detection.filter((d) => d.bench === 'det-train' && d.imagesPerSecond !== undefined);
  if (trainSteps.length) printTrainSteps(trainSteps);
  if (segmenters.some((d) => d.name)) printSegmenters(segmenters.filter((d) => d.name));
  const errors = records.filter((r) => r.kind === 'error');
  for (const e of errors) notes.push(`${e.backend}${e.name ? ` ${e.name}` : ''}${e.mode ? ` ${e.mode} b${e.batch}` : ''}: ${e.message}`);
  for (const t of torch.filter((r) => r.error)) notes.push(`PyTorch ${t.name}: ${t.error}`);
  if (torch[0]?.torch) notes.push(`PyTorch ${torch[0].torch}, ${torch[0].threads} threads; models not in torchvision are built in torch_bench.py as equivalents of timm's`);
  if (notes.length) console.log(`\nNotes:\n${notes.map((n) => `- ${n}`).join('\n')}`);
}

// The heads package's own benches (packages/heads/src/bench), each timing torchvision on the
// same inputs in the same run and printing one JSON line per figure.
async function detectionOps(o, notes) {
  const dist = path.join(here, '..', '..', 'packages', 'heads', 'dist', 'bench');
  const out = [];
  const benches = o.detectorsOnly ? [] : [['roi-align.bench.js', ['--backends', 'wasm,cpu']], ['nms.bench.js', []]];
  // The JS cpu backend would need hours for a detector at 800x1088; the others are tried.
  const detectorBackends = o.backends.filter((b) => b !== 'cpu');
  const wholeModel = ['--backends', detectorBackends.join(','), ...(o.torch ? [] : ['--no-torch'])];
  if (o.detectors && detectorBackends.length) {
    if (o.rcnn) benches.push(['detector.bench.js', ['--repeats', String(o.iters), ...wholeModel]]);
    if (o.cascade) benches.push(['cascade.bench.js', ['--repeats', String(o.iters), ...wholeModel]]);
    // Training steps of a detector take ~10x its inference: one warm-up and --iters timed steps.
    if (o.detTrain) benches.push([path.join(here, 'det-train.js'), ['--steps', String(o.iters), '--warmup', '1', ...wholeModel]]);
  }
  for (const [file, args] of benches) {
    // The training bench lives here (it needs @tfvision/train, which depends on heads); the others in heads' dist.
    const script = path.resolve(dist, file);
    if (!existsSync(script)) {
      notes.push(`detection ops: ${path.relative(process.cwd(), script)} missing (run npm run build)`);
      continue;
    }
    const name = path.basename(script);
    process.stderr.write(`detection ops: ${name}\n`);
    // The whole-model benches time the reference and ours in one process: twice the per-backend limit.
    const wholeModelBench = ['detector.bench.js', 'cascade.bench.js', 'det-train.js'].includes(name);
    const r = await runLines(process.execPath, [script, ...args], { TFVISION_WASM_THREADS: String(o.threads) }, wholeModelBench ? 2 * o.limit : o.limit);
    if (r.timedOut) notes.push(`detection ops: ${name} stopped after its time limit; figures missing below were not reached`);
    out.push(...r.records);
    if (r.code !== 0) notes.push(`detection ops: ${name} exited with ${r.code}: ${r.stderr.split('\n').slice(-1)[0]}`);
    for (const rec of r.records) {
      const label = `detection ops: ${rec.bench}${rec.name ? ` ${rec.name}` : ''}`;
      if (typeof rec.torchvision === 'string') notes.push(`${label}: torchvision ${rec.torchvision}`);
      if (typeof rec.detectron2 === 'string') notes.push(`${label}: detectron2 ${rec.detectron2}`);
      if (rec.unavailable) notes.push(`${label} on ${rec.backend}: skipped, ${rec.unavailable}`);
      if (rec.skipped) notes.push(`${label}: skipped, ${rec.skipped}`);
      if (rec.error) notes.push(`${label} on ${rec.backend}: ${rec.error}`);
    }
  }
  return out;
}

// Issue #14's figure and where its time goes. Ratio here is ours / torchvision images per second
// (the issue's direction, target >= 0.5), the inverse of the other tables'.
function printDetectors(rows) {
  const ips = (v) => (v === undefined ? '—' : v >= 1 ? v.toFixed(2) : v.toFixed(3));
  const s = (v) => (v === undefined ? '—' : (v / 1000).toFixed(2));
  const tv = (d) => (typeof d.torchvision === 'object' ? d.torchvision : undefined);
  console.log(`\nDetectors at 800x1088, batch 1, images/s (hash weights on both sides, box_score_thresh 0 so 100 detections reach the mask head; ratio = tfvision / torchvision, target >= 0.5)`);
  console.log(
    table(
      ['model', 'backend', 'tfvision img/s', 'torchvision img/s', 'ratio tfvision/torchvision', 'proposals (ours/tv)', 'detections (ours/tv)', 'torchvision backbone', 'load avg'],
      rows.map((d) => [d.name, d.backend, ips(d.imagesPerSecond), ips(tv(d)?.imagesPerSecond), d.ratio === undefined ? '—' : `${d.ratio.toFixed(2)}`, `${d.proposals}/${tv(d)?.proposals ?? '—'}`, `${d.detections}/${tv(d)?.detections ?? '—'}`, tv(d)?.backbone ?? '—', d.loadAverage.map((l) => l.toFixed(1)).join(' ')]),
    ),
  );
  const stages = ['transform', 'backbone', 'fpn', 'rpn', 'roiBox', 'boxPostprocess', 'roiMask', 'postprocess'];
  const profile = [];
  for (const d of rows) {
    const total = (st) => stages.reduce((a, k) => a + (st[k] ?? 0), 0);
    profile.push([d.name, `tfvision ${d.backend}`, ...stages.map((k) => s(d.stages[k])), s(total(d.stages))]);
    if (tv(d)) profile.push([d.name, 'torchvision', ...stages.map((k) => s(tv(d).stages[k])), s(total(tv(d).stages))]);
  }
  console.log('\nWhere the time goes: seconds per stage, median of the staged calls (roiBox = pooling + box head + predictor; boxPostprocess = softmax, decode, NMS; roiMask = mask pooling, head, predictor, sigmoid; postprocess = boxes and masks back to the image)');
  console.log(table(['model', 'side', ...stages, 'total'], profile));
  const top = [];
  for (const d of rows) {
    top.push([d.name, `tfvision ${d.backend}`, `${d.profile.kernels} kernels, ${(d.profile.kernelMs / 1000).toFixed(2)} s of ${(d.profile.wallMs / 1000).toFixed(2)} s`, d.profile.top.map((k) => `${k.name} ${(k.ms / 1000).toFixed(2)} s (${k.count})`).join(', ')]);
    if (tv(d)) top.push([d.name, 'torchvision', `${tv(d).profile.ops} ops, ${(tv(d).profile.selfCpuMs / 1000).toFixed(2)} s self CPU`, tv(d).profile.topOps.map((k) => `${k.name} ${(k.ms / 1000).toFixed(2)} s (${k.count})`).join(', ')]);
  }
  console.log('\nTop kernels of one profiled call (tf.profile on ours, torch.autograd.profiler self CPU time on torchvision)');
  console.log(table(['model', 'side', 'total', 'top kernels: seconds (calls)'], top));
}

const ipsFmt = (v) => (v === undefined ? '—' : v >= 1 ? v.toFixed(2) : v.toFixed(3));
const loadFmt = (d) => d.loadAverage.map((l) => l.toFixed(1)).join(' ');
const ratioFmt = (v) => (v === undefined ? '—' : v.toFixed(2));

// Issue #15: ratio = ours / detectron2 images per second (target >= 0.5), as the detectors' table.
function printCascades(rows) {
  const ref = (d) => (typeof d.detectron2 === 'object' ? d.detectron2 : undefined);
  console.log('\nCascade Mask R-CNN at 800x1088, batch 1, images/s (hash weights on both sides under detectron2\'s names, SCORE_THRESH_TEST 0 so 100 detections reach the mask head; ratio = tfvision / detectron2, target >= 0.5)');
  console.log(
    table(
      ['model', 'backend', 'tfvision img/s', 'detectron2 img/s', 'ratio tfvision/detectron2', 'proposals (ours/d2)', 'detections (ours/d2)', 'reference', 'load avg'],
      rows.map((d) => [d.name, d.backend, ipsFmt(d.imagesPerSecond), ipsFmt(ref(d)?.imagesPerSecond), ratioFmt(d.ratio), `${d.proposals}/${ref(d)?.proposals ?? '—'}`, `${d.detections}/${ref(d)?.detections ?? '—'}`, ref(d)?.reference ?? '—', loadFmt(d)]),
    ),
  );
}

// Issue #17: one training step (loss dict, backward, SGD) per case; ratio = ours / torchvision
// images per second (target >= 0.33). The first step's total loss of each side shows that both
// trained the same thing (same weights and batch; the samplers draw differently).
function printTrainSteps(rows) {
  const ref = (d) => (typeof d.torchvision === 'object' ? d.torchvision : undefined);
  const s = (ms) => (ms === undefined ? '—' : (ms / 1000).toFixed(2));
  const loss = (v) => (v === undefined ? '—' : v.toFixed(3));
  console.log('\nDetection training step, images/s (Mask R-CNN, hash weights and the same batch on both sides, SGD momentum 0.9; median step after a warm-up; ratio = tfvision / torchvision, target >= 0.33)');
  console.log(
    table(
      ['case', 'backend', 'batch', 'checkpointing (ours)', 'wasm heap MiB (high-water so far)', 'tfvision s/step', 'torchvision s/step', 'tfvision img/s', 'torchvision img/s', 'ratio tfvision/torchvision', 'first loss (ours/tv)', 'trained params (ours/tv)', 'load avg'],
      rows.map((d) => [d.name, d.backend, d.batch, d.gradCheckpointing ? 'yes' : 'no', d.wasmHeapMiB ?? '—', s(d.medianMs), s(ref(d)?.medianMs), ipsFmt(d.imagesPerSecond), ipsFmt(ref(d)?.imagesPerSecond), ratioFmt(d.ratio), `${loss(d.totals?.[0])}/${loss(ref(d)?.totals?.[0])}`, `${d.trainedParameters}/${ref(d)?.trainedParameters ?? '—'}`, loadFmt(d)]),
    ),
  );
}

// Issue #16: the heads package's segmenter bench (packages/heads/src/bench/segmenter.bench.ts), which
// times PyTorch (torchvision / smp over timm) on the same image and weights in the same process run.
async function segmenterBench(o, notes) {
  const script = path.join(here, '..', '..', 'packages', 'heads', 'dist', 'bench', 'segmenter.bench.js');
  if (!existsSync(script)) {
    notes.push(`segmenters: ${path.relative(process.cwd(), script)} missing (run npm run build)`);
    return [];
  }
  process.stderr.write('segmenters: segmenter.bench.js\n');
  const backends = o.backends.includes('wasm') ? ['wasm'] : o.backends.filter((b) => b !== 'cpu');
  if (!backends.length) return [];
  const r = await runLines(process.execPath, [script, '--repeats', String(o.iters), '--backends', backends.join(','), ...(o.torch ? [] : ['--no-torch'])], { TFVISION_WASM_THREADS: String(o.threads) }, o.limit);
  if (r.timedOut) notes.push('segmenters: stopped after --limit; figures missing below were not reached');
  if (r.code !== 0) notes.push(`segmenters: segmenter.bench.js exited with ${r.code}: ${r.stderr.split('\n').slice(-1)[0]}`);
  for (const rec of r.records) if (typeof rec.pytorch === 'string') notes.push(`segmenters: ${rec.name}: PyTorch ${rec.pytorch}`);
  for (const rec of r.records) if (rec.unavailable) notes.push(`segmenters: ${rec.backend}: skipped, ${rec.unavailable}`);
  return r.records;
}

// Ratio = ours / PyTorch images per second (the issue's direction, target >= 0.5), as the detectors' table.
function printSegmenters(rows) {
  const ips = (v) => (v === undefined ? '—' : v >= 1 ? v.toFixed(2) : v.toFixed(3));
  const ref = (d) => (typeof d.pytorch === 'object' ? d.pytorch : undefined);
  console.log('\nSegmenters at 512x512, batch 1, images/s (hash weights on both sides; ratio = tfvision / PyTorch, target >= 0.5)');
  console.log(
    table(
      ['model', 'backend', 'tfvision img/s', 'PyTorch img/s', 'ratio tfvision/PyTorch', 'reference', 'load avg'],
      rows.map((d) => [d.name, d.backend, ips(d.imagesPerSecond), ips(ref(d)?.imagesPerSecond), d.ratio === undefined ? '—' : d.ratio.toFixed(2), ref(d)?.reference ?? '—', d.loadAverage.map((l) => l.toFixed(1)).join(' ')]),
    ),
  );
}

main().catch((err) => {
  console.error(err.message);
  process.exit(1);
});
