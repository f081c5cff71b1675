import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import type { Conv2d } from '../layers/conv.js';
import { torchShapeOf } from '../state/torch-layout.js';
import { InvertedResidual, mobileConvPadding, mobileSeChannels, roundHalfEven } from './mbconv.js';
import { DepthwiseSeparableConv } from './depthwise-separable.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function arr(t: tf.Tensor): number[] {
  return Array.from(t.dataSync());
}

/** 1x1 conv weight c x c: sign times identity. */
function setIdentity1x1(conv: Conv2d, sign = 1): void {
  conv.weight.assign(tf.reshape(tf.mul(tf.eye(conv.inChannels, conv.outChannels), sign), [1, 1, conv.inChannels, conv.outChannels]));
}

/** Depthwise k x k weight with 1 at the centre tap: passes each channel through. */
function setCentreTap(conv: Conv2d): void {
  const [k] = conv.kernelSize;
  const w = tf.buffer([k, k, 1, conv.outChannels]);
  for (let c = 0; c < conv.outChannels; c++) w.set(1, (k - 1) / 2, (k - 1) / 2, 0, c);
  conv.weight.assign(w.toTensor());
}

const ramp = (n: number, h: number, w: number, c: number) => tf.tensor4d(Array.from({ length: n * h * w * c }, (_, i) => ((i * 7) % 11) - 5), [n, h, w, c]);

describe('helpers', () => {
  it('roundHalfEven is Python round()', () => {
    expect([0.5, 1.5, 2.5, 2.4999, 2.5001, 3].map(roundHalfEven)).toEqual([0, 2, 2, 2, 3, 3]);
  });

  it('SE width follows timm: ratio / expansion of the expanded width = ratio of the input', () => {
    expect(mobileSeChannels(0.25, 6, 96)).toBe(4);
    expect(mobileSeChannels(0.25, 6, 240)).toBe(10);
    expect(mobileSeChannels(0.25, 1, 32)).toBe(8);
  });

  it('pads as PyTorch ((s-1) + d(k-1)) / 2 or TF same', () => {
    expect([mobileConvPadding('pytorch', 3, 2, 1), mobileConvPadding('pytorch', 5, 2, 1), mobileConvPadding('pytorch', 5, 1, 2), mobileConvPadding('pytorch', 1, 1, 1)]).toEqual([1, 2, 4, 0]);
    expect(mobileConvPadding('same', 3, 2, 1)).toBe('same');
  });
});

describe('InvertedResidual', () => {
  it('has timm\'s names and shapes (16 -> 24, x6, k3, SE 0.25)', () => {
    const b = new InvertedResidual({ inChannels: 16, outChannels: 24, kernelSize: 3, stride: 2, expRatio: 6, seRatio: 0.25, act: 'silu' });
    const shapes = Object.fromEntries(b.namedParameters().map(([n, v]) => [n, torchShapeOf(v.shape)]));
    expect(shapes).toEqual({
      'conv_pw.weight': [96, 16, 1, 1],
      'bn1.weight': [96],
      'bn1.bias': [96],
      'conv_dw.weight': [96, 1, 3, 3],
      'bn2.weight': [96],
      'bn2.bias': [96],
      'se.conv_reduce.weight': [4, 96, 1, 1],
      'se.conv_reduce.bias': [4],
      'se.conv_expand.weight': [96, 4, 1, 1],
      'se.conv_expand.bias': [96],
      'conv_pwl.weight': [24, 96, 1, 1],
      'bn3.weight': [24],
      'bn3.bias': [24],
    });
    expect(b.namedBuffers().map(([n]) => n)).toContain('bn3.num_batches_tracked');
    expect(b.hasSkip).toBe(false);
    b.dispose();
  });

  it('activates after the expansion and depthwise convs, not after the projection, then adds the input', () => {
    // Identity expansion and depthwise, projection -I, BN identity (eval, eps 0), ReLU:
    // y = -relu(x) + x = min(x, 0). An activation after bn3 would give relu(-relu(x)) + x = x.
    const b = new InvertedResidual({ inChannels: 8, outChannels: 8, kernelSize: 3, expRatio: 1, act: 'relu', bnEps: 0 });
    setIdentity1x1(b.convPw);
    setCentreTap(b.convDw);
    setIdentity1x1(b.convPwl, -1);
    b.eval();
    const x = ramp(1, 3, 3, 8);
    expect(arr(b.forward(x))).toEqual(arr(x).map((v) => Math.min(v, 0)));
    b.dispose();
  });

  it('with noskip or a width change there is no residual', () => {
    const b = new InvertedResidual({ inChannels: 8, outChannels: 8, kernelSize: 3, expRatio: 1, act: 'identity', bnEps: 0, noskip: true });
    setIdentity1x1(b.convPw);
    setCentreTap(b.convDw);
    setIdentity1x1(b.convPwl);
    b.eval();
    const x = ramp(1, 2, 2, 8);
    expect(arr(b.forward(x))).toEqual(arr(x));
    b.dispose();
  });

  it('stride 2 picks even pixels with PyTorch padding and odd ones with TF same (6x6 input)', () => {
    const pick = (padding: 'pytorch' | 'same') => {
      const b = new InvertedResidual({ inChannels: 8, outChannels: 8, kernelSize: 3, stride: 2, expRatio: 1, act: 'identity', bnEps: 0, padding });
      setIdentity1x1(b.convPw);
      setCentreTap(b.convDw);
      setIdentity1x1(b.convPwl);
      b.eval();
      // Channel 0 holds the row index * 10 + column index.
      const x = tf.tensor4d(Array.from({ length: 36 }, (_, i) => [Math.floor(i / 6) * 10 + (i % 6), 0, 0, 0, 0, 0, 0, 0]).flat(), [1, 6, 6, 8]);
      const y = b.forward(x);
      expect(y.shape).toEqual([1, 3, 3, 8]);
      const out = arr(y).filter((_, i) => i % 8 === 0);
      b.dispose();
      return out;
    };
    expect(pick('pytorch')).toEqual([0, 2, 4, 20, 22, 24, 40, 42, 44]);
    expect(pick('same')).toEqual([11, 13, 15, 31, 33, 35, 51, 53, 55]);
  });
});

describe('DepthwiseSeparableConv', () => {
  it('has timm\'s names (32 -> 16, k3, SE 0.25 of the input)', () => {
    const b = new DepthwiseSeparableConv({ inChannels: 32, outChannels: 16, kernelSize: 3, seRatio: 0.25, act: 'silu' });
    expect(b.namedParameters().map(([n, v]) => `${n}:${torchShapeOf(v.shape).join('x')}`)).toEqual([
      'conv_dw.weight:32x1x3x3', 'bn1.weight:32', 'bn1.bias:32',
      'se.conv_reduce.weight:8x32x1x1', 'se.conv_reduce.bias:8', 'se.conv_expand.weight:32x8x1x1', 'se.conv_expand.bias:32',
      'conv_pw.weight:16x32x1x1', 'bn2.weight:16', 'bn2.bias:16',
    ]);
    b.dispose();
  });

  it('applies SE between the depthwise and pointwise convs: a zero excitation gates by 1/2', () => {
    const b = new DepthwiseSeparableConv({ inChannels: 4, outChannels: 4, kernelSize: 3, seRatio: 0.25, act: 'identity', bnEps: 0 });
    setCentreTap(b.convDw);
    setIdentity1x1(b.convPw);
    b.se!.convExpand.weight.assign(tf.zerosLike(b.se!.convExpand.weight));
    b.eval();
    const x = ramp(2, 3, 3, 4);
    // sigmoid(0) = 0.5: y = 0.5 x, plus the skip.
    expect(arr(b.forward(x))).toEqual(arr(x).map((v) => 1.5 * v));
    b.dispose();
  });

  it('drop path is registered (eval switches it off) and only where there is a skip', () => {
    const withSkip = new DepthwiseSeparableConv({ inChannels: 4, outChannels: 4, kernelSize: 3, dropPathRate: 0.5 });
    const noSkip = new DepthwiseSeparableConv({ inChannels: 4, outChannels: 8, kernelSize: 3, dropPathRate: 0.5 });
    expect(withSkip.namedModules().map(([n]) => n)).toContain('drop_path');
    expect(noSkip.dropPath).toBeUndefined();
    withSkip.eval();
    expect(withSkip.dropPath!.training).toBe(false);
    withSkip.dispose();
    noSkip.dispose();
  });

  it('rejects bad widths naming the field', () => {
    expect(() => new DepthwiseSeparableConv({ inChannels: 0, outChannels: 4, kernelSize: 3 })).toThrow('DepthwiseSeparableConv: inChannels must be a positive integer, got 0');
  });
});
