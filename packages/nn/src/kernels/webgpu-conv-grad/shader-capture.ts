import * as tf from '@tensorflow/tfjs-core';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { ConvGradProgram } from './conv-grad-programs.js';
import type { ProgramUniforms, WebGpuBackendLike } from './conv-grad-kernels.js';

/**
 * Runs tfjs-backend-webgpu's own runWebGPUProgram and recordAndSubmit on a stand-in device that
 * records instead of executing: the complete shader tfjs generates (its preamble plus ours),
 * the uniform bytes its packing writes, the bind-group entries and the dispatch. No GPU needed;
 * tests check these against WGSL's layout rules and WebGPU's default limits.
 */
export interface CapturedDispatch {
  program: ConvGradProgram;
  code: string;
  uniformBytes: ArrayBuffer;
  bindings: number;
  dispatch: [number, number, number];
  inputShapes: number[][];
  outputShape: number[];
}

export function captureBackend(): WebGpuBackendLike & { captured: CapturedDispatch[] } {
  const g = globalThis as unknown as { GPUBufferUsage?: Record<string, number> };
  g.GPUBufferUsage ??= { MAP_READ: 1, MAP_WRITE: 2, COPY_SRC: 4, COPY_DST: 8, INDEX: 16, VERTEX: 32, UNIFORM: 64, STORAGE: 128, INDIRECT: 256, QUERY_RESOLVE: 512 };
  // Tensors made by the caller are float32 buffers the stand-in has not seen.
  const tensorMap = new (class extends Map<unknown, { dtype: tf.DataType; shape: number[] }> {
    override get(id: unknown): { dtype: tf.DataType; shape: number[] } {
      return super.get(id) ?? { dtype: 'float32', shape: [] };
    }
  })();
  let nextId = 0;
  const captured: CapturedDispatch[] = [];
  let pending: Partial<CapturedDispatch> = {};
  const real = WebGPUBackend.prototype as unknown as Record<'runWebGPUProgram' | 'recordAndSubmit' | 'makeUniforms', (...a: unknown[]) => unknown>;
  const fake = {
    // tfjs' own code, run with `this` = the stand-in.
    recordAndSubmit: real.recordAndSubmit,
    makeUniforms: real.makeUniforms,
    captured,
    tensorMap,
    pipelineCache: {} as Record<string, unknown>,
    commandQueueOwnedIds: new WeakSet<object>(),
    uniformPendingDisposal: [] as unknown[],
    dispatchCountInPass: 0,
    activeTimers: null,
    supportTimestampQuery: false,
    makeTensorInfo(shape: number[], dtype: tf.DataType): tf.TensorInfo {
      const dataId = { id: nextId++ };
      tensorMap.set(dataId, { dtype, shape });
      return { dataId, shape, dtype };
    },
    disposeData(dataId: object): boolean {
      return tensorMap.delete(dataId);
    },
    uploadToGPU(): void {},
    tensorToBinding(): object {
      return {};
    },
    ensureCommandEncoderReady(): void {},
    endComputePassEncoder(): void {},
    submitQueue(): void {},
    bufferManager: { acquireBuffer: (): object => ({}) },
    queue: {
      writeBuffer(_buffer: unknown, _offset: number, data: ArrayBuffer): void {
        pending.uniformBytes = data.slice(0);
      },
    },
    device: {
      limits: { maxComputeWorkgroupsPerDimension: 65535 },
      createShaderModule({ code }: { code: string }): object {
        pending.code = code;
        return {};
      },
      createComputePipeline(): object {
        return { getBindGroupLayout: (): object => ({}) };
      },
      createBindGroup({ entries }: { entries: unknown[] }): object {
        pending.bindings = entries.length;
        return {};
      },
    },
    computePassEncoder: {
      setPipeline(): void {},
      setBindGroup(): void {},
      dispatchWorkgroups(x: number, y: number, z: number): void {
        pending.dispatch = [x, y, z];
      },
    },
    runWebGPUProgram(program: ConvGradProgram, inputs: tf.TensorInfo[], dtype: tf.DataType, uniforms: ProgramUniforms): tf.TensorInfo {
      // A fresh pipeline cache per call, so every call records its shader.
      fake.pipelineCache = {};
      pending = { program, inputShapes: inputs.map((t) => t.shape), outputShape: program.outputShape };
      const out = real.runWebGPUProgram.call(fake, program, inputs, dtype, uniforms) as tf.TensorInfo;
      captured.push(pending as CapturedDispatch);
      return out;
    },
  };
  return fake;
}
