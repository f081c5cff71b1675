import * as tf from '@tensorflow/tfjs-core';
import { replaceKernel } from '../composite.js';
import { GroupedConv2DBackpropFilter, GroupedConv2DBackpropInput, type GroupedConv2DAttrs } from '../grouped-conv2d.js';
import {
  convGradGeometry,
  GEOMETRY_UNIFORMS,
  MAX_WORKGROUPS_PER_DIMENSION,
  planFilterGrad,
  planInputGrad,
  uniformValues,
  type ConvGradConfig,
  type ConvGradGeometry,
  type LaunchShape,
} from './conv-grad-geometry.js';
import {
  DepthwiseFilterGradProgram,
  DepthwiseInputGradProgram,
  FilterGradGemmProgram,
  InputGradGemmProgram,
  SplitSumProgram,
  type ConvGradProgram,
} from './conv-grad-programs.js';

/**
 * The convolution-gradient kernels of tfjs-backend-webgpu, replaced per shape by the
 * implicit-GEMM programs (conv-grad-programs.ts), and the project's grouped gradients
 * (TfvGroupedConv2DBackprop*, a chain of per-group composite ops on webgpu until now) as one
 * program each. Which one runs is webgpuConvGradChoice's rule.
 */
export type ProgramUniforms = { type: 'int32'; data: number[] }[];

export interface WebGpuBackendLike {
  runWebGPUProgram(program: ConvGradProgram, inputs: tf.TensorInfo[], outputDtype: tf.DataType, uniforms: ProgramUniforms): tf.TensorInfo;
  disposeData(dataId: tf.TensorInfo['dataId']): boolean;
}

export function programUniforms(g: ConvGradGeometry, launch: LaunchShape): ProgramUniforms {
  const values = uniformValues(g, launch);
  return GEOMETRY_UNIFORMS.map((name) => ({ type: 'int32' as const, data: [values[name]] }));
}

/**
 * dW in the filter's layout ([kH, kW, cg, outC], or the same memory as depthwise [kH, kW, C, M]);
 * split-K partials are summed by a second program.
 */
export function runFilterGrad(
  backend: WebGpuBackendLike,
  x: tf.TensorInfo,
  dy: tf.TensorInfo,
  g: ConvGradGeometry,
  filterShape: number[] = [g.kH, g.kW, g.cg, g.outC],
  splits?: number,
): tf.TensorInfo {
  const plan = planFilterGrad(g, splits);
  const outShape = plan.splits === 1 ? filterShape : [plan.splits, g.kH * g.kW * g.cg, g.outC];
  const program = plan.kind === 'gemm' ? new FilterGradGemmProgram(outShape, plan.dispatch, plan.tiling) : new DepthwiseFilterGradProgram(outShape, plan.dispatch);
  const partial = backend.runWebGPUProgram(program, [x, dy], 'float32', programUniforms(g, plan.launch));
  if (plan.splits === 1) return partial;
  try {
    return backend.runWebGPUProgram(new SplitSumProgram(filterShape), [partial], 'float32', [{ type: 'int32', data: [plan.splits] }]);
  } finally {
    // tfjs frees the buffer once the queued commands that read it have run.
    backend.disposeData(partial.dataId);
  }
}

/** dx, NHWC. */
export function runInputGrad(backend: WebGpuBackendLike, dy: tf.TensorInfo, w: tf.TensorInfo, g: ConvGradGeometry): tf.TensorInfo {
  const plan = planInputGrad(g);
  const outShape = [g.batch, g.inH, g.inW, g.inC];
  const program = plan.kind === 'gemm' ? new InputGradGemmProgram(outShape, plan.dispatch, plan.tiling) : new DepthwiseInputGradProgram(outShape, plan.dispatch);
  return backend.runWebGPUProgram(program, [dy, w], 'float32', programUniforms(g, plan.launch));
}

export type ConvGradKernel = 'Conv2DBackpropFilter' | 'Conv2DBackpropInput' | 'DepthwiseConv2dNativeBackpropFilter' | 'DepthwiseConv2dNativeBackpropInput' | 'TfvGroupedConv2DBackpropFilter' | 'TfvGroupedConv2DBackpropInput';

// A reduction this short has nothing for tiles or splits to win, and tfjs' one-thread-per-
// weight loop needs no barrier and no second pass.
const MIN_REDUCTION = 64;

/**
 * Which implementation runs, and why (not measured on a GPU yet: the reasons are structural).
 * - Conv2DBackpropFilter, DepthwiseConv2dNativeBackpropFilter: tfjs runs one thread per weight
 *   looping over all N*OH*OW (84% of a resnet50d step's GPU time on an H100, RESULTS.md); ours
 *   tiles and splits that loop. tfjs's is kept for reductions under 64 terms.
 * - Conv2DBackpropInput: tfjs's is already a tiled implicit GEMM (Conv2DDerInputMMProgram, vec4
 *   when channels are multiples of 4), so it is kept; ours has no vector loads.
 * - DepthwiseConv2dNativeBackpropInput: tfjs's is the same one-thread-per-dx loop as ours; kept.
 * - TfvGroupedConv2DBackprop*: the alternative is one composite chain per group; ours is one
 *   program (two for a split filter gradient).
 * Either way, a launch over the dispatch limit (65535 workgroups per dimension) keeps the other.
 */
export function webgpuConvGradChoice(kernel: ConvGradKernel, g: ConvGradGeometry): 'tfvision' | 'tfjs' {
  const filterSide = kernel.endsWith('Filter');
  const dispatch = filterSide ? planFilterGrad(g).dispatch : planInputGrad(g).dispatch;
  // A flat dispatch (depthwise dx) is folded into 2-D by tfjs, so only the tiled ones are bounded.
  const flat = !filterSide && g.cg === 1;
  if (!flat && dispatch.some((d) => d > MAX_WORKGROUPS_PER_DIMENSION)) return 'tfjs';
  switch (kernel) {
    case 'Conv2DBackpropFilter':
    case 'DepthwiseConv2dNativeBackpropFilter':
      return g.batch * g.outH * g.outW < MIN_REDUCTION ? 'tfjs' : 'tfvision';
    case 'Conv2DBackpropInput':
    case 'DepthwiseConv2dNativeBackpropInput':
      return 'tfjs';
    default:
      return 'tfvision';
  }
}

type PadAttr = 'valid' | 'same' | number | tf.backend_util.ExplicitPadding;

interface TfConvGradAttrs {
  strides: [number, number] | number;
  pad: PadAttr;
  dataFormat?: 'NHWC' | 'NCHW';
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
  dilations?: [number, number] | number;
}

function pair(v: [number, number] | number | undefined): [number, number] {
  if (v === undefined) return [1, 1];
  return typeof v === 'number' ? [v, v] : v;
}

/** The config of a tfjs conv kernel's attrs (its 'same'/'valid'/explicit pads resolved by tfjs), or null for NCHW. */
function tfConfig(xShape: number[], filterShape: number[], a: TfConvGradAttrs, depthwise: boolean): ConvGradConfig | null {
  if (a.dataFormat === 'NCHW') return null;
  const strides = pair(a.strides);
  const dilations = pair(a.dilations);
  const info = tf.backend_util.computeConv2DInfo(xShape as [number, number, number, number], filterShape as [number, number, number, number], strides, dilations, a.pad, a.dimRoundingMode, depthwise, 'channelsLast');
  const p = info.padInfo;
  return { strides, dilations, pad: [p.top, p.bottom, p.left, p.right], groups: depthwise ? xShape[3] : 1 };
}

/** Depthwise filters [kH, kW, C, M] are grouped filters [kH, kW, 1, C*M] in the same memory order. */
function asGroupedFilterShape(filterShape: number[], depthwise: boolean): number[] {
  return depthwise ? [filterShape[0], filterShape[1], 1, filterShape[2] * filterShape[3]] : filterShape;
}

function filterKernel(kernel: ConvGradKernel, original: tf.KernelFunc, depthwise: boolean): tf.KernelFunc {
  return (args) => {
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const a = args.attrs as unknown as TfConvGradAttrs & { filterShape: number[] };
    const conv = tfConfig(x.shape, a.filterShape, a, depthwise);
    if (conv === null) return original(args);
    const g = convGradGeometry(kernel, x.shape, asGroupedFilterShape(a.filterShape, depthwise), dy.shape, conv);
    if (webgpuConvGradChoice(kernel, g) === 'tfjs') return original(args);
    return runFilterGrad(args.backend as unknown as WebGpuBackendLike, x, dy, g, [...a.filterShape]);
  };
}

function inputKernel(kernel: ConvGradKernel, original: tf.KernelFunc, depthwise: boolean): tf.KernelFunc {
  return (args) => {
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const a = args.attrs as unknown as TfConvGradAttrs & { inputShape: number[] };
    const conv = tfConfig(a.inputShape, filter.shape, a, depthwise);
    if (conv === null) return original(args);
    const g = convGradGeometry(kernel, a.inputShape, asGroupedFilterShape(filter.shape, depthwise), dy.shape, conv);
    if (webgpuConvGradChoice(kernel, g) === 'tfjs') return original(args);
    return runInputGrad(args.backend as unknown as WebGpuBackendLike, dy, filter, g);
  };
}

function groupedConfig(attrs: tf.NamedAttrMap | undefined): ConvGradConfig {
  const a = attrs as unknown as GroupedConv2DAttrs;
  return { strides: a.strides, dilations: a.dilations, pad: a.pad, groups: a.groups };
}

function groupedFilterKernel(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x, dy } = args.inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
    const filterShape = (args.attrs as unknown as { filterShape: number[] }).filterShape;
    const g = convGradGeometry(GroupedConv2DBackpropFilter, x.shape, filterShape, dy.shape, groupedConfig(args.attrs));
    if (webgpuConvGradChoice('TfvGroupedConv2DBackpropFilter', g) === 'tfjs') return original(args);
    return runFilterGrad(args.backend as unknown as WebGpuBackendLike, x, dy, g);
  };
}

function groupedInputKernel(original: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { dy, filter } = args.inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
    const inputShape = (args.attrs as unknown as { inputShape: number[] }).inputShape;
    const g = convGradGeometry(GroupedConv2DBackpropInput, inputShape, filter.shape, dy.shape, groupedConfig(args.attrs));
    if (webgpuConvGradChoice('TfvGroupedConv2DBackpropInput', g) === 'tfjs') return original(args);
    return runInputGrad(args.backend as unknown as WebGpuBackendLike, dy, filter, g);
  };
}

let registered = false;

/**
 * Installs the kernels for 'webgpu', each wrapping the kernel it replaces (the fallback of
 * webgpuConvGradChoice). Needs tfjs-backend-webgpu imported and registerTfvisionKernels run
 * (the grouped kernels); returns false, changing nothing, until both have. Idempotent.
 */
export function registerWebGpuConvGradKernels(): boolean {
  if (registered) return true;
  const names = [tf.Conv2DBackpropFilter, tf.Conv2DBackpropInput, tf.DepthwiseConv2dNativeBackpropFilter, tf.DepthwiseConv2dNativeBackpropInput, GroupedConv2DBackpropFilter, GroupedConv2DBackpropInput];
  const originals = names.map((n) => tf.getKernel(n, 'webgpu')?.kernelFunc);
  if (originals.some((k) => k === undefined)) return false;
  const [filter, input, dwFilter, dwInput, groupedFilter, groupedInput] = originals as tf.KernelFunc[];
  replaceKernel(tf.Conv2DBackpropFilter, 'webgpu', filterKernel('Conv2DBackpropFilter', filter, false));
  replaceKernel(tf.Conv2DBackpropInput, 'webgpu', inputKernel('Conv2DBackpropInput', input, false));
  replaceKernel(tf.DepthwiseConv2dNativeBackpropFilter, 'webgpu', filterKernel('DepthwiseConv2dNativeBackpropFilter', dwFilter, true));
  replaceKernel(tf.DepthwiseConv2dNativeBackpropInput, 'webgpu', inputKernel('DepthwiseConv2dNativeBackpropInput', dwInput, true));
  replaceKernel(GroupedConv2DBackpropFilter, 'webgpu', groupedFilterKernel(groupedFilter));
  replaceKernel(GroupedConv2DBackpropInput, 'webgpu', groupedInputKernel(groupedInput));
  registered = true;
  return true;
}
