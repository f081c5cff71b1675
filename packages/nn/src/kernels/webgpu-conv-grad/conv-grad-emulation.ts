import {
  DEPTHWISE_WORKGROUP,
  filterGradA,
  filterGradB,
  filterGradOut,
  inputGradA,
  inputGradB,
  inputGradOut,
  planFilterGrad,
  planInputGrad,
  uniformValues,
  type ConvGradGeometry,
  type GemmTiling,
} from './conv-grad-geometry.js';

/**
 * The WGSL programs of conv-grad-programs.ts run in TypeScript, workgroup by workgroup and
 * thread by thread, with the same tile loops, the same cooperative-load order and the same
 * index functions (compiled from the text the shaders embed). Used by the cpu tests; a
 * mismatch with tf.grad here is a mismatch of the shader's arithmetic.
 */
interface GemmOperands {
  tiling: GemmTiling;
  dispatch: [number, number, number];
  kSteps: number;
  colTiles: number;
  /** Loads are k-fastest when the operand's contiguous axis is k. */
  aKFastest: boolean;
  bKFastest: boolean;
  kRange(wz: number): [number, number];
  loadA(k: number, i: number, g: number, kEnd: number): number;
  loadB(k: number, j: number, g: number, kEnd: number): number;
  store(wz: number, i: number, j: number, g: number, value: number): void;
  rows: number;
  colsPerGroup: number;
}

function runGemm(p: GemmOperands): void {
  const { tileI, tileJ, tileK, microI, microJ } = p.tiling;
  const threadsI = tileI / microI;
  const threadsJ = tileJ / microJ;
  const threads = threadsI * threadsJ;
  const tileA = new Float32Array(tileK * tileI);
  const tileB = new Float32Array(tileK * tileJ);
  for (let wz = 0; wz < p.dispatch[2]; wz++) {
    for (let wy = 0; wy < p.dispatch[1]; wy++) {
      for (let wx = 0; wx < p.dispatch[0]; wx++) {
        const g = Math.trunc(wx / p.colTiles);
        const j0 = (wx - g * p.colTiles) * tileJ;
        const i0 = wy * tileI;
        const [k0, kEnd] = p.kRange(wz);
        const acc = new Float64Array(threads * microI * microJ);
        for (let t = 0; t < p.kSteps; t++) {
          const kt = k0 + t * tileK;
          // Each thread's strided share of the cooperative loads, as in the shader.
          for (let lin = 0; lin < threads; lin++) {
            for (let e = lin; e < tileK * tileI; e += threads) {
              const kk = p.aKFastest ? e % tileK : Math.trunc(e / tileI);
              const ii = p.aKFastest ? Math.trunc(e / tileK) : e % tileI;
              tileA[kk * tileI + ii] = p.loadA(kt + kk, i0 + ii, g, kEnd);
            }
            for (let e = lin; e < tileK * tileJ; e += threads) {
              const kk = p.bKFastest ? e % tileK : Math.trunc(e / tileJ);
              const jj = p.bKFastest ? Math.trunc(e / tileK) : e % tileJ;
              tileB[kk * tileJ + jj] = p.loadB(kt + kk, j0 + jj, g, kEnd);
            }
          }
          for (let ty = 0; ty < threadsI; ty++) {
            for (let tx = 0; tx < threadsJ; tx++) {
              const base = (ty * threadsJ + tx) * microI * microJ;
              for (let kk = 0; kk < tileK; kk++) {
                for (let i = 0; i < microI; i++) {
                  const a = tileA[kk * tileI + ty + i * threadsI];
                  for (let j = 0; j < microJ; j++) acc[base + i * microJ + j] += a * tileB[kk * tileJ + tx + j * threadsJ];
                }
              }
            }
          }
        }
        for (let ty = 0; ty < threadsI; ty++) {
          for (let tx = 0; tx < threadsJ; tx++) {
            const base = (ty * threadsJ + tx) * microI * microJ;
            for (let i = 0; i < microI; i++) {
              for (let j = 0; j < microJ; j++) {
                const row = i0 + ty + i * threadsI;
                const col = j0 + tx + j * threadsJ;
                if (row < p.rows && col < p.colsPerGroup) p.store(wz, row, col, g, acc[base + i * microJ + j]);
              }
            }
          }
        }
      }
    }
  }
}

/** Sums the split partials, as SplitSumProgram does. */
function splitSum(partial: Float32Array, splits: number): Float32Array {
  const size = partial.length / splits;
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) {
    let v = 0;
    for (let s = 0; s < splits; s++) v += partial[s * size + i];
    out[i] = v;
  }
  return out;
}

/** dW as the programs compute it, flat in the filter's layout. */
export function emulateFilterGrad(g: ConvGradGeometry, x: Float32Array, dy: Float32Array, splits?: number): Float32Array {
  const plan = planFilterGrad(g, splits);
  const u = uniformValues(g, plan.launch);
  const fa = filterGradA.bind(u);
  const fb = filterGradB.bind(u);
  const fo = filterGradOut.bind(u);
  const partial = new Float32Array(plan.splits * u.rows * g.outC);
  if (plan.kind === 'depthwise') {
    for (let wz = 0; wz < plan.dispatch[2]; wz++) {
      for (let tap = 0; tap < plan.dispatch[1]; tap++) {
        for (let oc = 0; oc < plan.dispatch[0] * DEPTHWISE_WORKGROUP; oc++) {
          if (oc >= g.outC) continue;
          const grp = Math.trunc(oc / g.og);
          const j = oc - grp * g.og;
          const m0 = wz * u.splitLen;
          const mEnd = Math.min(m0 + u.splitLen, u.mTotal);
          let acc = 0;
          for (let m = m0; m < mEnd; m++) {
            const xa = fa(m, tap, grp, mEnd);
            if (xa >= 0) acc += x[xa] * dy[fb(m, grp, j, mEnd)];
          }
          partial[fo(wz, tap, grp, j)] = acc;
        }
      }
    }
  } else {
    runGemm({
      tiling: plan.tiling,
      dispatch: plan.dispatch,
      kSteps: u.kSteps,
      colTiles: u.colTiles,
      aKFastest: false,
      bKFastest: false,
      kRange: (wz) => [wz * u.splitLen, Math.min(wz * u.splitLen + u.splitLen, u.mTotal)],
      loadA: (k, i, grp, kEnd) => {
        const at = fa(k, i, grp, kEnd);
        return at < 0 ? 0 : x[at];
      },
      loadB: (k, j, grp, kEnd) => {
        const at = fb(k, grp, j, kEnd);
        return at < 0 ? 0 : dy[at];
      },
      store: (wz, i, j, grp, v) => {
        partial[fo(wz, i, grp, j)] = v;
      },
      rows: u.rows,
      colsPerGroup: g.og,
    });
  }
  return plan.splits === 1 ? partial : splitSum(partial, plan.splits);
}

/** dx as the programs compute it, flat NHWC. */
export function emulateInputGrad(g: ConvGradGeometry, dy: Float32Array, w: Float32Array): Float32Array {
  const plan = planInputGrad(g);
  const u = uniformValues(g, plan.launch);
  const ia = inputGradA.bind(u);
  const ib = inputGradB.bind(u);
  const io = inputGradOut.bind(u);
  const dx = new Float32Array(u.qTotal * g.inC);
  if (plan.kind === 'depthwise') {
    for (let index = 0; index < plan.dispatch[0] * DEPTHWISE_WORKGROUP; index++) {
      if (index >= dx.length) continue;
      const q = Math.trunc(index / g.inC);
      const c = index - q * g.inC;
      let acc = 0;
      for (let k = 0; k < u.kIn; k++) {
        const da = ia(q, k, c);
        if (da >= 0) acc += dy[da] * w[ib(k, 0, c)];
      }
      dx[index] = acc;
    }
    return dx;
  }
  runGemm({
    tiling: plan.tiling,
    dispatch: plan.dispatch,
    kSteps: u.kSteps,
    colTiles: u.colTiles,
    aKFastest: true,
    bKFastest: true,
    kRange: () => [0, u.kIn],
    loadA: (k, i, grp) => {
      const at = ia(i, k, grp);
      return at < 0 ? 0 : dy[at];
    },
    loadB: (k, j, grp) => {
      const at = ib(k, j, grp);
      return at < 0 ? 0 : w[at];
    },
    store: (_wz, i, j, grp, v) => {
      dx[io(i, j, grp)] = v;
    },
    rows: u.qTotal,
    colsPerGroup: g.cg,
  });
  return dx;
}
