import type * as tf from '@tensorflow/tfjs-core';
import type { BatchNormTrainAttrs } from './names.js';
import type { WebGpuProgram, WebGpuUniforms as ProgramUniforms } from '../webgpu-program.js';

/**
 * The BatchNorm training kernels for tfjs-backend-webgpu as WGSL programs. tfjs binds one
 * output buffer per program, so a kernel with several outputs is several dispatches; the
 * reductions are split so that no output needs a slice (a copy on webgpu):
 *   forward: stats [3, C] (one reduction pass per channel block), y, new running mean, new
 *            running variance: 4 dispatches (2 without running statistics);
 *   backward: dgamma, dbeta (one reduction pass each), dx: 3 dispatches;
 * against ~30 elementwise and reduction kernels for the tf-op version. A reduction workgroup
 * owns BLOCK consecutive channels (consecutive addresses in NHWC) and LANES row lanes; each
 * thread strides over rows, then the lanes are summed in workgroup memory. Sums are f32.
 * Not run in CI (no GPU there); the launch shapes are tested against the cpu kernel's layout.
 */


interface WebGpuBackendLike {
  runWebGPUProgram(program: WebGpuProgram, inputs: tf.TensorInfo[], outputDtype: tf.DataType, uniforms: ProgramUniforms): tf.TensorInfo;
}

export const BLOCK = 16;
export const LANES = 16;
const ELEMENTWISE_WORKGROUP = 64;

function flat(outputShape: number[], workgroups: number, workgroupSize: number): Pick<WebGpuProgram, 'outputShape' | 'dispatchLayout' | 'dispatch' | 'workgroupSize'> {
  return { outputShape, dispatchLayout: { x: outputShape.map((_, i) => i) }, dispatch: [workgroups, 1, 1], workgroupSize: [workgroupSize, 1, 1] };
}

/**
 * A per-channel reduction over rows: `term(r)` is the WGSL expression summed for row offset r
 * (element index r * channels + c); `finish` writes the result for channel c from `total`.
 * When `centred`, a first pass computes the channel mean into `mean` (forward statistics).
 */
function reductionCode(term: string, finish: string, centred: boolean): string {
  const pass = (expr: string, into: string) => `
        var s${into} : f32 = 0.0;
        if (c < uniforms.channels) {
          for (var r = part; r < uniforms.rows; r = r + ${LANES}) {
            let at = r * uniforms.channels + c;
            s${into} = s${into} + ${expr};
          }
        }
        partial[localIndex] = s${into};
        workgroupBarrier();
        if (part == 0) {
          var t : f32 = 0.0;
          for (var p = 0; p < ${LANES}; p = p + 1) {
            t = t + partial[p * ${BLOCK} + lane];
          }
          shared${into}[lane] = t;
        }
        workgroupBarrier();
        let ${into} = shared${into}[lane];`;
  return `
      var<workgroup> partial : array<f32, ${BLOCK * LANES}>;
      var<workgroup> sharedmeanSum : array<f32, ${BLOCK}>;
      var<workgroup> sharedtotal : array<f32, ${BLOCK}>;
      fn main(index : i32) {
        let lane = i32(localIndex) % ${BLOCK};
        let part = i32(localIndex) / ${BLOCK};
        let c = i32(workgroupId.x) * ${BLOCK} + lane;
        ${centred ? `${pass('x[at]', 'meanSum')}\n        let mean = meanSum / f32(uniforms.rows);` : ''}
        ${pass(term, 'total')}
        if (part == 0 && c < uniforms.channels) {
          ${finish}
        }
      }`;
}

function reduction(key: string, variableNames: string[], outputShape: number[], channels: number, code: string, extraUniforms = ''): WebGpuProgram {
  return {
    ...flat(outputShape, Math.ceil(channels / BLOCK), BLOCK * LANES),
    variableNames,
    uniforms: `rows : i32, channels : i32, ${extraUniforms}`,
    shaderKey: key,
    size: false,
    getUserCode: () => code,
  };
}

function elementwise(key: string, variableNames: string[], outputShape: number[], body: string, extraUniforms = ''): WebGpuProgram {
  const size = outputShape.reduce((a, b) => a * b, 1);
  return {
    ...flat(outputShape, Math.ceil(size / ELEMENTWISE_WORKGROUP), ELEMENTWISE_WORKGROUP),
    variableNames,
    uniforms: `channels : i32, ${extraUniforms}`,
    shaderKey: key,
    size: true,
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          let c = index % uniforms.channels;
          ${body}
        }
      }`,
  };
}

/** Stats [3, C]: mean, biased variance (centred second pass), inverse std. */
export function statsProgram(rows: number, channels: number): WebGpuProgram {
  const finish = `
          let variance = total / f32(uniforms.rows);
          setOutputAtIndex(c, mean);
          setOutputAtIndex(uniforms.channels + c, variance);
          setOutputAtIndex(2 * uniforms.channels + c, inverseSqrt(variance + uniforms.eps));`;
  return reduction('tfvBatchNormStats', ['x'], [3, channels], channels, reductionCode('(x[at] - mean) * (x[at] - mean)', finish, true), 'eps : f32,');
}

export function normaliseProgram(shape: number[]): WebGpuProgram {
  return elementwise('tfvBatchNormNormalise', ['x', 'stats', 'gamma', 'beta'], shape, `
          let k = gamma[c] * stats[2 * uniforms.channels + c];
          setOutputAtIndex(index, (x[index] - stats[c]) * k + beta[c]);`);
}

/** running' = (1 - momentum) * running + momentum * factor * stats[row]. */
export function runningProgram(channels: number): WebGpuProgram {
  return elementwise('tfvBatchNormRunning', ['stats', 'running'], [channels], `
          let batch = stats[uniforms.row * uniforms.channels + c] * uniforms.factor;
          setOutputAtIndex(index, (1.0 - uniforms.momentum) * running[c] + uniforms.momentum * batch);`, 'row : i32, factor : f32, momentum : f32,');
}

export function dbetaProgram(rows: number, channels: number): WebGpuProgram {
  return reduction('tfvBatchNormDbeta', ['dy'], [channels], channels, reductionCode('dy[at]', 'setOutputAtIndex(c, total);', false));
}

export function dgammaProgram(rows: number, channels: number): WebGpuProgram {
  const finish = 'setOutputAtIndex(c, total * stats[2 * uniforms.channels + c]);';
  return reduction('tfvBatchNormDgamma', ['dy', 'x', 'stats'], [channels], channels, reductionCode('dy[at] * (x[at] - stats[c])', finish, false));
}

export function dxProgram(shape: number[]): WebGpuProgram {
  return elementwise('tfvBatchNormDx', ['dy', 'x', 'stats', 'gamma', 'dgamma', 'dbeta'], shape, `
          let inv = stats[2 * uniforms.channels + c];
          let k = gamma[c] * inv;
          let n = f32(uniforms.rows);
          let xc = x[index] - stats[c];
          setOutputAtIndex(index, k * (dy[index] - dbeta[c] / n - xc * inv * dgamma[c] / n));`, 'rows : i32,');
}

function rowsOf(x: tf.TensorInfo): number {
  return x.shape.slice(0, -1).reduce((a, b) => a * b, 1);
}

export const webgpuBatchNormTrain: tf.KernelFunc = ({ inputs, attrs, backend }) => {
  const { x, gamma, beta, runningMean, runningVar } = inputs as Record<string, tf.TensorInfo | undefined>;
  if (!x || !gamma || !beta) throw new Error('TfvBatchNormTrain: x, gamma and beta are required');
  const { eps, momentum } = attrs as unknown as BatchNormTrainAttrs;
  const gpu = backend as unknown as WebGpuBackendLike;
  const rows = rowsOf(x);
  const channels = gamma.shape[0];
  const stats = gpu.runWebGPUProgram(statsProgram(rows, channels), [x], 'float32', [
    { type: 'int32', data: [rows] },
    { type: 'int32', data: [channels] },
    { type: 'float32', data: [eps] },
  ]);
  const y = gpu.runWebGPUProgram(normaliseProgram(x.shape), [x, stats, gamma, beta], 'float32', [{ type: 'int32', data: [channels] }]);
  if (!runningMean || !runningVar) return [y, stats];
  const running = (t: tf.TensorInfo, row: number, factor: number) =>
    gpu.runWebGPUProgram(runningProgram(channels), [stats, t], 'float32', [
      { type: 'int32', data: [channels] },
      { type: 'int32', data: [row] },
      { type: 'float32', data: [factor] },
      { type: 'float32', data: [momentum] },
    ]);
  return [y, stats, running(runningMean, 0, 1), running(runningVar, 1, rows / Math.max(rows - 1, 1))];
};

export const webgpuBatchNormTrainGrad: tf.KernelFunc = ({ inputs, backend }) => {
  const { dy, x, stats, gamma } = inputs as Record<string, tf.TensorInfo>;
  const gpu = backend as unknown as WebGpuBackendLike;
  const rows = rowsOf(x);
  const channels = gamma.shape[0];
  const sizes: ProgramUniforms = [
    { type: 'int32', data: [rows] },
    { type: 'int32', data: [channels] },
  ];
  const dbeta = gpu.runWebGPUProgram(dbetaProgram(rows, channels), [dy], 'float32', sizes);
  const dgamma = gpu.runWebGPUProgram(dgammaProgram(rows, channels), [dy, x, stats], 'float32', sizes);
  const dx = gpu.runWebGPUProgram(dxProgram(x.shape), [dy, x, stats, gamma, dgamma, dbeta], 'float32', [
    { type: 'int32', data: [channels] },
    { type: 'int32', data: [rows] },
  ]);
  return [dx, dgamma, dbeta];
};
