import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { batchedNms, batchedNmsIndices, CPU_VANILLA_ABOVE_NUMEL, CUDA_VANILLA_ABOVE_NUMEL } from './batched-nms.js';
import { syntheticDetections } from '../bench/synthetic-detections.js';
import { f32, loadBoxOpsFixture } from './__tests__/box-fixture.js';
import { checkBatchedNms, checkSyntheticBatchedNms } from './__tests__/box-checks.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
});

const fixture = loadBoxOpsFixture();

describe('batchedNms against torchvision 0.14 (CPU)', () => {
  it('stored cases: 300 clustered boxes over class ids up to 90 (both paths) and the empty case', () => {
    checkBatchedNms(fixture.batchedNms);
  });

  it('regenerated cases: 1000 boxes (last coordinate-trick size), 1001, 5000 x 80 classes, 4500 x 3, 2000 x 1, 1500 x 400, both paths each', () => {
    checkSyntheticBatchedNms(fixture.syntheticBatchedNms);
  });

  it('the two paths keep the same boxes in a different order, so the switch matters', () => {
    const c = fixture.syntheticBatchedNms.find((s) => s.n === 5000);
    expect(c).toBeDefined();
    const { keepVanilla = [], keepCoordinateTrick } = c!;
    expect(keepVanilla).not.toEqual(keepCoordinateTrick);
    expect([...keepVanilla].sort((a, b) => a - b)).toEqual([...keepCoordinateTrick].sort((a, b) => a - b));
  });

  it('vanillaAboveNumel picks the path: 0 forces per-class, Infinity forces the coordinate trick', () => {
    expect(CPU_VANILLA_ABOVE_NUMEL).toBe(4000);
    expect(CUDA_VANILLA_ABOVE_NUMEL).toBe(20000);
    const small = fixture.batchedNms[0];
    const b = f32(small.boxes);
    const s = f32(small.scores);
    const k = Int32Array.from(small.classes);
    expect(Array.from(batchedNmsIndices(b, s, k, small.iouThreshold, { vanillaAboveNumel: 0 }))).toEqual(small.keepVanilla);
    const big = fixture.syntheticBatchedNms.find((c) => c.n === 5000)!;
    const d = syntheticDetections(big.seed, big.n, big.numClasses, { scoreLevels: big.scoreLevels });
    expect(Array.from(batchedNmsIndices(d.boxes, d.scores, d.classes, big.iouThreshold, { vanillaAboveNumel: Infinity }))).toEqual(big.keepCoordinateTrick);
  });
});

describe('batchedNms by hand', () => {
  it('suppresses only within a class', () => {
    const boxes = new Float32Array([0, 0, 10, 10, 0, 0, 10, 10, 0, 0, 10, 10]);
    const scores = new Float32Array([0.9, 0.8, 0.7]);
    expect(Array.from(batchedNmsIndices(boxes, scores, new Int32Array([0, 1, 0]), 0.5))).toEqual([0, 1]);
    expect(Array.from(batchedNmsIndices(boxes, scores, new Int32Array([0, 1, 0]), 0.5, { vanillaAboveNumel: 0 }))).toEqual([0, 1]);
  });

  it('maxKeep gives the first maxKeep indices on both paths (torchvision keep[:post_nms_top_n])', () => {
    for (const [n, vanillaAboveNumel] of [[900, undefined], [900, 0], [1500, undefined]] as const) {
      const d = syntheticDetections(3, n, 5);
      const full = Array.from(batchedNmsIndices(d.boxes, d.scores, d.classes, 0.5, { vanillaAboveNumel }));
      expect(full.length).toBeGreaterThan(40);
      for (const k of [0, 3, 40, full.length + 1]) expect(Array.from(batchedNmsIndices(d.boxes, d.scores, d.classes, 0.5, { vanillaAboveNumel, maxKeep: k }))).toEqual(full.slice(0, k));
    }
    expect(() => batchedNmsIndices(new Float32Array(4), new Float32Array(1), new Int32Array(1), 0.5, { maxKeep: NaN })).toThrow('batchedNms: maxKeep must be a whole number >= 0 or Infinity, got NaN');
  });

  it('accepts float32 class ids holding integers', () => {
    const keep = batchedNms(tf.tensor2d([[0, 0, 1, 1], [0, 0, 1, 1]]), tf.tensor1d([0.5, 0.6]), tf.tensor1d([3, 4], 'float32'), 0.5);
    expect(Array.from(keep.dataSync())).toEqual([1, 0]);
  });
});

describe('input checks', () => {
  it('names the op, the argument and the bad value', () => {
    const b = tf.zeros([2, 4]) as tf.Tensor2D;
    const s = tf.zeros([2]) as tf.Tensor1D;
    expect(() => batchedNms(b, s, tf.tensor1d([0, 1], 'int32'), NaN)).toThrow('batchedNms: iouThreshold must be a number, got NaN');
    expect(() => batchedNms(b, s, tf.tensor1d([0, 1, 2], 'int32'), 0.5)).toThrow('batchedNms: idxs must have shape [2], got [3]');
    expect(() => batchedNms(b, s, tf.tensor1d([0, 1.5]), 0.5)).toThrow('batchedNms: idxs must hold integer class ids, got 1.5 at 1');
    expect(() => batchedNms(tf.zeros([2, 3]) as tf.Tensor2D, s, tf.tensor1d([0, 1], 'int32'), 0.5)).toThrow('batchedNms: boxes must have shape [N, 4], got [2, 3]');
  });
});

describe('tensor leaks', () => {
  it('batchedNms leaves only its result', () => {
    const b = tf.tensor2d([[0, 0, 2, 2], [1, 1, 3, 3]]);
    const s = tf.tensor1d([0.3, 0.4]);
    const k = tf.tensor1d([1, 1], 'int32');
    const before = tf.memory().numTensors;
    const keep = batchedNms(b, s, k, 0.1);
    expect(tf.memory().numTensors).toBe(before + 1);
    keep.dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([b, s, k]);
  });
});
