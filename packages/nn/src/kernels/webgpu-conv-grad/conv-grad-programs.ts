import {
  DEPTHWISE_WORKGROUP,
  filterGradA,
  filterGradB,
  filterGradOut,
  GEOMETRY_UNIFORMS,
  inputGradA,
  inputGradB,
  inputGradOut,
  type GemmTiling,
} from './conv-grad-geometry.js';

/**
 * WGSL programs for tfjs-backend-webgpu's runWebGPUProgram (its WebGPUProgram contract: tfjs
 * prepends the Uniforms struct — NAN, INFINITY, <input>Shape/<input>ShapeStrides per
 * variableName, outShape, outShapeStrides, size when asked, then `uniforms` — binds the output
 * at 0, the inputs at 1.. and the uniforms last, and calls main() or main(index)).
 * - FilterGradGemmProgram / InputGradGemmProgram: tiled implicit GEMM, one workgroup per
 *   (group, column tile, row tile[, split]), operand tiles gathered into workgroup memory,
 *   a register micro-tile per thread, rows and columns interleaved across threads.
 * - DepthwiseFilterGradProgram / DepthwiseInputGradProgram: one input channel per group,
 *   where a GEMM tile has nothing to reuse: one thread per output, channel-coalesced.
 * - SplitSumProgram: the sum over split-K partials.
 * Index arithmetic is the text of conv-grad-geometry.ts's functions; conv-grad-emulation.ts
 * runs these loops on the cpu.
 */
export interface ConvGradProgram {
  variableNames: string[];
  uniforms: string;
  outputShape: number[];
  shaderKey: string;
  dispatchLayout: { x: number[]; y?: number[]; z?: number[] };
  dispatch: [number, number, number];
  workgroupSize: [number, number, number];
  size: boolean;
  getUserCode(): string;
}

/** The program-defined uniforms: every geometry scalar as one i32, in GEOMETRY_UNIFORMS order. */
export const GEOMETRY_UNIFORM_DECLARATION = GEOMETRY_UNIFORMS.map((u) => `${u} : i32,`).join(' ');

/** tfjs generates getOutputCoords from the layout; ours read workgroupId, so any non-flat layout does. */
function tiledLayout(rank: number): { x: number[]; y: number[] } {
  return { x: [rank - 1], y: Array.from({ length: rank - 1 }, (_, i) => i) };
}

interface GemmSpec {
  tiling: GemmTiling;
  /** Which operand buffers A and B read, and the calls that give their flat indices. */
  aBuffer: string;
  bBuffer: string;
  aIndex: string;
  bIndex: string;
  outIndex: string;
  aKFastest: boolean;
  bKFastest: boolean;
  kRange: string;
  rowsUniform: string;
  colsUniform: string;
  functions: string;
}

function gemmSource(s: GemmSpec): string {
  const { tileI, tileJ, tileK, microI, microJ } = s.tiling;
  const threadsI = tileI / microI;
  const threadsJ = tileJ / microJ;
  const threads = threadsI * threadsJ;
  const aSplit = s.aKFastest ? `let kk = e % ${tileK}; let ii = e / ${tileK};` : `let ii = e % ${tileI}; let kk = e / ${tileI};`;
  const bSplit = s.bKFastest ? `let kk = e % ${tileK}; let jj = e / ${tileK};` : `let jj = e % ${tileJ}; let kk = e / ${tileJ};`;
  return `
${s.functions}
var<workgroup> tileA : array<f32, ${tileK * tileI}>;
var<workgroup> tileB : array<f32, ${tileK * tileJ}>;

fn loadA(k : i32, i : i32, g : i32, kEnd : i32) -> f32 {
  let at = ${s.aIndex};
  if (at < 0) {
    return 0.0;
  }
  return ${s.aBuffer}[at];
}

fn loadB(k : i32, j : i32, g : i32, kEnd : i32) -> f32 {
  let at = ${s.bIndex};
  if (at < 0) {
    return 0.0;
  }
  return ${s.bBuffer}[at];
}

fn main() {
  let wx = i32(workgroupId.x);
  let wy = i32(workgroupId.y);
  let wz = i32(workgroupId.z);
  let tx = i32(localId.x);
  let ty = i32(localId.y);
  let lin = i32(localIndex);
  let g = wx / uniforms.colTiles;
  let j0 = (wx - g * uniforms.colTiles) * ${tileJ};
  let i0 = wy * ${tileI};
  ${s.kRange}
  var acc : array<array<f32, ${microJ}>, ${microI}>;
  // The step count is a uniform, so the barriers stay in uniform control flow.
  for (var t = 0; t < uniforms.kSteps; t = t + 1) {
    let kt = k0 + t * ${tileK};
    for (var e = lin; e < ${tileK * tileI}; e = e + ${threads}) {
      ${aSplit}
      tileA[kk * ${tileI} + ii] = loadA(kt + kk, i0 + ii, g, kEnd);
    }
    for (var e = lin; e < ${tileK * tileJ}; e = e + ${threads}) {
      ${bSplit}
      tileB[kk * ${tileJ} + jj] = loadB(kt + kk, j0 + jj, g, kEnd);
    }
    workgroupBarrier();
    for (var kk = 0; kk < ${tileK}; kk = kk + 1) {
      var b : array<f32, ${microJ}>;
      for (var j = 0; j < ${microJ}; j = j + 1) {
        b[j] = tileB[kk * ${tileJ} + tx + j * ${threadsJ}];
      }
      for (var i = 0; i < ${microI}; i = i + 1) {
        let a = tileA[kk * ${tileI} + ty + i * ${threadsI}];
        for (var j = 0; j < ${microJ}; j = j + 1) {
          acc[i][j] = fma(a, b[j], acc[i][j]);
        }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0; i < ${microI}; i = i + 1) {
    let row = i0 + ty + i * ${threadsI};
    for (var j = 0; j < ${microJ}; j = j + 1) {
      let col = j0 + tx + j * ${threadsJ};
      if (row < uniforms.${s.rowsUniform} && col < uniforms.${s.colsUniform}) {
        result[${s.outIndex}] = acc[i][j];
      }
    }
  }
}
`;
}

function tilingKey(t: GemmTiling): string {
  return `${t.tileI}x${t.tileJ}x${t.tileK}_${t.microI}x${t.microJ}`;
}

function gemmWorkgroup(t: GemmTiling): [number, number, number] {
  return [t.tileJ / t.microJ, t.tileI / t.microI, 1];
}

/** dW (or split-K partials [splits, kH*kW*cg, outC]) of a grouped convolution; inputs x, dy. */
export class FilterGradGemmProgram implements ConvGradProgram {
  readonly variableNames = ['x', 'dy'];
  readonly uniforms = GEOMETRY_UNIFORM_DECLARATION;
  readonly shaderKey: string;
  readonly dispatchLayout: { x: number[]; y: number[] };
  readonly workgroupSize: [number, number, number];
  readonly size = false;

  constructor(
    readonly outputShape: number[],
    readonly dispatch: [number, number, number],
    readonly tiling: GemmTiling,
  ) {
    this.shaderKey = `tfvConvFilterGradGemm_${tilingKey(tiling)}`;
    this.dispatchLayout = tiledLayout(outputShape.length);
    this.workgroupSize = gemmWorkgroup(tiling);
  }

  getUserCode(): string {
    return gemmSource({
      tiling: this.tiling,
      aBuffer: 'x',
      bBuffer: 'dy',
      aIndex: `${filterGradA.source.name}(k, i, g, kEnd)`,
      bIndex: `${filterGradB.source.name}(k, g, j, kEnd)`,
      outIndex: `${filterGradOut.source.name}(wz, row, g, col)`,
      aKFastest: false,
      bKFastest: false,
      kRange: 'let k0 = wz * uniforms.splitLen;\n  let kEnd = min(k0 + uniforms.splitLen, uniforms.mTotal);',
      rowsUniform: 'rows',
      colsUniform: 'og',
      functions: [filterGradA.wgsl, filterGradB.wgsl, filterGradOut.wgsl].join('\n'),
    });
  }
}

/** dx of a grouped convolution; inputs dy, W. */
export class InputGradGemmProgram implements ConvGradProgram {
  readonly variableNames = ['dy', 'W'];
  readonly uniforms = GEOMETRY_UNIFORM_DECLARATION;
  readonly shaderKey: string;
  readonly dispatchLayout: { x: number[]; y: number[] };
  readonly workgroupSize: [number, number, number];
  readonly size = false;

  constructor(
    readonly outputShape: number[],
    readonly dispatch: [number, number, number],
    readonly tiling: GemmTiling,
  ) {
    this.shaderKey = `tfvConvInputGradGemm_${tilingKey(tiling)}`;
    this.dispatchLayout = tiledLayout(outputShape.length);
    this.workgroupSize = gemmWorkgroup(tiling);
  }

  getUserCode(): string {
    return gemmSource({
      tiling: this.tiling,
      aBuffer: 'dy',
      bBuffer: 'W',
      aIndex: `${inputGradA.source.name}(i, k, g)`,
      bIndex: `${inputGradB.source.name}(k, j, g)`,
      outIndex: `${inputGradOut.source.name}(row, col, g)`,
      aKFastest: true,
      bKFastest: true,
      kRange: 'let k0 = 0;\n  let kEnd = uniforms.kIn;',
      rowsUniform: 'qTotal',
      colsUniform: 'cg',
      functions: [inputGradA.wgsl, inputGradB.wgsl, inputGradOut.wgsl].join('\n'),
    });
  }
}

/** dW (or partials) with one input channel per group: thread (channel, tap, split). */
export class DepthwiseFilterGradProgram implements ConvGradProgram {
  readonly variableNames = ['x', 'dy'];
  readonly uniforms = GEOMETRY_UNIFORM_DECLARATION;
  readonly shaderKey = 'tfvConvFilterGradDepthwise';
  readonly dispatchLayout: { x: number[]; y: number[] };
  readonly workgroupSize: [number, number, number] = [DEPTHWISE_WORKGROUP, 1, 1];
  readonly size = false;

  constructor(
    readonly outputShape: number[],
    readonly dispatch: [number, number, number],
  ) {
    this.dispatchLayout = tiledLayout(outputShape.length);
  }

  getUserCode(): string {
    return `
${filterGradA.wgsl}
${filterGradB.wgsl}
${filterGradOut.wgsl}
fn main() {
  let oc = i32(workgroupId.x) * ${DEPTHWISE_WORKGROUP} + i32(localId.x);
  let tap = i32(workgroupId.y);
  let s = i32(workgroupId.z);
  if (oc >= uniforms.outC) {
    return;
  }
  let g = oc / uniforms.og;
  let j = oc - g * uniforms.og;
  let m0 = s * uniforms.splitLen;
  let mEnd = min(m0 + uniforms.splitLen, uniforms.mTotal);
  var acc = 0.0;
  for (var m = m0; m < mEnd; m = m + 1) {
    let xa = ${filterGradA.source.name}(m, tap, g, mEnd);
    if (xa >= 0) {
      acc = fma(x[xa], dy[${filterGradB.source.name}(m, g, j, mEnd)], acc);
    }
  }
  result[${filterGradOut.source.name}(s, tap, g, j)] = acc;
}
`;
  }
}

/** dx with one input channel per group: one thread per dx element. */
export class DepthwiseInputGradProgram implements ConvGradProgram {
  readonly variableNames = ['dy', 'W'];
  readonly uniforms = GEOMETRY_UNIFORM_DECLARATION;
  readonly shaderKey = 'tfvConvInputGradDepthwise';
  readonly dispatchLayout: { x: number[] };
  readonly workgroupSize: [number, number, number] = [DEPTHWISE_WORKGROUP, 1, 1];
  readonly size = true;

  constructor(
    readonly outputShape: number[],
    readonly dispatch: [number, number, number],
  ) {
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
  }

  getUserCode(): string {
    return `
${inputGradA.wgsl}
${inputGradB.wgsl}
fn main(index : i32) {
  if (index >= uniforms.size) {
    return;
  }
  let q = index / uniforms.inC;
  let c = index - q * uniforms.inC;
  var acc = 0.0;
  for (var k = 0; k < uniforms.kIn; k = k + 1) {
    let da = ${inputGradA.source.name}(q, k, c);
    if (da >= 0) {
      acc = fma(dy[da], W[${inputGradB.source.name}(k, 0, c)], acc);
    }
  }
  setOutputAtIndex(index, acc);
}
`;
  }
}

export const SPLIT_SUM_WORKGROUP = 64;

/** out[i] = sum_s partial[s, i]; input [splits, size]. */
export class SplitSumProgram implements ConvGradProgram {
  readonly variableNames = ['partial'];
  readonly uniforms = 'splits : i32,';
  readonly shaderKey = 'tfvConvGradSplitSum';
  readonly dispatchLayout: { x: number[] };
  readonly dispatch: [number, number, number];
  readonly workgroupSize: [number, number, number] = [SPLIT_SUM_WORKGROUP, 1, 1];
  readonly size = true;

  constructor(readonly outputShape: number[]) {
    this.dispatchLayout = { x: outputShape.map((_, i) => i) };
    this.dispatch = [Math.ceil(outputShape.reduce((p, q) => p * q, 1) / SPLIT_SUM_WORKGROUP), 1, 1];
  }

  getUserCode(): string {
    return `
fn main(index : i32) {
  if (index >= uniforms.size) {
    return;
  }
  var acc = 0.0;
  for (var s = 0; s < uniforms.splits; s = s + 1) {
    acc = acc + partial[s * uniforms.size + index];
  }
  setOutputAtIndex(index, acc);
}
`;
  }
}
