import * as tf from '@tensorflow/tfjs-core';
import { type ExplicitPadding2d } from './padding.js';
import { groupedConv2dKernel } from '../kernels/grouped-conv2d.js';
import { registerTfvisionKernels } from '../kernels/register.js';

export interface Conv2dOpOptions {
  strides: [number, number];
  pad: ExplicitPadding2d;
  dilations: [number, number];
  groups: number;
}

/** Explicit NHWC padding as tfjs takes it ('valid' when all zero). */
export function toTfPad(pad: ExplicitPadding2d): 'valid' | [[number, number], [number, number], [number, number], [number, number]] {
  if (pad[0][0] === 0 && pad[0][1] === 0 && pad[1][0] === 0 && pad[1][1] === 0) return 'valid';
  return [[0, 0], pad[0], pad[1], [0, 0]];
}

/**
 * Grouped 2-D convolution, NHWC input, filter [kh, kw, inChannels/groups, outChannels] (the
 * layout TensorFlow itself uses for grouped filters; output channel o belongs to group
 * floor(o / (outChannels/groups)), as in PyTorch).
 *
 * Dispatch: groups 1 → dense conv2d; groups = inChannels → depthwise kernels; otherwise the
 * registered grouped kernel for the active backend (kernels/grouped-conv2d.ts). Dilated
 * convolutions of any kind also go through the grouped kernel, because tfjs' own conv2d and
 * depthwise gradients refuse dilation > 1 and ours handle it.
 * tfjs refuses stride > 1 with dilation > 1; the kernel runs that case at stride 1 and
 * subsamples, and its gradients handle it (tfjs has no StridedSlice gradient).
 */
export function conv2d(x: tf.Tensor4D, filter: tf.Tensor4D, opts: Conv2dOpOptions): tf.Tensor4D {
  const { strides, dilations, groups } = opts;
  const dilated = dilations[0] > 1 || dilations[1] > 1;
  const inChannels = x.shape[3];
  const pad = toTfPad(opts.pad);
  if (dilated) return groupedConv2d(x, filter, opts);
  if (groups === 1) {
    return tf.conv2d(x, filter, strides, pad, 'NHWC', dilations) as tf.Tensor4D;
  }
  if (groups === inChannels && filter.shape[2] === 1) {
    const multiplier = filter.shape[3] / inChannels;
    const dw = tf.reshape(filter, [filter.shape[0], filter.shape[1], inChannels, multiplier]) as tf.Tensor4D;
    const padDw = pad === 'valid' ? 'valid' : pad;
    return tf.depthwiseConv2d(x, dw, strides, padDw, 'NHWC', dilations) as tf.Tensor4D;
  }
  return groupedConv2d(x, filter, { ...opts });
}

/** Grouped convolution by splitting channels (the correct reference every kernel is tested against). */
export function groupedConv2dReference(x: tf.Tensor4D, filter: tf.Tensor4D, opts: Conv2dOpOptions): tf.Tensor4D {
  return tf.tidy(() => {
    const xs = tf.split(x, opts.groups, 3);
    const fs = tf.split(filter, opts.groups, 3);
    const pad = toTfPad(opts.pad);
    const ys = xs.map((xi, i) => tf.conv2d(xi as tf.Tensor4D, fs[i] as tf.Tensor4D, opts.strides, pad, 'NHWC', opts.dilations));
    return tf.concat(ys, 3) as tf.Tensor4D;
  });
}

/** Grouped convolution by tfvision's per-backend kernel, which has gradients (the default). */
export function groupedConv2dFast(x: tf.Tensor4D, filter: tf.Tensor4D, opts: Conv2dOpOptions): tf.Tensor4D {
  registerTfvisionKernels();
  const [[t, b], [l, r]] = opts.pad;
  return groupedConv2dKernel(x, filter, { strides: opts.strides, pad: [t, b, l, r], dilations: opts.dilations, groups: opts.groups });
}

type GroupedImpl = (x: tf.Tensor4D, filter: tf.Tensor4D, opts: Conv2dOpOptions) => tf.Tensor4D;
let groupedImpl: GroupedImpl = groupedConv2dFast;

/** Installs the grouped-convolution implementation (the kernels module calls this). */
export function setGroupedConv2dImpl(impl: GroupedImpl): void {
  groupedImpl = impl;
}

export function groupedConv2d(x: tf.Tensor4D, filter: tf.Tensor4D, opts: Conv2dOpOptions): tf.Tensor4D {
  const inChannels = x.shape[3];
  const outChannels = filter.shape[3];
  if (inChannels % opts.groups !== 0 || outChannels % opts.groups !== 0) {
    throw new Error(`conv2d: channels in=${inChannels} out=${outChannels} are not divisible by groups=${opts.groups}`);
  }
  if (filter.shape[2] * opts.groups !== inChannels) {
    throw new Error(`conv2d: filter has ${filter.shape[2]} input channels per group, expected ${inChannels}/${opts.groups}=${inChannels / opts.groups}`);
  }
  return groupedImpl(x, filter, opts);
}
