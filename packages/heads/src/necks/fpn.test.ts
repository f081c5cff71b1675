import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { FeaturePyramidNetwork } from './fpn.js';
import { fillHashWeights, hashUniform } from '../testing/hash-weights.js';

interface FpnCase {
  norm: 'none' | 'bn';
  stateDictKeys: { name: string; shape: number[] }[];
  inputs: Record<string, number[]>;
  outputs: Record<string, { shape: number[]; values: number[] }>;
}
interface FpnFixture {
  inChannels: number[];
  outChannels: number;
  cases: FpnCase[];
}

// Made by tools/reference/fpn.py (torchvision's FeaturePyramidNetwork + LastLevelMaxPool).
const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', 'fixtures', 'fpn.json'), 'utf8')) as FpnFixture;
// torchvision names its outputs after the input keys, plus 'pool'.
const TORCHVISION_NAMES: Record<string, string> = { p2: 'c2', p3: 'c3', p4: 'c4', p5: 'c5', p6: 'pool' };

/** The generator's input: hash values in NCHW order, as NHWC. */
function hashInput(name: string, nchw: number[]): tf.Tensor4D {
  const [n, c, h, w] = nchw;
  return tf.tidy(() => tf.transpose(tf.tensor4d(Float32Array.from(hashUniform(name, n * c * h * w)), [n, c, h, w]), [0, 2, 3, 1]));
}

beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
});

describe('FeaturePyramidNetwork equals torchvision', () => {
  for (const c of fixture.cases) {
    it(`norm ${c.norm}: names, shapes and every output value (odd sizes, pool level)`, () => {
      const fpn = new FeaturePyramidNetwork({ inFeatures: ['c2', 'c3', 'c4', 'c5'], inChannels: fixture.inChannels, outChannels: fixture.outChannels, norm: c.norm });
      expect([...fpn.stateDict().keys()].sort()).toEqual(c.stateDictKeys.map((k) => k.name).sort());
      fillHashWeights(fpn);
      fpn.eval();
      const inputs = Object.fromEntries(Object.entries(c.inputs).map(([k, shape]) => [k, hashInput(`input.${k}`, shape)]));
      const before = tf.memory().numTensors;
      const out = fpn.forward(inputs);
      expect(Object.keys(out)).toEqual(['p2', 'p3', 'p4', 'p5', 'p6']);
      for (const [name, y] of Object.entries(out)) {
        const ref = c.outputs[TORCHVISION_NAMES[name]];
        expect(y.shape).toEqual(ref.shape);
        const got = y.dataSync();
        const scale = Math.max(...ref.values.map(Math.abs));
        let worst = 0;
        ref.values.forEach((v, i) => {
          worst = Math.max(worst, Math.abs(got[i] - v));
        });
        expect(worst / scale).toBeLessThan(1e-5);
      }
      tf.dispose(Object.values(out));
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose(Object.values(inputs));
      fpn.dispose();
    });
  }

  it('names missing levels and wrong channels', () => {
    const fpn = new FeaturePyramidNetwork({ inFeatures: ['c3', 'c4'], inChannels: [4, 8], outChannels: 4 });
    const x = tf.zeros([1, 4, 4, 4]) as tf.Tensor4D;
    expect(() => fpn.forward({ c3: x })).toThrow('FeaturePyramidNetwork: input level "c4" missing (got c3)');
    expect(() => fpn.forward({ c3: x, c4: x })).toThrow('FeaturePyramidNetwork: level "c4" has 4 channels, expected 8');
    expect(() => new FeaturePyramidNetwork({ inFeatures: ['c3'], inChannels: [4, 8] })).toThrow('1 inFeatures');
    expect(() => new FeaturePyramidNetwork({ inFeatures: ['c3'], inChannels: [4], outChanels: 3 } as never)).toThrow('unknown option "outChanels"');
    expect(fpn.outFeatures).toEqual(['p3', 'p4', 'p5']);
    expect(fpn.outStrides([8, 16])).toEqual([8, 16, 32]);
    x.dispose();
    fpn.dispose();
  });
});
