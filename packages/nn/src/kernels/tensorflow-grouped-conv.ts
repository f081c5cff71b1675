import * as tf from '@tensorflow/tfjs-core';
import type { GroupedConv2DAttrs, GroupedConvNative } from './grouped-conv2d.js';

/**
 * Grouped convolution on the tensorflow backend (@tensorflow/tfjs-node, tfjs-node-gpu) through
 * TensorFlow's own Conv2D, Conv2DBackpropInput and Conv2DBackpropFilter: TensorFlow treats a
 * filter whose depth divides the input channels (in = groups x filter depth) as a grouped
 * convolution, which cuDNN runs as one grouped kernel on a GPU. The chunked composite (one
 * convolution per group) is the fallback when TensorFlow refuses a case (some builds have no
 * grouped backprop kernels on the CPU): the first refusal per kernel is remembered, so the
 * error costs one attempt. Explicit padding keeps PyTorch's symmetric pads.
 */
interface TfeOpAttr {
  name: string;
  type: number;
  value: number | number[] | string | boolean;
}

interface NodeBackendLike {
  binding: { TF_ATTR_INT: number; TF_ATTR_STRING: number; TF_ATTR_BOOL: number; TF_ATTR_TYPE: number; TF_FLOAT: number };
  executeSingleOutput(name: string, opAttrs: TfeOpAttr[], inputs: tf.TensorInfo[]): tf.Tensor;
}

/** The attributes TensorFlow's three Conv2D ops share, in its NHWC layout. */
export function tensorflowConvAttrs(a: GroupedConv2DAttrs, binding: NodeBackendLike['binding']): TfeOpAttr[] {
  const [top, bottom, left, right] = a.pad;
  return [
    { name: 'T', type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT },
    { name: 'strides', type: binding.TF_ATTR_INT, value: [1, a.strides[0], a.strides[1], 1] },
    { name: 'use_cudnn_on_gpu', type: binding.TF_ATTR_BOOL, value: true },
    { name: 'padding', type: binding.TF_ATTR_STRING, value: 'EXPLICIT' },
    { name: 'explicit_paddings', type: binding.TF_ATTR_INT, value: [0, 0, top, bottom, left, right, 0, 0] },
    { name: 'data_format', type: binding.TF_ATTR_STRING, value: 'NHWC' },
    { name: 'dilations', type: binding.TF_ATTR_INT, value: [1, a.dilations[0], a.dilations[1], 1] },
  ];
}

/** Which native ops TensorFlow refused in this process (and why), by op name. */
export const refusedNativeOps = new Map<string, string>();

function nativeOrComposite(op: string, inputsOf: (args: Parameters<tf.KernelFunc>[0]) => tf.TensorInfo[]): (composite: tf.KernelFunc) => tf.KernelFunc {
  return (composite) => (args) => {
    const backend = args.backend as unknown as Partial<NodeBackendLike>;
    const a = args.attrs as unknown as GroupedConv2DAttrs;
    // tfjs refuses stride and dilation both > 1 and TensorFlow's kernels do not all take it.
    const strideAndDilation = Math.max(...a.strides) > 1 && Math.max(...a.dilations) > 1;
    if (strideAndDilation || refusedNativeOps.has(op) || typeof backend.executeSingleOutput !== 'function' || !backend.binding) return composite(args);
    const attrs = tensorflowConvAttrs(a, backend.binding);
    const extra: tf.Tensor[] = [];
    try {
      const inputs = inputsOf(args);
      for (const t of inputs) if (t instanceof tf.Tensor && !Object.values(args.inputs).includes(t)) extra.push(t);
      return backend.executeSingleOutput(op, attrs, inputs);
    } catch (e) {
      refusedNativeOps.set(op, e instanceof Error ? e.message.split('\n')[0] : String(e));
      return composite(args);
    } finally {
      tf.dispose(extra);
    }
  };
}

/** TensorFlow's shape operands are int32 vectors. */
function shapeTensor(shape: number[]): tf.Tensor1D {
  return tf.tensor1d(shape, 'int32');
}

export const TENSORFLOW_GROUPED_CONV: GroupedConvNative = {
  forward: nativeOrComposite('Conv2D', ({ inputs }) => [inputs.x as tf.TensorInfo, inputs.filter as tf.TensorInfo]),
  backpropInput: nativeOrComposite('Conv2DBackpropInput', ({ inputs, attrs }) => [
    shapeTensor((attrs as unknown as { inputShape: number[] }).inputShape),
    inputs.filter as tf.TensorInfo,
    inputs.dy as tf.TensorInfo,
  ]),
  backpropFilter: nativeOrComposite('Conv2DBackpropFilter', ({ inputs, attrs }) => [
    inputs.x as tf.TensorInfo,
    shapeTensor((attrs as unknown as { filterShape: number[] }).filterShape),
    inputs.dy as tf.TensorInfo,
  ]),
};
