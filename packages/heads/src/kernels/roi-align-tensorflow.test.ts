import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { caseFeatures, caseRois, decodeFloat32, readRoiAlignFixture, relativeError } from '../ops/roi-align-fixture.js';
import { RoiAlign, RoiAlignGrad, type RoiAlignAttrs } from './roi-align-attrs.js';
import { registerHeadsKernels } from './register-heads-kernels.js';
import { roiAlignComposite, roiAlignGradComposite, roiAlignGradTensorflow, roiAlignTensorflow } from './roi-align-tensorflow.js';

const fixture = readRoiAlignFixture(join(__dirname, '..', '..', 'fixtures', 'roi-align.json'));

// tfjs-node is not installed here: the composite (tfjs ops only) runs on the cpu backend.
beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
});

const attrsOf = (c: (typeof fixture.roiAlign)[number]): RoiAlignAttrs => ({
  pooledHeight: c.outputSize[0],
  pooledWidth: c.outputSize[1],
  spatialScale: c.spatialScale,
  samplingRatio: c.samplingRatio,
  aligned: c.aligned,
  roiLevels: [],
  level: -1,
});

describe('roiAlign composite for the tensorflow backend', () => {
  it.each(fixture.roiAlign.map((c) => [c.name, c] as const))('%s: equals torchvision, in one chunk and in many', (_, c) => {
    const x = caseFeatures(c);
    const rois = caseRois(c);
    const dy = tf.tensor4d(decodeFloat32(c.dy), c.outputShape as [number, number, number, number]);
    const before = tf.memory().numTensors;
    // 2000 elements per chunk splits every case into several chunks.
    for (const chunkElements of [undefined, 2000]) {
      const out = roiAlignComposite(x, rois, attrsOf(c), chunkElements);
      const grad = roiAlignGradComposite(dy, rois, attrsOf(c), c.featuresShape, chunkElements);
      expect(out.shape).toEqual(c.outputShape);
      expect(relativeError(out.dataSync(), decodeFloat32(c.output))).toBeLessThan(1e-5);
      expect(relativeError(grad.dataSync(), decodeFloat32(c.grad))).toBeLessThan(1e-5);
      tf.dispose([out, grad]);
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, rois, dy]);
  });

  it('runs as kernels that hand back one tensor and keep nothing else', () => {
    const c = fixture.roiAlign[0];
    const x = caseFeatures(c);
    const rois = caseRois(c);
    const dy = tf.tensor4d(decodeFloat32(c.dy), c.outputShape as [number, number, number, number]);
    const backend = tf.backend();
    const before = tf.memory().numTensors;
    const out = roiAlignTensorflow({ inputs: { x, rois }, attrs: attrsOf(c) as unknown as tf.NamedAttrMap, backend }) as unknown as tf.Tensor;
    const grad = roiAlignGradTensorflow({ inputs: { dy, rois }, attrs: { ...attrsOf(c), inputShape: c.featuresShape } as unknown as tf.NamedAttrMap, backend }) as unknown as tf.Tensor;
    expect(tf.memory().numTensors).toBe(before + 2);
    expect(relativeError(out.dataSync(), decodeFloat32(c.output))).toBeLessThan(1e-5);
    expect(relativeError(grad.dataSync(), decodeFloat32(c.grad))).toBeLessThan(1e-5);
    tf.dispose([out, grad, x, rois, dy]);
  });

  it('pools only the RoIs of attrs.level when attrs.roiLevels is given, as the cpu kernel', () => {
    const c = fixture.roiAlign[0];
    const x = caseFeatures(c);
    const rois = caseRois(c);
    const numRois = rois.shape[0];
    const roiLevels = Array.from({ length: numRois }, (_, k) => k % 3);
    const a = { ...attrsOf(c), roiLevels, level: 1 };
    const dy = tf.tensor4d(decodeFloat32(c.dy), c.outputShape as [number, number, number, number]);
    const kernel = (name: string, inputs: tf.NamedTensorMap, attrs: object) => tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor;
    registerHeadsKernels();
    const out = roiAlignComposite(x, rois, a, 1);
    const grad = roiAlignGradComposite(dy, rois, a, c.featuresShape, 1);
    expect(relativeError(out.dataSync(), kernel(RoiAlign, { x, rois }, a).dataSync())).toBeLessThan(1e-6);
    expect(relativeError(grad.dataSync(), kernel(RoiAlignGrad, { dy, rois }, { ...a, inputShape: c.featuresShape }).dataSync())).toBeLessThan(1e-6);
    const rowSize = out.size / numRois;
    const values = out.dataSync();
    for (let k = 0; k < numRois; k++) if (k % 3 !== 1) expect(values.subarray(k * rowSize, (k + 1) * rowSize).every((v) => v === 0)).toBe(true);
  });

  it('gives empty and zero results for no RoIs', () => {
    const x = tf.ones([1, 3, 3, 2]) as tf.Tensor4D;
    const none = tf.zeros([0, 5]) as tf.Tensor2D;
    const a: RoiAlignAttrs = { pooledHeight: 2, pooledWidth: 2, spatialScale: 1, samplingRatio: 0, aligned: false, roiLevels: [], level: -1 };
    expect(roiAlignComposite(x, none, a).shape).toEqual([0, 2, 2, 2]);
    expect(Array.from(roiAlignGradComposite(tf.zeros([0, 2, 2, 2]), none, a, [1, 3, 3, 2]).dataSync())).toEqual(new Array(18).fill(0));
  });
});
