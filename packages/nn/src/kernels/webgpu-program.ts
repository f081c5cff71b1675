/**
 * What tfjs-backend-webgpu 4.22's `runWebGPUProgram` reads of a program (its WebGPUProgram
 * interface: the package's typings do not export it), written once for every tfvision WGSL
 * kernel. tfjs generates the preamble from these fields: `getX`-style accessors from
 * `variableNames`, `uniforms.*Shape` and `uniforms.size` (when `size`), the output setters
 * (atomic ones when `atomic`), and the uniform struct from `uniforms`.
 */
export interface WebGpuProgram {
  variableNames: string[];
  uniforms: string;
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  size: boolean;
  atomic?: boolean;
  getUserCode(): string;
}

/** The custom uniforms a program declares in `uniforms`, in that order. */
export type WebGpuUniforms = { type: 'int32' | 'float32'; data: number[] }[];
