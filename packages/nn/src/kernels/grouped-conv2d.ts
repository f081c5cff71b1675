import * as tf from '@tensorflow/tfjs-core';
import { splitBatch } from './batch-slice.js';
import { compositeKernel } from './composite.js';
import { convFilterGrad, convInputGrad } from './dense-grads.js';
import { depthwiseFilterGrad, depthwiseInputGrad } from './depthwise-grads.js';
import { needsUnitStride, subsample, tfPad, type ConvGeometry, type Pads2d } from './geometry.js';
import { chunkFilters, fromChunkMajor, groupsPerChunk, toChunkMajor, unchunkFilterGrads } from './grouped-chunks.js';

export const GroupedConv2D = 'TfvGroupedConv2D';
export const GroupedConv2DBackpropInput = 'TfvGroupedConv2DBackpropInput';
export const GroupedConv2DBackpropFilter = 'TfvGroupedConv2DBackpropFilter';

/** Attributes of the grouped kernels; pad is flat [top, bottom, left, right] (attrs are flat). */
export interface GroupedConv2DAttrs {
  strides: [number, number];
  pad: [number, number, number, number];
  dilations: [number, number];
  groups: number;
}

/** How a backend runs grouped convolutions: the fewest input channels worth a dense chunk. */
export interface GroupedConvPolicy {
  minChunkChannels: number;
}

function geometry(attrs: tf.NamedAttrMap): ConvGeometry & { groups: number } {
  const a = attrs as unknown as GroupedConv2DAttrs;
  const pad: Pads2d = [[a.pad[0], a.pad[1]], [a.pad[2], a.pad[3]]];
  return { strides: a.strides, dilations: a.dilations, pad, groups: a.groups };
}

function plan(filterShape: number[], groups: number, policy: GroupedConvPolicy): { cg: number; gs: number; chunks: number } {
  const cg = filterShape[2];
  const gs = groupsPerChunk(groups, cg, policy.minChunkChannels);
  return { cg, gs, chunks: groups / gs };
}

/** Channels per group 1 is a depthwise convolution with multiplier out/in; filters share the layout. */
function asDepthwiseFilter(filter: tf.Tensor4D, channels: number): tf.Tensor4D {
  const [kh, kw, , out] = filter.shape;
  return tf.reshape(filter, [kh, kw, channels, out / channels]);
}

/** Forward convolutions, also with stride and dilation both > 1 (which tfjs refuses). */
function convolve(x: tf.Tensor4D, filter: tf.Tensor4D, g: ConvGeometry, depthwise: boolean): tf.Tensor4D {
  const unit = needsUnitStride(g);
  const strides: [number, number] = unit ? [1, 1] : g.strides;
  const y = depthwise
    ? tf.depthwiseConv2d<tf.Tensor4D>(x, filter, strides, tfPad(g.pad), 'NHWC', g.dilations)
    : tf.conv2d(x, filter, strides, tfPad(g.pad), 'NHWC', g.dilations);
  return unit ? subsample(y, g.strides) : y;
}

function forward(policy: GroupedConvPolicy) {
  return compositeKernel(({ x, filter }, attrs) => {
    const g = geometry(attrs);
    const x4 = x as tf.Tensor4D;
    const f4 = filter as tf.Tensor4D;
    const { cg, gs, chunks } = plan(f4.shape, g.groups, policy);
    if (cg === 1) return convolve(x4, asDepthwiseFilter(f4, x4.shape[3]), g, true);
    const xs = splitBatch(toChunkMajor(x4, chunks), chunks);
    const fs = chunkFilters(f4, g.groups, gs);
    const ys = xs.map((xi, i) => convolve(xi, fs[i], g, false));
    return fromChunkMajor(ys.length === 1 ? ys[0] : (tf.concat(ys, 0) as tf.Tensor4D), chunks);
  });
}

function backpropInput(policy: GroupedConvPolicy) {
  return compositeKernel(({ dy, filter }, attrs) => {
    const g = geometry(attrs);
    const inputShape = (attrs as unknown as { inputShape: [number, number, number, number] }).inputShape;
    const dy4 = dy as tf.Tensor4D;
    const f4 = filter as tf.Tensor4D;
    const { cg, gs, chunks } = plan(f4.shape, g.groups, policy);
    if (cg === 1) return depthwiseInputGrad(dy4, asDepthwiseFilter(f4, inputShape[3]), inputShape, g);
    const dys = splitBatch(toChunkMajor(dy4, chunks), chunks);
    const fs = chunkFilters(f4, g.groups, gs);
    const chunkShape: [number, number, number, number] = [inputShape[0], inputShape[1], inputShape[2], gs * cg];
    const dxs = dys.map((d, i) => convInputGrad(d, fs[i], chunkShape, g));
    return fromChunkMajor(dxs.length === 1 ? dxs[0] : (tf.concat(dxs, 0) as tf.Tensor4D), chunks);
  });
}

function backpropFilter(policy: GroupedConvPolicy) {
  return compositeKernel(({ x, dy }, attrs) => {
    const g = geometry(attrs);
    const filterShape = (attrs as unknown as { filterShape: [number, number, number, number] }).filterShape;
    const x4 = x as tf.Tensor4D;
    const dy4 = dy as tf.Tensor4D;
    const { cg, gs, chunks } = plan(filterShape, g.groups, policy);
    const [kh, kw, , out] = filterShape;
    if (cg === 1) {
      const channels = x4.shape[3];
      return tf.reshape(depthwiseFilterGrad(x4, dy4, [kh, kw, channels, out / channels], g), filterShape);
    }
    const xs = splitBatch(toChunkMajor(x4, chunks), chunks);
    const dys = splitBatch(toChunkMajor(dy4, chunks), chunks);
    const chunkFilterShape: [number, number, number, number] = [kh, kw, gs * cg, (gs * out) / g.groups];
    const grads = xs.map((xi, i) => convFilterGrad(xi, dys[i], chunkFilterShape, g));
    return unchunkFilterGrads(grads, g.groups, gs);
  });
}

/** A backend's own grouped kernels; each gets the composite one to fall back on. */
export type GroupedConvNative = Partial<Record<'forward' | 'backpropInput' | 'backpropFilter', (composite: tf.KernelFunc) => tf.KernelFunc>>;

/**
 * Registers the three grouped kernels for one backend with the given chunking policy; a
 * backend-specific forward (the WGSL shader on webgpu) replaces the composite one, and
 * `native` may wrap any of the three (TensorFlow's own grouped Conv2D on tensorflow).
 */
export function registerGroupedConvKernels(backendName: string, policy: GroupedConvPolicy, nativeForward?: tf.KernelFunc, native: GroupedConvNative = {}): void {
  const kernels: [string, tf.KernelFunc][] = [
    [GroupedConv2D, native.forward ? native.forward(forward(policy)) : nativeForward ?? forward(policy)],
    [GroupedConv2DBackpropInput, native.backpropInput ? native.backpropInput(backpropInput(policy)) : backpropInput(policy)],
    [GroupedConv2DBackpropFilter, native.backpropFilter ? native.backpropFilter(backpropFilter(policy)) : backpropFilter(policy)],
  ];
  for (const [kernelName, kernelFunc] of kernels) {
    if (tf.getKernel(kernelName, backendName)) tf.unregisterKernel(kernelName, backendName);
    tf.registerKernel({ kernelName, backendName, kernelFunc });
  }
}

let gradientRegistered = false;
/** The gradient of the grouped kernel: both halves are grouped kernels again. */
export function registerGroupedConvGradient(): void {
  if (gradientRegistered) return;
  gradientRegistered = true;
  tf.registerGradient({
    kernelName: GroupedConv2D,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dy, saved, attrs) => {
      const [x, filter] = saved;
      const grad = Array.isArray(dy) ? dy[0] : dy;
      return {
        x: () => tf.engine().runKernel(GroupedConv2DBackpropInput, { dy: grad, filter }, { ...attrs, inputShape: x.shape }) as tf.Tensor,
        filter: () => tf.engine().runKernel(GroupedConv2DBackpropFilter, { x, dy: grad }, { ...attrs, filterShape: filter.shape }) as tf.Tensor,
      };
    },
  });
}

/** Runs the grouped kernel of the active backend (registered by registerTfvisionKernels). */
export function groupedConv2dKernel(x: tf.Tensor4D, filter: tf.Tensor4D, attrs: GroupedConv2DAttrs): tf.Tensor4D {
  return tf.engine().runKernel(GroupedConv2D, { x, filter }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor4D;
}
