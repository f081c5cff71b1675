/**
 * The two BatchNorm training kernels on flat float32 arrays (names.ts gives the formulas),
 * shared by the cpu backend (its typed arrays) and wasm (views of the wasm heap). Per-channel
 * sums accumulate in float64 in row order; each output is rounded to float32 once. The mean is
 * formed as tfjs' cpu Mean forms it (the float64 sum of float32 x / n), so it equals tf.mean
 * there bit for bit; x is centred with that float32 mean, as tf.moments centres it.
 */
export interface BatchNormForwardArrays {
  x: Float32Array;
  gamma: Float32Array;
  beta: Float32Array;
  runningMean?: Float32Array;
  runningVar?: Float32Array;
  y: Float32Array;
  /** [3, C]: mean, variance, invStd. */
  stats: Float32Array;
  newRunningMean?: Float32Array;
  newRunningVar?: Float32Array;
}

export function batchNormForwardArrays(a: BatchNormForwardArrays, eps: number, momentum: number): void {
  const c = a.gamma.length;
  const rows = a.x.length / c;
  const sum = new Float64Array(c);
  const sq = new Float64Array(c);
  const mean = new Float64Array(c);
  const x = a.x;
  const fround = Math.fround;
  for (let r = 0, o = 0; r < rows; r++, o += c) for (let j = 0; j < c; j++) sum[j] += fround(x[o + j] / rows);
  for (let j = 0; j < c; j++) mean[j] = fround(sum[j]);
  for (let r = 0, o = 0; r < rows; r++, o += c) {
    for (let j = 0; j < c; j++) {
      const d = x[o + j] - mean[j];
      sq[j] += d * d;
    }
  }
  const scale = new Float64Array(c);
  for (let j = 0; j < c; j++) {
    const variance = sq[j] / rows;
    const inv = 1 / Math.sqrt(variance + eps);
    a.stats[j] = mean[j];
    a.stats[c + j] = variance;
    a.stats[2 * c + j] = inv;
    scale[j] = a.gamma[j] * inv;
  }
  const y = a.y;
  const beta = a.beta;
  for (let r = 0, o = 0; r < rows; r++, o += c) for (let j = 0; j < c; j++) y[o + j] = (x[o + j] - mean[j]) * scale[j] + beta[j];
  if (a.runningMean && a.runningVar && a.newRunningMean && a.newRunningVar) {
    const unbias = rows / Math.max(rows - 1, 1);
    for (let j = 0; j < c; j++) {
      a.newRunningMean[j] = (1 - momentum) * a.runningMean[j] + momentum * mean[j];
      a.newRunningVar[j] = (1 - momentum) * a.runningVar[j] + momentum * (sq[j] / rows) * unbias;
    }
  }
}

export interface BatchNormBackwardArrays {
  dy: Float32Array;
  x: Float32Array;
  stats: Float32Array;
  gamma: Float32Array;
  dx: Float32Array;
  dgamma: Float32Array;
  dbeta: Float32Array;
}

export function batchNormBackwardArrays(a: BatchNormBackwardArrays): void {
  const c = a.gamma.length;
  const rows = a.x.length / c;
  const sumDy = new Float64Array(c);
  const sumDyXc = new Float64Array(c);
  const { dy, x, stats } = a;
  for (let r = 0, o = 0; r < rows; r++, o += c) {
    for (let j = 0; j < c; j++) {
      const d = dy[o + j];
      sumDy[j] += d;
      sumDyXc[j] += d * (x[o + j] - stats[j]);
    }
  }
  // dx = dy * k + xc * c1 + c0, with the per-channel constants in float64.
  const k = new Float64Array(c);
  const c1 = new Float64Array(c);
  const c0 = new Float64Array(c);
  for (let j = 0; j < c; j++) {
    const inv = stats[2 * c + j];
    const dgamma = inv * sumDyXc[j];
    a.dgamma[j] = dgamma;
    a.dbeta[j] = sumDy[j];
    k[j] = a.gamma[j] * inv;
    c1[j] = (-k[j] * inv * dgamma) / rows;
    c0[j] = (-k[j] * sumDy[j]) / rows;
  }
  const dx = a.dx;
  for (let r = 0, o = 0; r < rows; r++, o += c) {
    for (let j = 0; j < c; j++) dx[o + j] = dy[o + j] * k[j] + (x[o + j] - stats[j]) * c1[j] + c0[j];
  }
}
