import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { roiAlign } from '../ops/roi-align.js';
import { RoiAlign, RoiAlignGrad, type RoiAlignAttrs } from './roi-align-attrs.js';
import { registerHeadsKernels } from './register-heads-kernels.js';
import { RoiAlignGradProgram, RoiAlignProgram, roiAlignGradLaunch, roiAlignGradWebGpu, roiAlignLaunch, roiAlignWebGpu } from './roi-align-webgpu.js';
import type { WebGpuProgram as WebGpuProgramShape } from '@tfvision/nn';

// No GPU in CI: these check the launch arithmetic against the cpu kernel and the shaders'
// contract with tfjs' generated preamble; the shaders themselves run only where WebGPU exists.
beforeAll(async () => {
  await initBackend({ backend: 'cpu', report: false });
  registerHeadsKernels();
});

const attrs: RoiAlignAttrs = { pooledHeight: 7, pooledWidth: 5, spatialScale: 0.25, samplingRatio: 0, aligned: true, roiLevels: [], level: -1 };

/** Uniforms a program reads that neither it nor tfjs declares, and the preamble helpers it calls. */
function contract(program: WebGpuProgramShape): { undeclared: string[]; helpers: string[] } {
  const code = program.getUserCode();
  const declared = new Set(program.uniforms.split(',').map((d) => d.split(':')[0].trim()).filter(Boolean));
  // tfjs declares <name>Shape and <name>ShapeStrides per input, outShape(Strides), and size when asked.
  for (const v of program.variableNames) for (const suffix of ['Shape', 'ShapeStrides']) declared.add(`${v}${suffix}`);
  for (const name of ['outShape', 'outShapeStrides', ...(program.size ? ['size'] : [])]) declared.add(name);
  const read = [...code.matchAll(/uniforms\.(\w+)/g)].map((m) => m[1]);
  const defined = new Set([...code.matchAll(/fn (\w+)\(/g)].map((m) => m[1]));
  const helpers = [...new Set([...code.matchAll(/\b(get\w+|set\w+)\(/g)].map((m) => m[1]))].filter((f) => !defined.has(f)).sort();
  return { undeclared: read.filter((r) => !declared.has(r)), helpers };
}

describe('webgpu RoIAlign shaders', () => {
  it('are the kernels registered for webgpu', () => {
    expect(tf.getKernel(RoiAlign, 'webgpu')?.kernelFunc).toBe(roiAlignWebGpu);
    expect(tf.getKernel(RoiAlignGrad, 'webgpu')?.kernelFunc).toBe(roiAlignGradWebGpu);
  });

  it.each([
    { x: [2, 25, 34, 256] as [number, number, number, number], k: 1000 },
    { x: [1, 7, 9, 3] as [number, number, number, number], k: 1 },
    { x: [3, 4, 4, 1] as [number, number, number, number], k: 0 },
  ])('launch shape and uniforms match the cpu kernel for x=$x, K=$k', ({ x, k }) => {
    const features = tf.zeros(x) as tf.Tensor4D;
    const rois = tf.zeros([k, 5]) as tf.Tensor2D;
    const y = roiAlign(features, rois, { outputSize: [7, 5], spatialScale: 0.25, samplingRatio: 0, aligned: true });
    const launch = roiAlignLaunch(x, [k, 5], attrs);
    expect(launch.outShape).toEqual(y.shape);
    expect(launch.uniforms).toEqual([{ type: 'float32', data: [0.25] }, { type: 'int32', data: [0] }, { type: 'int32', data: [1] }, { type: 'int32', data: [-1] }]);
    const forward = new RoiAlignProgram(launch.outShape);
    expect(forward.dispatch[0] * forward.workgroupSize[0]).toBeGreaterThanOrEqual(y.size);
    expect(forward.dispatch[0] * forward.workgroupSize[0]).toBeLessThan(y.size + forward.workgroupSize[0]);

    const grad = roiAlignGradLaunch(y.shape, { ...attrs, inputShape: x });
    expect(grad.outShape).toEqual(x);
    expect(grad.uniforms.map((u) => u.data)).toEqual([[0.25], [0], [1], [-1], [y.size]]);
    const backward = new RoiAlignGradProgram(grad.outShape, y.shape);
    // The backward dispatch covers dy, not its (features-shaped) output.
    expect(backward.dispatch[0] * backward.workgroupSize[0]).toBeGreaterThanOrEqual(y.size);
    expect(backward.dispatch[0]).toBe(Math.ceil(y.size / 64));
    tf.dispose([features, rois, y]);
  });

  it('forward declares every uniform it reads and uses only preamble helpers tfjs generates', () => {
    const program = new RoiAlignProgram([3, 7, 5, 8]);
    expect(contract(program)).toEqual({ undeclared: [], helpers: ['getCoordsFromIndex', 'getRois', 'getX', 'setOutputAtIndex'] });
    expect(program.getUserCode()).toMatch(/fn main\(index : i32\)/);
    expect(program.variableNames).toEqual(['x', 'rois']);
  });

  it('backward writes only through compare-exchange on the atomic output and reads dy by its own coordinates', () => {
    const program = new RoiAlignGradProgram([2, 9, 9, 8], [3, 7, 5, 8]);
    const code = program.getUserCode();
    expect(program.atomic).toBe(true);
    expect(program.size).toBe(false);
    expect(contract(program)).toEqual({ undeclared: [], helpers: ['getDy', 'getDyCoordsFromIndex', 'getRois'] });
    expect(code).not.toMatch(/setOutput/);
    expect([...code.matchAll(/result\[/g)].length).toBe(2);
    expect(code).toMatch(/atomicCompareExchangeWeak\(&result\[flatIndex\]/);
    expect([...code.matchAll(/atomicAddAt\(/g)].length).toBe(5);
  });

  it('with attrs.roiLevels read the levels as a third input and skip other levels', () => {
    const forward = new RoiAlignProgram([3, 7, 5, 8], true);
    const backward = new RoiAlignGradProgram([2, 9, 9, 8], [3, 7, 5, 8], true);
    expect(forward.variableNames).toEqual(['x', 'rois', 'roiLevels']);
    expect(backward.variableNames).toEqual(['dy', 'rois', 'roiLevels']);
    expect(forward.shaderKey).not.toBe(new RoiAlignProgram([3, 7, 5, 8]).shaderKey);
    expect(contract(forward)).toEqual({ undeclared: [], helpers: ['getCoordsFromIndex', 'getRoiLevels', 'getRois', 'getX', 'setOutputAtIndex'] });
    expect(contract(backward)).toEqual({ undeclared: [], helpers: ['getDy', 'getDyCoordsFromIndex', 'getRoiLevels', 'getRois'] });
    expect(forward.getUserCode()).toMatch(/if \(i32\(getRoiLevels\(k\)\) != uniforms\.level\) \{\s*setOutputAtIndex\(index, 0\.0\);\s*return;/);
    expect(new RoiAlignProgram([3, 7, 5, 8]).getUserCode()).not.toMatch(/getRoiLevels/);
  });

  it('both shaders carry the edge rules: outside (-1, size] is skipped, <= 0 clamps, the last row and column clamp', () => {
    for (const code of [new RoiAlignProgram([1, 1, 1, 1]).getUserCode(), new RoiAlignGradProgram([1, 1, 1, 1], [1, 1, 1, 1]).getUserCode()]) {
      expect(code).toContain('yIn < -1.0 || yIn > f32(height) || xIn < -1.0 || xIn > f32(width)');
      expect(code).toContain('max(yIn, 0.0)');
      expect(code).toContain('if (q.yLow >= height - 1)');
      expect(code).toContain('if (q.xLow >= width - 1)');
      expect(code).toContain('g.count = f32(max(g.gridH * g.gridW, 1))');
      expect(code).toContain('if (uniforms.aligned == 0)');
    }
  });
});
