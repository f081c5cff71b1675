import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, initBackend, readSafetensors, type TensorMap } from '@tfvision/nn';
import { createDetector } from './registry.js';
import { CLASS_DEPENDENT_KEYS, checkpointNumClasses, detectorStateDict, exportDetectorCheckpoint, loadDetectorCheckpoint } from './checkpoint.js';
import { fillHashWeights } from '../testing/hash-weights.js';
import { readHeadsFixture } from '../testing/fixture-compare.js';
import { rcnnImage } from '../testing/rcnn-images.js';
import type { ConfigOverrides } from './override-config.js';
import type { RcnnConfig } from './rcnn-config.js';
import type { GeneralizedRcnn } from './generalized-rcnn.js';

beforeAll(async () => {
  // wasm: a detector forward takes ~0.2 s there and seconds on the JS cpu backend.
  await initBackend({ backend: 'wasm', report: false });
});

/** Small heads over resnet18 so a whole detector runs in well under a second on 64x96 images. */
function tiny(name = 'maskrcnn_resnet18_fpn', extra: ConfigOverrides<RcnnConfig> = {}): GeneralizedRcnn {
  const mask = { poolSize: 14, samplingRatio: 2, layers: [8, 8], norm: 'none' as const, dimReduced: 8 };
  return createDetector(name, {
    numClasses: 5,
    neck: { outChannels: 16 },
    rpn: { preNmsTopN: { training: 60, testing: 60 }, postNmsTopN: { training: 30, testing: 30 } },
    roiHeads: { representationSize: 32, scoreThresh: 0, detectionsPerImg: 12, ...(name.startsWith('mask') ? { mask } : {}) },
    transform: { minSize: [64], maxSize: 96 },
    ...extra,
  }).eval();
}

const IMAGES = [
  { name: 'image0', shape: [3, 70, 90] as const, rects: [[10, 12, 40, 50, 0.9, 0.2, 0.1], [50, 20, 85, 60, 0.1, 0.8, 0.3]] },
  { name: 'image1', shape: [3, 88, 60] as const, rects: [[5, 30, 50, 80, 0.3, 0.3, 0.9]] },
];

interface HostDetections {
  boxes: number[];
  scores: number[];
  labels: number[];
  masks?: number[];
}

function detectHost(model: GeneralizedRcnn, images: tf.Tensor3D[]): HostDetections[] {
  const dets = model.predict(images);
  const out = dets.map((d) => ({ boxes: Array.from(d.boxes.dataSync()), scores: Array.from(d.scores.dataSync()), labels: Array.from(d.labels.dataSync()), ...(d.masks ? { masks: Array.from(d.masks.dataSync()) } : {}) }));
  for (const d of dets) tf.dispose([d.boxes, d.scores, d.labels, ...(d.masks ? [d.masks] : [])]);
  return out;
}

function tmpFile(name: string): string {
  return path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tfv-det-ckpt-')), name);
}

describe('exportDetectorCheckpoint -> loadDetectorCheckpoint', () => {
  let source: GeneralizedRcnn;
  let images: tf.Tensor3D[];
  let file: string;

  beforeAll(async () => {
    source = tiny();
    fillHashWeights(source);
    images = IMAGES.map((s) => rcnnImage(s));
    file = tmpFile('maskrcnn.safetensors');
    await exportDetectorCheckpoint(source, file, { model: 'maskrcnn_resnet18_fpn' });
  });
  afterAll(() => {
    source.dispose();
    tf.dispose(images);
  });

  it('round-trips every tensor exactly and gives identical detections and masks, without leaks', async () => {
    const { tensors, metadata } = readSafetensors(file);
    expect(metadata).toEqual({ format: 'pt', model: 'maskrcnn_resnet18_fpn' });
    const fresh = tiny();
    const before = tf.memory().numTensors;
    const result = loadDetectorCheckpoint(fresh, file);
    expect(tf.memory().numTensors).toBe(before);
    expect(result.missing).toEqual([]);
    expect(result.unexpected).toEqual([]);
    expect(result.loaded.length).toBe(tensors.size);
    expect(result.notes).toEqual([]);
    const want = await detectorStateDict(source);
    const got = await detectorStateDict(fresh);
    expect([...got.keys()]).toEqual([...want.keys()]);
    for (const [k, t] of want) expect({ k, same: Buffer.compare(Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength), Buffer.from(got.get(k)!.data.buffer, got.get(k)!.data.byteOffset, got.get(k)!.data.byteLength)) === 0 }).toEqual({ k, same: true });

    const a = detectHost(source, images);
    const b = detectHost(fresh, images);
    expect(a[0].scores.length).toBe(12);
    expect(a[0].masks?.length).toBe(12 * 70 * 90);
    expect(b).toEqual(a);
    fresh.dispose();
  });

  it('accepts FrozenBatchNorm files without num_batches_tracked and strips a DDP "module." prefix', () => {
    const { tensors } = readSafetensors(file);
    const frozen: TensorMap = new Map([...tensors].filter(([k]) => !k.endsWith('num_batches_tracked')).map(([k, t]) => [`module.${k}`, t]));
    expect(tensors.size - frozen.size).toBe(20); // resnet18's BatchNorms
    const fresh = tiny();
    const r = loadDetectorCheckpoint(fresh, frozen, { source: 'frozen.safetensors' });
    expect(r.defaulted.length).toBe(20);
    expect(r.defaulted.every((k) => k.startsWith('backbone.body.') && k.endsWith('.num_batches_tracked'))).toBe(true);
    expect(r.notes).toEqual(['stripped the "module." prefix from every key']);
    fresh.dispose();
  });

  it("frozenBnEps 'torchvision-coco' sets eps 0 on the backbone's BatchNorms only, and the detections follow", () => {
    const fresh = tiny();
    const r = loadDetectorCheckpoint(fresh, file, { frozenBnEps: 'torchvision-coco' });
    const bns = fresh.backbone.body.namedModules().filter(([, m]) => m instanceof BatchNorm2d) as [string, BatchNorm2d][];
    expect(bns.length).toBe(20);
    expect(bns.every(([, m]) => m.eps === 0)).toBe(true);
    expect(r.notes).toEqual(["set eps 0 on the 20 FrozenBatchNorm layers of backbone.body (torchvision's overwrite_eps for its COCO_V1 weights)"]);
    // eps 1e-5 against running variances of 1.0..1.5 moves features by ~5e-6 relative: scores differ, labels/boxes mostly not.
    const withEps = detectHost(fresh, images);
    const base = detectHost(source, images);
    expect(withEps[0].scores).not.toEqual(base[0].scores);
    const maxDiff = Math.max(...withEps[0].scores.map((s, i) => Math.abs(s - base[0].scores[i])));
    expect(maxDiff).toBeLessThan(1e-3);
    fresh.dispose();
    const v2 = createDetector('fasterrcnn_resnet50_fpn_v2', { numClasses: 3 });
    expect(() => loadDetectorCheckpoint(v2, new Map(), { frozenBnEps: 'torchvision-coco' })).toThrow(/frozenBnEps 'torchvision-coco' is torchvision's rule for FrozenBatchNorm backbones .*backbone norm is "bn"/);
    v2.dispose();
  });

  it('a classifier of another class count is a mismatch, or with classifier "auto" is dropped with a note', () => {
    const { tensors } = readSafetensors(file);
    expect(checkpointNumClasses(tensors)).toBe(5);
    const seven = tiny('maskrcnn_resnet18_fpn', { numClasses: 7 });
    expect(() => loadDetectorCheckpoint(seven, file)).toThrow(
      /6 mismatched \[roi_heads\.box_predictor\.cls_score\.weight: PyTorch shape \[5, 32\] does not match \[7, 32\].*the checkpoint has 5 classes \(background included\), the model 7: build it with numClasses 5, or pass classifier 'auto'/,
    );
    const before = seven.roiHeads.boxPredictor.clsScore.weight.dataSync().slice();
    const r = loadDetectorCheckpoint(seven, file, { classifier: 'auto' });
    expect(r.dropped).toEqual(CLASS_DEPENDENT_KEYS);
    expect(r.defaulted).toEqual(expect.arrayContaining([...CLASS_DEPENDENT_KEYS]));
    expect(r.notes[0]).toMatch(/^dropped the checkpoint's class-dependent layers \(roi_heads\.box_predictor\.cls_score\.weight, .*\): it has 5 classes, the model 7; the model's own are kept$/);
    expect(Array.from(seven.roiHeads.boxPredictor.clsScore.weight.dataSync())).toEqual(Array.from(before));
    // conv5_mask does not depend on the class count: it loads.
    expect(Array.from(seven.roiHeads.maskPredictor!.conv5Mask.bias!.dataSync())).toEqual(Array.from(source.roiHeads.maskPredictor!.conv5Mask.bias!.dataSync()));
    seven.dispose();
  });

  it('a Mask R-CNN file into a Faster R-CNN (and a file of another backbone) is one line naming the keys and the cause', () => {
    const faster = tiny('fasterrcnn_resnet18_fpn');
    let message = '';
    try {
      loadDetectorCheckpoint(faster, file);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message.split('\n').length).toBe(1);
    expect(message).toMatch(/^.*maskrcnn\.safetensors: state dict does not match GeneralizedRcnn \(strict load, nothing assigned\): 8 unexpected \[roi_heads\.mask_head\.0\.0\.bias, roi_heads\.mask_head\.0\.0\.weight, /);
    expect(message).toMatch(/the checkpoint is a Mask R-CNN's \(it has roi_heads\.mask_\*\), the model a Faster R-CNN: use the maskrcnn_\* preset$/);
    faster.dispose();
    const other = tiny('maskrcnn_resnet34_fpn');
    expect(() => loadDetectorCheckpoint(other, file)).toThrow(/80 missing \[backbone\.body\.layer1\.2\.conv1\.weight, .*\.\.\. 60 more\]; backbone\.body: 120 of the checkpoint's 120 keys are among the 216 of this model's backbone \(resnet34\): the checkpoint is for another backbone$/);
    other.dispose();
  });
});

interface KeysFixture {
  stateDictKeys: { name: string; shape: number[] }[];
}

// The Faster R-CNN files are these minus the mask branch; v2 adds BN in the FPN, RPN and heads.
describe.each(['maskrcnn_resnet50_fpn', 'maskrcnn_resnet50_fpn_v2'])('%s', (name) => {
  it("exports torchvision's state dict keys with torchvision's PyTorch shapes", async () => {
    const { stateDictKeys } = readHeadsFixture<KeysFixture>(`rcnn/${name}.json`);
    const model = createDetector(name);
    const exported = await detectorStateDict(model);
    model.dispose();
    // torchvision's order is module registration order; ours lists parameters before buffers.
    const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
    const ours = [...exported].map(([k, t]) => ({ name: k, shape: t.shape })).sort(byName);
    expect(ours).toEqual([...stateDictKeys].sort(byName));
  });
});
