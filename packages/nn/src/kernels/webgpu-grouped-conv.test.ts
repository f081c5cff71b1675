import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { GroupedConv2D, type GroupedConv2DAttrs } from './grouped-conv2d.js';
import { registerTfvisionKernels } from './register.js';
import { GroupedConv2DProgram, groupedConvLaunch, webgpuGroupedConvForward } from './webgpu-grouped-conv.js';

// No GPU in CI: these check the launch arithmetic against the cpu kernel and the shader's
// contract with tfjs' generated preamble; the shader itself runs only where WebGPU exists.
describe('webgpu grouped conv shader', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
    registerTfvisionKernels();
  });

  it('is the forward kernel registered for webgpu', () => {
    expect(tf.getKernel(GroupedConv2D, 'webgpu')?.kernelFunc).toBe(webgpuGroupedConvForward);
  });

  it.each([
    { x: [2, 9, 8, 64], f: [3, 3, 2, 64], a: { strides: [2, 2], pad: [1, 1, 1, 1], dilations: [1, 1], groups: 32 } },
    { x: [1, 7, 7, 8], f: [3, 3, 4, 6], a: { strides: [1, 1], pad: [2, 2, 2, 2], dilations: [2, 2], groups: 2 } },
    { x: [1, 8, 8, 4], f: [3, 3, 1, 8], a: { strides: [2, 2], pad: [0, 1, 0, 1], dilations: [1, 1], groups: 4 } },
  ])('launch shape and uniforms match the cpu kernel for x=$x f=$f', ({ x, f, a }) => {
    const attrs = a as GroupedConv2DAttrs;
    const launch = groupedConvLaunch(x, f, attrs);
    const y = tf.engine().runKernel(GroupedConv2D, { x: tf.zeros(x), filter: tf.zeros(f) }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor;
    expect(launch.outShape).toEqual(y.shape);
    expect(launch.uniforms.map((u) => u.data)).toEqual([[f[0], f[1]], [a.pad[0], a.pad[2]], a.strides, a.dilations, [f[2]], [f[3] / a.groups]]);
    const program = new GroupedConv2DProgram(launch.outShape);
    expect(program.dispatch[0] * program.workgroupSize[0]).toBeGreaterThanOrEqual(launch.outShape.reduce((p, q) => p * q, 1));
  });

  it('declares every uniform it reads and uses only preamble helpers tfjs generates', () => {
    const program = new GroupedConv2DProgram([1, 4, 4, 8]);
    const code = program.getUserCode();
    const declared = new Set(program.uniforms.split(',').map((d) => d.split(':')[0].trim()).filter(Boolean));
    // xShape and size come from variableNames and `size: true`.
    for (const name of ['xShape', 'size']) declared.add(name);
    const read = [...code.matchAll(/uniforms\.(\w+)/g)].map((m) => m[1]);
    expect(read.filter((r) => !declared.has(r))).toEqual([]);
    const calls = new Set([...code.matchAll(/\b(get\w+|set\w+)\(/g)].map((m) => m[1]));
    expect([...calls].sort()).toEqual(['getCoordsFromIndex', 'getW', 'getX', 'setOutputAtIndex']);
    expect(code).toMatch(/fn main\(index : i32\)/);
  });
});
