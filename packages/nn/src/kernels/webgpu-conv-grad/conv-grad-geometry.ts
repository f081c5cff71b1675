import { indexFn, type IndexFn } from './index-expr.js';

/**
 * Geometry and index arithmetic of the convolution gradients as implicit GEMMs (the
 * formulation of cuDNN's and CUTLASS's implicit-GEMM wgrad/dgrad: no im2col buffer, the
 * operand tiles are gathered straight from x, dy and W). Forward rule (NHWC, filter
 * [kH, kW, cg, outC], groups of cg input and og output channels, PyTorch's channel order):
 *   y[n, oh, ow, g*og + j] = sum_{fh, fw, c} x[n, oh*sH + fh*dH - padT, ow*sW + fw*dW - padL, g*cg + c] * W[fh, fw, c, g*og + j]
 * Filter gradient, per group: dW[r, j] = sum_m A[m, r] B[m, j], m = (n, oh, ow), r = (fh, fw, c).
 * Input gradient, per group: dx[q, c] = sum_k A[q, k] B[k, c], q = (n, ih, iw), k = (fh, fw, j),
 * where A gathers dy at oh = (ih + padT - fh*dH) / sH when that division is exact.
 * The index functions below are written once in index-expr's language: the WGSL calls the
 * emitted text, the cpu emulation the same text compiled to TypeScript.
 */
export interface ConvGradGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  kH: number;
  kW: number;
  strideH: number;
  strideW: number;
  dilH: number;
  dilW: number;
  padT: number;
  padL: number;
  groups: number;
  cg: number;
  og: number;
}

export interface ConvGradConfig {
  strides: [number, number];
  dilations: [number, number];
  /** [top, bottom, left, right]; bottom and right only fix the output size. */
  pad: [number, number, number, number];
  groups: number;
}

function outSize(size: number, k: number, s: number, d: number, before: number, after: number): number {
  return Math.floor((size + before + after - (k - 1) * d - 1) / s) + 1;
}

/** Geometry from the input and filter shapes; throws when dy's shape would not match. */
export function convGradGeometry(
  op: string,
  xShape: readonly number[],
  filterShape: readonly number[],
  dyShape: readonly number[],
  a: ConvGradConfig,
): ConvGradGeometry {
  const [batch, inH, inW, inC] = xShape;
  const [kH, kW, cg, outC] = filterShape;
  const { groups } = a;
  if (!Number.isInteger(groups) || groups < 1 || inC % groups !== 0 || outC % groups !== 0 || cg * groups !== inC) {
    throw new Error(`${op}: groups=${groups} does not fit in=${inC}, filter in per group=${cg}, out=${outC}`);
  }
  const outH = outSize(inH, kH, a.strides[0], a.dilations[0], a.pad[0], a.pad[1]);
  const outW = outSize(inW, kW, a.strides[1], a.dilations[1], a.pad[2], a.pad[3]);
  if (dyShape[0] !== batch || dyShape[1] !== outH || dyShape[2] !== outW || dyShape[3] !== outC) {
    throw new Error(`${op}: dy shape [${dyShape.join(', ')}] does not match the output [${[batch, outH, outW, outC].join(', ')}] of x [${xShape.join(', ')}] and filter [${filterShape.join(', ')}]`);
  }
  return {
    batch, inH, inW, inC, outH, outW, outC, kH, kW,
    strideH: a.strides[0], strideW: a.strides[1], dilH: a.dilations[0], dilW: a.dilations[1],
    padT: a.pad[0], padL: a.pad[2], groups, cg, og: outC / groups,
  };
}

/** Uniform names, in the order the programs declare them and the launches fill them. */
export const GEOMETRY_UNIFORMS = [
  'batch', 'inH', 'inW', 'inC', 'outH', 'outW', 'outC', 'kH', 'kW', 'strideH', 'strideW', 'dilH', 'dilW', 'padT', 'padL', 'cg', 'og',
  // Derived sizes: the GEMM extents, the split-K length and step count, column tiles per group.
  'mTotal', 'rows', 'qTotal', 'kIn', 'splitLen', 'kSteps', 'colTiles',
] as const;
export type UniformName = (typeof GEOMETRY_UNIFORMS)[number];

export interface LaunchShape {
  /** m per split of the filter gradient (its whole range when not split). */
  splitLen: number;
  /** Reduction steps of tileK each workgroup runs (a uniform, so barriers stay in uniform control flow). */
  kSteps: number;
  colTiles: number;
}

export function uniformValues(g: ConvGradGeometry, launch: LaunchShape): Record<UniformName, number> {
  return {
    batch: g.batch, inH: g.inH, inW: g.inW, inC: g.inC, outH: g.outH, outW: g.outW, outC: g.outC, kH: g.kH, kW: g.kW,
    strideH: g.strideH, strideW: g.strideW, dilH: g.dilH, dilW: g.dilW, padT: g.padT, padL: g.padL, cg: g.cg, og: g.og,
    mTotal: g.batch * g.outH * g.outW, rows: g.kH * g.kW * g.cg, qTotal: g.batch * g.inH * g.inW, kIn: g.kH * g.kW * g.og,
    splitLen: launch.splitLen, kSteps: launch.kSteps, colTiles: launch.colTiles,
  };
}

const U = GEOMETRY_UNIFORMS;

/** Filter gradient, A operand: x's flat index for (m, r) of group g, or -1 (padding, past the split's end). */
export const filterGradA: IndexFn = indexFn(
  {
    name: 'tfvFilterGradA',
    params: ['m', 'r', 'g', 'mEnd'],
    lets: [
      ['pix', 'outH * outW'],
      ['n', 'm / pix'],
      ['p', 'm - n * pix'],
      ['oh', 'p / outW'],
      ['ow', 'p - oh * outW'],
      ['tap', 'r / cg'],
      ['c', 'r - tap * cg'],
      ['fh', 'tap / kW'],
      ['fw', 'tap - fh * kW'],
      ['ih', 'oh * strideH + fh * dilH - padT'],
      ['iw', 'ow * strideW + fw * dilW - padL'],
      ['ok', 'm < mEnd && r < rows && ih >= 0 && ih < inH && iw >= 0 && iw < inW'],
    ],
    returns: 'select(-1, ((n * inH + ih) * inW + iw) * inC + g * cg + c, ok)',
  },
  U,
);

/** Filter gradient, B operand: dy's flat index for (m, column j of group g): dy is [m, outC] already. */
export const filterGradB: IndexFn = indexFn(
  { name: 'tfvFilterGradB', params: ['m', 'g', 'j', 'mEnd'], lets: [['ok', 'm < mEnd && j < og']], returns: 'select(-1, m * outC + g * og + j, ok)' },
  U,
);

/** Filter gradient output: split s's slice of [splits, kH*kW*cg, outC] (the filter's own layout when not split). */
export const filterGradOut: IndexFn = indexFn({ name: 'tfvFilterGradOut', params: ['s', 'r', 'g', 'j'], lets: [], returns: '(s * rows + r) * outC + g * og + j' }, U);

/** Input gradient, A operand: dy's flat index for (q, k) of group g, or -1 where no output tap lands. */
export const inputGradA: IndexFn = indexFn(
  {
    name: 'tfvInputGradA',
    params: ['q', 'k', 'g'],
    lets: [
      ['plane', 'inH * inW'],
      ['n', 'q / plane'],
      ['p', 'q - n * plane'],
      ['ih', 'p / inW'],
      ['iw', 'p - ih * inW'],
      ['tap', 'k / og'],
      ['j', 'k - tap * og'],
      ['fh', 'tap / kW'],
      ['fw', 'tap - fh * kW'],
      ['th', 'ih + padT - fh * dilH'],
      ['tw', 'iw + padL - fw * dilW'],
      ['oh', 'th / strideH'],
      ['ow', 'tw / strideW'],
      ['ok', 'q < qTotal && k < kIn && th >= 0 && tw >= 0 && oh * strideH == th && ow * strideW == tw && oh < outH && ow < outW'],
    ],
    returns: 'select(-1, ((n * outH + oh) * outW + ow) * outC + g * og + j, ok)',
  },
  U,
);

/** Input gradient, B operand: W's flat index for (k, channel c of group g). */
export const inputGradB: IndexFn = indexFn(
  {
    name: 'tfvInputGradB',
    params: ['k', 'c', 'g'],
    lets: [
      ['tap', 'k / og'],
      ['j', 'k - tap * og'],
      ['ok', 'k < kIn && c < cg'],
    ],
    returns: 'select(-1, (tap * cg + c) * outC + g * og + j, ok)',
  },
  U,
);

/** Input gradient output: dx's flat index for pixel q and channel c of group g. */
export const inputGradOut: IndexFn = indexFn({ name: 'tfvInputGradOut', params: ['q', 'c', 'g'], lets: [], returns: 'q * inC + g * cg + c' }, U);

/** Tile shape of the GEMM programs; threads = (tileI/microI) x (tileJ/microJ). */
export interface GemmTiling {
  tileI: number;
  tileJ: number;
  tileK: number;
  microI: number;
  microJ: number;
}

function nextPow2(v: number): number {
  let p = 1;
  while (p < v) p *= 2;
  return p;
}

/**
 * Rows tile 64 (16 threads x 4); columns tile the group's width rounded up to a power of two in
 * [4, 64], so a 4-wide ResNeXt group is not padded to 64 columns of idle threads.
 */
export function gemmTiling(columnsPerGroup: number): GemmTiling {
  const tileJ = Math.min(64, Math.max(4, nextPow2(columnsPerGroup)));
  return { tileI: 64, tileJ, tileK: 16, microI: 4, microJ: Math.max(1, tileJ / 16) };
}

export const MAX_WORKGROUPS_PER_DIMENSION = 65535;
// Enough workgroups to fill a large GPU (H100/H200: 132 SMs, several workgroups each).
const TARGET_WORKGROUPS = 1024;
// A split shorter than this spends more on its partial sums than it saves.
const MIN_SPLIT_LEN = 256;
// Partial sums are at most 64 MB.
const MAX_PARTIAL_FLOATS = 1 << 24;
const MAX_SPLITS = 256;

/** Split-K of the filter gradient: m (= N*OH*OW, often 10^4-10^5) is cut so the tiles fill the GPU. */
export function splitK(mTotal: number, outputFloats: number, tiles: number, tileK: number): { splits: number; splitLen: number } {
  const wanted = Math.min(Math.ceil(TARGET_WORKGROUPS / tiles), Math.floor(mTotal / MIN_SPLIT_LEN), Math.floor(MAX_PARTIAL_FLOATS / outputFloats), MAX_SPLITS);
  const splits0 = Math.max(1, wanted);
  const splitLen = Math.ceil(Math.ceil(mTotal / splits0) / tileK) * tileK;
  return { splits: Math.ceil(mTotal / splitLen), splitLen };
}

export type FilterGradPlan =
  | { kind: 'gemm'; tiling: GemmTiling; splits: number; launch: LaunchShape; dispatch: [number, number, number] }
  | { kind: 'depthwise'; splits: number; launch: LaunchShape; dispatch: [number, number, number] };

export type InputGradPlan =
  | { kind: 'gemm'; tiling: GemmTiling; launch: LaunchShape; dispatch: [number, number, number] }
  | { kind: 'depthwise'; launch: LaunchShape; dispatch: [number, number, number] };

export const DEPTHWISE_WORKGROUP = 64;

/** How the filter gradient runs; `splits` overrides split-K (tests use it to exercise the partial sums). */
export function planFilterGrad(g: ConvGradGeometry, splits?: number): FilterGradPlan {
  const mTotal = g.batch * g.outH * g.outW;
  const rows = g.kH * g.kW * g.cg;
  const pick = (tiles: number, tileK: number): { splits: number; splitLen: number } => {
    if (splits === undefined) return splitK(mTotal, rows * g.outC, tiles, tileK);
    const splitLen = Math.ceil(Math.ceil(mTotal / splits) / tileK) * tileK;
    return { splits: Math.ceil(mTotal / splitLen), splitLen };
  };
  if (g.cg === 1) {
    // Depthwise-like (one input channel per group): no reuse for a GEMM tile to exploit; one
    // thread per (tap, output channel) reads x and dy along channels, which coalesces.
    const taps = g.kH * g.kW;
    const tiles = Math.ceil(g.outC / DEPTHWISE_WORKGROUP) * taps;
    const s = pick(tiles, 1);
    return { kind: 'depthwise', splits: s.splits, launch: { splitLen: s.splitLen, kSteps: s.splitLen, colTiles: 1 }, dispatch: [Math.ceil(g.outC / DEPTHWISE_WORKGROUP), taps, s.splits] };
  }
  const tiling = gemmTiling(g.og);
  const colTiles = Math.ceil(g.og / tiling.tileJ);
  const rowTiles = Math.ceil(rows / tiling.tileI);
  const s = pick(g.groups * colTiles * rowTiles, tiling.tileK);
  return {
    kind: 'gemm',
    tiling,
    splits: s.splits,
    launch: { splitLen: s.splitLen, kSteps: s.splitLen / tiling.tileK, colTiles },
    dispatch: [g.groups * colTiles, rowTiles, s.splits],
  };
}

export function planInputGrad(g: ConvGradGeometry): InputGradPlan {
  const qTotal = g.batch * g.inH * g.inW;
  const kIn = g.kH * g.kW * g.og;
  if (g.cg === 1) {
    return { kind: 'depthwise', launch: { splitLen: 0, kSteps: kIn, colTiles: 1 }, dispatch: [Math.ceil((qTotal * g.inC) / DEPTHWISE_WORKGROUP), 1, 1] };
  }
  const tiling = gemmTiling(g.cg);
  const colTiles = Math.ceil(g.cg / tiling.tileJ);
  return {
    kind: 'gemm',
    tiling,
    launch: { splitLen: 0, kSteps: Math.ceil(kIn / tiling.tileK), colTiles },
    dispatch: [g.groups * colTiles, Math.ceil(qTotal / tiling.tileI), 1],
  };
}
