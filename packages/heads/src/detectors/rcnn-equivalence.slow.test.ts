/**
 * All six R-CNN presets with a torchvision reference against fixtures/rcnn (tools/reference/
 * rcnn.py, rcnn_timm.py): the four torchvision models and torchvision's Faster/Mask R-CNN over
 * timm's resnest50d and efficientnet_b0 bodies, with issue #14's criteria
 * (__tests__/rcnn-equivalence-checks.ts), and logs the figures; then reruns the generators
 * (skipped, with the reason, without /usr/bin/python3 + torchvision, or for the timm bodies
 * without TIMM_SRC) and checks they reproduce the committed fixtures. About 2 minutes on wasm
 * plus 4 of Python; the default suite runs two presets.
 * Run: TFVISION_SLOW=1 TIMM_SRC=/tmp/timm_src npx jest packages/heads/src/detectors/rcnn-equivalence.slow.test.ts
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@tfvision/nn';
import { readHeadsFixture } from '../testing/fixture-compare.js';
import { referenceDifferences } from '../testing/reference-drift.js';
import { decodeMasks, describeRcnnEquivalence, MIN_IOU, type EncodedMasks, type EquivalenceFigures, type RcnnFixture } from './__tests__/rcnn-equivalence-checks.js';

const PRESETS = ['fasterrcnn_resnet50_fpn', 'maskrcnn_resnet50_fpn', 'fasterrcnn_resnet50_fpn_v2', 'maskrcnn_resnet50_fpn_v2', 'maskrcnn_resnest50d_fpn', 'fasterrcnn_efficientnet_b0_fpn'];
const figures: Record<string, EquivalenceFigures> = {};

beforeAll(async () => {
  await initBackend({ backend: process.env.TFVISION_EQUIV_BACKEND ?? 'wasm', report: false });
});
afterAll(() => {
  console.log(`rcnn equivalence figures: ${JSON.stringify(figures)}`);
});

for (const name of PRESETS) describeRcnnEquivalence(name, (n, f) => (figures[n] = f));

// The generators, rerun into a temporary folder, must reproduce the committed fixtures. torch's CPU
// kernels differ between machines (reference-drift.ts), so: labels, counts and structure exactly,
// boxes, scores and losses within REFERENCE_DRIFT, pasted masks (probabilities stored as uint8)
// within one level, where a probability near a rounding edge moved across it. float32Noise is
// torch's float32 error on the machine that ran it; a fresh one must exist where the committed one
// does and stay inside the IoU bound the equivalence checks apply.
const PYTHON = '/usr/bin/python3';
const TOOLS = join(__dirname, '..', '..', 'tools', 'reference');
const probe = spawnSync(PYTHON, ['-c', 'import torch, torchvision'], { encoding: 'utf8' });
const noTorch = probe.error ? `${PYTHON} not found` : probe.status !== 0 ? `${PYTHON} cannot import torch and torchvision` : '';
// timm is never installed or committed: TIMM_SRC names an unpacked timm source (rcnn_timm.py's docstring).
const timmSrc = process.env.TIMM_SRC;
const noTimm = !timmSrc ? 'TIMM_SRC is not set' : spawnSync(PYTHON, ['-c', 'import timm'], { env: { ...process.env, PYTHONPATH: timmSrc } }).status !== 0 ? `timm does not import from ${timmSrc}` : '';

function generated(dir: string, script: string, env: NodeJS.ProcessEnv = process.env): void {
  const run = spawnSync(PYTHON, [join(TOOLS, script), '--out', dir], { cwd: TOOLS, encoding: 'utf8', env });
  if (run.status !== 0) throw new Error(`${script} failed:\n${run.stderr}`);
}

function maskLevelsApart(fresh: EncodedMasks[] | undefined, committed: EncodedMasks[] | undefined): string[] {
  if (!fresh || !committed) return fresh === committed ? [] : ['pastedMasks present in one file only'];
  if (fresh.length !== committed.length) return [`${fresh.length} pasted mask sets against ${committed.length}`];
  return fresh.flatMap((m, i) => {
    if (m.shape.join() !== committed[i].shape.join()) return [`pastedMasks[${i}]: shape [${m.shape}] against [${committed[i].shape}]`];
    const [a, b] = [decodeMasks(m), decodeMasks(committed[i])];
    let worst = 0;
    for (let p = 0; p < a.length; p++) worst = Math.max(worst, Math.abs(a[p] - b[p]));
    return worst > 1 ? [`pastedMasks[${i}]: a pixel ${worst} levels apart`] : [];
  });
}

function expectSameReference(dir: string, file: string): void {
  const fresh = JSON.parse(readFileSync(join(dir, file), 'utf8')) as Partial<RcnnFixture> & Record<string, unknown>;
  const committed = readHeadsFixture<Partial<RcnnFixture> & Record<string, unknown>>(`rcnn/${file}`);
  for (const key of ['detections', 'models']) expect({ file, key, differences: referenceDifferences(fresh[key], committed[key]) }).toEqual({ file, key, differences: [] });
  expect({ file, masks: maskLevelsApart(fresh.pastedMasks, committed.pastedMasks) }).toEqual({ file, masks: [] });
  const [noise, committedNoise] = [fresh.float32Noise, committed.float32Noise];
  expect({ file, noise: noise === undefined, worstIou: noise?.worstIou === null }).toEqual({ file, noise: committedNoise === undefined, worstIou: committedNoise?.worstIou === null });
  if (noise?.worstIou != null) expect(noise.worstIou).toBeGreaterThanOrEqual(MIN_IOU);
}

(noTorch ? describe.skip : describe)(`the generators reproduce fixtures/rcnn${noTorch ? ` (skipped: ${noTorch})` : ''}`, () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'rcnn-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('rcnn.py: the four torchvision models and training.json', () => {
    generated(dir, 'rcnn.py');
    for (const name of PRESETS.slice(0, 4)) expectSameReference(dir, `${name}.json`);
    expectSameReference(dir, 'training.json');
  }, 900_000);

  (noTimm ? it.skip : it)(`rcnn_timm.py: the timm-body presets${noTimm ? ` (skipped: ${noTimm})` : ''}`, () => {
    generated(dir, 'rcnn_timm.py', { ...process.env, PYTHONPATH: timmSrc });
    for (const name of PRESETS.slice(4)) expectSameReference(dir, `${name}.json`);
  }, 900_000);
});
