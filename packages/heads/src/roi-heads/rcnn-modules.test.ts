import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type Module } from '@tfvision/nn';
import { RpnHead } from '../rpn/rpn-head.js';
import { ConvFcHead, TwoMlpHead } from './box-head.js';
import { FastRcnnPredictor } from './box-predictor.js';
import { MaskRcnnHeads, MaskRcnnPredictor } from './mask-head.js';
import { fillHashWeights } from '../testing/hash-weights.js';
import { hashInput, readHeadsFixture, relativeError, type StoredTensor } from '../testing/fixture-compare.js';

interface ModuleCase {
  name: string;
  keys: string[];
  inputs: number[][];
  outputs: StoredTensor[];
}

// Made by tools/reference/rcnn_modules.py (torchvision's head modules on hash weights).
const fixture = readHeadsFixture<{ channels: number; cases: ModuleCase[] }>('rcnn-modules.json');
const C = fixture.channels;

const BUILD: Record<string, () => { module: Module; run: (inputs: tf.Tensor[]) => tf.Tensor[] }> = {
  rpn_head_depth1: () => rpn(1),
  rpn_head_depth2: () => rpn(2),
  two_mlp_head: () => single(new TwoMlpHead({ inChannels: C, resolution: 7, representationSize: 32 })),
  conv_fc_head: () => single(new ConvFcHead({ inChannels: C, resolution: 7, convChannels: [C, C], representationSize: 32 })),
  fast_rcnn_predictor: () => {
    const m = new FastRcnnPredictor({ inFeatures: 32, numClasses: 5 });
    return { module: m, run: ([x]) => Object.values(m.forward(x as tf.Tensor2D)) };
  },
  mask_heads_none: () => single(new MaskRcnnHeads({ inChannels: C, layers: [C, C] })),
  mask_heads_bn: () => single(new MaskRcnnHeads({ inChannels: C, layers: [C, C], norm: 'bn' })),
  mask_predictor: () => single(new MaskRcnnPredictor({ inChannels: C, dimReduced: 8, numClasses: 5 })),
};

function rpn(depth: number) {
  const m = new RpnHead({ inChannels: C, numAnchors: 3, convDepth: depth });
  return {
    module: m,
    run: (xs: tf.Tensor[]) => {
      const out = m.forward(xs as tf.Tensor4D[]);
      return [...out.objectness, ...out.deltas];
    },
  };
}

function single(m: Module & { forward(x: tf.Tensor4D): tf.Tensor }) {
  return { module: m, run: ([x]: tf.Tensor[]) => [m.forward(x as tf.Tensor4D)] };
}

beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
});

describe('R-CNN head modules equal torchvision', () => {
  for (const c of fixture.cases) {
    it(`${c.name}: checkpoint names and outputs`, () => {
      const { module, run } = BUILD[c.name]();
      expect([...module.stateDict().keys()].sort()).toEqual([...c.keys].sort());
      fillHashWeights(module);
      module.eval();
      const inputs = c.inputs.map((shape, i) => hashInput(c.inputs.length > 1 ? `${c.name.replace('rpn_head_depth', 'rpn')}.${i}` : c.name, shape));
      const before = tf.memory().numTensors;
      const outputs = run(inputs);
      expect(outputs.map((o) => o.shape)).toEqual(c.outputs.map((o) => o.shape));
      outputs.forEach((o, i) => expect(relativeError(o, c.outputs[i])).toBeLessThan(1e-5));
      tf.dispose(outputs);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose(inputs);
      module.dispose();
    });
  }
});
