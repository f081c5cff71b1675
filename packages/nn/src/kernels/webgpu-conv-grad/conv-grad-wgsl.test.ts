import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-webgpu';
import { initBackend } from '../../backend.js';
import { registerTfvisionKernels } from '../register.js';
import { GroupedConv2DBackpropFilter, GroupedConv2DBackpropInput } from '../grouped-conv2d.js';
import { convGradGeometry, GEOMETRY_UNIFORMS, uniformValues, planFilterGrad, planInputGrad, type ConvGradGeometry } from './conv-grad-geometry.js';
import { registerWebGpuConvGradKernels, runFilterGrad, runInputGrad, webgpuConvGradChoice } from './conv-grad-kernels.js';
import { captureBackend, type CapturedDispatch } from './shader-capture.js';
import { ZOO_CASES } from './zoo-cases.js';

// No GPU here: tfjs' own shader assembly, uniform packing and dispatch run on a recording
// stand-in (shader-capture.ts); these check what a device would reject or misread.
beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
  registerTfvisionKernels();
});

// WebGPU's default limits (every adapter offers at least these).
const LIMITS = { x: 256, y: 256, z: 64, invocations: 256, workgroupBytes: 16384 };

const WGSL_LAYOUT: Record<string, { align: number; size: number }> = {
  i32: { align: 4, size: 4 },
  f32: { align: 4, size: 4 },
  'vec2<i32>': { align: 8, size: 8 },
  'vec3<i32>': { align: 16, size: 12 },
  'vec4<i32>': { align: 16, size: 16 },
};

/** Members of the generated Uniforms struct with their WGSL offsets. */
function uniformLayout(code: string): { name: string; type: string; offset: number }[] {
  const body = /struct Uniforms \{([^}]*)\}/.exec(code)?.[1];
  if (body === undefined) throw new Error('no Uniforms struct');
  let offset = 0;
  return body
    .split(',')
    .map((m) => m.trim())
    .filter(Boolean)
    .map((m) => {
      const [name, type] = m.split(':').map((s) => s.trim());
      const layout = WGSL_LAYOUT[type];
      if (!layout) throw new Error(`unexpected uniform type ${type}`);
      offset = Math.ceil(offset / layout.align) * layout.align;
      const member = { name, type, offset };
      offset += layout.size;
      return member;
    });
}

function expectedUniform(c: CapturedDispatch, name: string, programValues: Record<string, number>): number[] {
  if (name === 'NAN') return [NaN];
  if (name === 'INFINITY') return [Infinity];
  if (name === 'size') return [c.outputShape.reduce((p, q) => p * q, 1)];
  const shapes: Record<string, number[]> = { out: c.outputShape };
  c.program.variableNames.forEach((v, i) => (shapes[v.charAt(0).toLowerCase() + v.slice(1)] = c.inputShapes[i]));
  for (const [prefix, shape] of Object.entries(shapes)) {
    if (name === `${prefix}Shape`) return shape;
    if (name === `${prefix}ShapeStrides`) {
      const strides = tf.util.computeStrides(shape);
      return strides.length === 0 ? [1] : strides;
    }
  }
  if (name in programValues) return [programValues[name]];
  throw new Error(`uniform ${name} has no known source`);
}

function checkDispatch(c: CapturedDispatch, programValues: Record<string, number>): void {
  const [x, y, z] = c.program.workgroupSize;
  expect(x <= LIMITS.x && y <= LIMITS.y && z <= LIMITS.z && x * y * z <= LIMITS.invocations).toBe(true);
  expect(c.code).toContain(`@workgroup_size(${x}, ${y}, ${z})`);
  const shared = [...c.code.matchAll(/var<workgroup>\s+\w+\s*:\s*array<f32,\s*(\d+)>/g)].reduce((s, m) => s + 4 * Number(m[1]), 0);
  expect(shared).toBeLessThanOrEqual(LIMITS.workgroupBytes);
  // Output at 0, one storage buffer per variableName in order, the uniforms last.
  const bound = [...c.code.matchAll(/@binding\((\d+)\) var<(\w+)(?:, (\w+))?> (\w+)/g)].map((m) => ({ at: Number(m[1]), space: m[2], name: m[4] }));
  expect(bound.map((b) => b.name)).toEqual(['result', ...c.program.variableNames, 'uniforms']);
  expect(bound.map((b) => b.at)).toEqual(bound.map((_, i) => i));
  expect(c.bindings).toBe(bound.length);
  // The bytes tfjs packed, read back at the offsets WGSL gives the struct members.
  const layout = uniformLayout(c.code);
  const i32 = new Int32Array(c.uniformBytes);
  const f32 = new Float32Array(c.uniformBytes);
  const last = layout[layout.length - 1];
  expect(c.uniformBytes.byteLength).toBeGreaterThanOrEqual(last.offset + WGSL_LAYOUT[last.type].size);
  for (const m of layout) {
    const want = expectedUniform(c, m.name, programValues);
    const at = m.offset / 4;
    const got = Array.from(m.type === 'f32' ? f32.subarray(at, at + 1) : i32.subarray(at, at + want.length));
    expect({ name: m.name, got }).toEqual({ name: m.name, got: want });
  }
  // Every uniform the shader reads is declared; the dispatch is what tfjs sends.
  const declared = new Set(layout.map((m) => m.name));
  const read = new Set([...c.code.matchAll(/uniforms\.(\w+)/g)].map((m) => m[1]));
  expect([...read].filter((r) => !declared.has(r))).toEqual([]);
  expect(c.dispatch).toEqual(c.program.dispatch);
}

function geometryOf(i: number): ConvGradGeometry {
  const k = ZOO_CASES[i];
  const outH = Math.floor((k.x[1] + k.conv.pad[0] + k.conv.pad[1] - (k.filter[0] - 1) * k.conv.dilations[0] - 1) / k.conv.strides[0]) + 1;
  const outW = Math.floor((k.x[2] + k.conv.pad[2] + k.conv.pad[3] - (k.filter[1] - 1) * k.conv.dilations[1] - 1) / k.conv.strides[1]) + 1;
  return convGradGeometry('test', k.x, k.filter, [k.x[0], outH, outW, k.filter[3]], k.conv);
}

const info = (shape: number[]): tf.TensorInfo => ({ dataId: {}, shape, dtype: 'float32' });

describe('webgpu conv-gradient shaders as tfjs assembles them', () => {
  it.each(ZOO_CASES.map((k, i) => [k.name, i] as const))('%s: limits, bindings and uniform layout', (_name, i) => {
    const g = geometryOf(i);
    const backend = captureBackend();
    const x = info([g.batch, g.inH, g.inW, g.inC]);
    const dy = info([g.batch, g.outH, g.outW, g.outC]);
    const w = info([g.kH, g.kW, g.cg, g.outC]);
    runFilterGrad(backend, x, dy, g);
    runFilterGrad(backend, x, dy, g, undefined, 3);
    runInputGrad(backend, dy, w, g);
    const filterPlan = planFilterGrad(g);
    const split = planFilterGrad(g, 3);
    const inputPlan = planInputGrad(g);
    const values = [uniformValues(g, filterPlan.launch), uniformValues(g, split.launch)];
    const expectedCalls = 1 + (filterPlan.splits > 1 ? 1 : 0) + 1 + (split.splits > 1 ? 1 : 0) + 1;
    expect(backend.captured).toHaveLength(expectedCalls);
    let at = 0;
    for (const v of [values[0], values[1]]) {
      const main = backend.captured[at++];
      checkDispatch(main, v);
      if (main.outputShape.length === 3) checkDispatch(backend.captured[at++], { splits: main.outputShape[0] });
    }
    checkDispatch(backend.captured[at], uniformValues(g, inputPlan.launch));
    // Names and order of the program uniforms are GEOMETRY_UNIFORMS.
    const layout = uniformLayout(backend.captured[at].code).map((m) => m.name);
    expect(layout.slice(layout.length - GEOMETRY_UNIFORMS.length)).toEqual([...GEOMETRY_UNIFORMS]);
  });

  it('frees split-K partials and leaves the filter shape on the result', () => {
    const g = geometryOf(2);
    const backend = captureBackend();
    const out = runFilterGrad(backend, info([g.batch, g.inH, g.inW, g.inC]), info([g.batch, g.outH, g.outW, g.outC]), g, undefined, 3);
    expect(out.shape).toEqual([g.kH, g.kW, g.cg, g.outC]);
    expect((backend as unknown as { tensorMap: Map<unknown, unknown> }).tensorMap.size).toBe(1);
  });
});

describe('webgpu conv-gradient kernel choice and registration', () => {
  it('keeps tfjs where ours would not win and takes ours where tfjs loops serially', () => {
    const dense = convGradGeometry('test', [8, 56, 56, 64], [1, 1, 64, 256], [8, 56, 56, 256], { strides: [1, 1], dilations: [1, 1], pad: [0, 0, 0, 0], groups: 1 });
    expect(webgpuConvGradChoice('Conv2DBackpropFilter', dense)).toBe('tfvision');
    expect(webgpuConvGradChoice('Conv2DBackpropInput', dense)).toBe('tfjs');
    const tiny = convGradGeometry('test', [1, 7, 7, 64], [3, 3, 64, 64], [1, 7, 7, 64], { strides: [1, 1], dilations: [1, 1], pad: [1, 1, 1, 1], groups: 1 });
    expect(webgpuConvGradChoice('Conv2DBackpropFilter', tiny)).toBe('tfjs');
    expect(webgpuConvGradChoice('TfvGroupedConv2DBackpropInput', tiny)).toBe('tfvision');
    // Over 65535 row tiles (batch 128 at 224x224): the tiled dx would exceed the dispatch limit.
    const huge = convGradGeometry('test', [128, 224, 224, 8], [3, 3, 2, 8], [128, 224, 224, 8], { strides: [1, 1], dilations: [1, 1], pad: [1, 1, 1, 1], groups: 4 });
    expect(webgpuConvGradChoice('TfvGroupedConv2DBackpropInput', huge)).toBe('tfjs');
  });

  it('wraps the six webgpu kernels once, keeping the replaced ones as fallbacks', () => {
    const names = [tf.Conv2DBackpropFilter, tf.Conv2DBackpropInput, tf.DepthwiseConv2dNativeBackpropFilter, tf.DepthwiseConv2dNativeBackpropInput, GroupedConv2DBackpropFilter, GroupedConv2DBackpropInput];
    const before = names.map((n) => tf.getKernel(n, 'webgpu')?.kernelFunc);
    expect(before.every((k) => k !== undefined)).toBe(true);
    expect(registerWebGpuConvGradKernels()).toBe(true);
    const after = names.map((n) => tf.getKernel(n, 'webgpu')?.kernelFunc);
    after.forEach((k, i) => expect(k).not.toBe(before[i]));
    expect(registerWebGpuConvGradKernels()).toBe(true);
    expect(names.map((n) => tf.getKernel(n, 'webgpu')?.kernelFunc)).toEqual(after);
  });

  it('sends a depthwise filter gradient through ours with tfjs attrs and returns tfjs\' filter shape', () => {
    registerWebGpuConvGradKernels();
    const backend = captureBackend();
    const kernel = tf.getKernel(tf.DepthwiseConv2dNativeBackpropFilter, 'webgpu');
    const out = kernel?.kernelFunc({
      inputs: { x: info([2, 16, 16, 8]), dy: info([2, 8, 8, 16]) },
      backend: backend as unknown as tf.KernelBackend,
      attrs: { strides: [2, 2], dilations: [1, 1], pad: 'same', dimRoundingMode: undefined as unknown as string, filterShape: [3, 3, 8, 2] },
    }) as tf.TensorInfo;
    expect(out.shape).toEqual([3, 3, 8, 2]);
    const first = backend.captured[0];
    // tfjs appends ranks, dtypes and inputs to the program's key.
    expect(first.program.shaderKey).toMatch(/^tfvConvFilterGradDepthwise_/);
    // TF 'same' at stride 2 on 16: total pad 1, none on top.
    const g = convGradGeometry('test', [2, 16, 16, 8], [3, 3, 1, 16], [2, 8, 8, 16], { strides: [2, 2], dilations: [1, 1], pad: [0, 1, 0, 1], groups: 8 });
    const plan = planFilterGrad(g);
    checkDispatch(first, uniformValues(g, plan.launch));
  });
});
