/**
 * Matcher equal to torchvision 0.14 `models/detection/_utils.py`: over a [M gt, N pred] quality
 * (IoU) matrix, each prediction takes its best gt (the first on ties, as torch's max does);
 * best < low -> BELOW_LOW_THRESHOLD (-1), low <= best < high -> BETWEEN_THRESHOLDS (-2). The
 * thresholds are compared in float32, as torch compares a float tensor with a Python float.
 * With allowLowQualityMatches, every prediction whose quality equals some gt's best (ties
 * included, even a best of 0) gets its own best gt back.
 * No gt (M = 0): torchvision raises, and its RPN and RoI heads branch around the matcher to
 * label everything background; here the matcher returns all BELOW_LOW_THRESHOLD, which those
 * heads turn into the same labels (0) and the same clamped match (0).
 */
import * as tf from '@tensorflow/tfjs-core';

export class Matcher {
  static readonly BELOW_LOW_THRESHOLD = -1;
  static readonly BETWEEN_THRESHOLDS = -2;
  readonly BELOW_LOW_THRESHOLD = Matcher.BELOW_LOW_THRESHOLD;
  readonly BETWEEN_THRESHOLDS = Matcher.BETWEEN_THRESHOLDS;

  constructor(
    readonly highThreshold: number,
    readonly lowThreshold: number,
    readonly allowLowQualityMatches = false,
  ) {
    for (const [name, v] of [['highThreshold', highThreshold], ['lowThreshold', lowThreshold]] as const) {
      if (typeof v !== 'number' || Number.isNaN(v)) throw new Error(`Matcher: ${name} must be a number, got ${v}`);
    }
    if (lowThreshold > highThreshold) throw new Error(`Matcher: lowThreshold must be <= highThreshold, got ${lowThreshold} > ${highThreshold}`);
  }

  /** Matched gt index per prediction, or -1 / -2: float32 [M, N] -> int32 [N]. */
  match(matchQualityMatrix: tf.Tensor2D): tf.Tensor1D {
    if (matchQualityMatrix.rank !== 2) throw new Error(`Matcher.match: matchQualityMatrix must have shape [M, N], got [${matchQualityMatrix.shape.join(', ')}]`);
    if (matchQualityMatrix.dtype !== 'float32') throw new Error(`Matcher.match: matchQualityMatrix must be float32, got ${matchQualityMatrix.dtype}`);
    const [m, n] = matchQualityMatrix.shape;
    return tf.tensor1d(this.matchIndices(matchQualityMatrix.dataSync() as Float32Array, m, n), 'int32');
  }

  /** Host core of match over a row-major [numGt, numPred] matrix. */
  matchIndices(matrix: Float32Array, numGt: number, numPred: number): Int32Array {
    if (matrix.length !== numGt * numPred) throw new Error(`Matcher.match: matrix must hold ${numGt} x ${numPred} = ${numGt * numPred} values, got ${matrix.length}`);
    const matches = new Int32Array(numPred);
    if (numGt === 0) return matches.fill(Matcher.BELOW_LOW_THRESHOLD);
    // Best gt per prediction; NaN wins, as in torch's max.
    const best = matrix.slice(0, numPred);
    for (let g = 1; g < numGt; g++) {
      const row = g * numPred;
      for (let j = 0; j < numPred; j++) {
        const v = matrix[row + j];
        const b = best[j];
        if (b === b && (v > b || v !== v)) {
          best[j] = v;
          matches[j] = g;
        }
      }
    }
    const allMatches = this.allowLowQualityMatches ? matches.slice() : undefined;
    const low = Math.fround(this.lowThreshold);
    const high = Math.fround(this.highThreshold);
    for (let j = 0; j < numPred; j++) {
      const v = best[j];
      if (v < low) matches[j] = Matcher.BELOW_LOW_THRESHOLD;
      else if (v >= low && v < high) matches[j] = Matcher.BETWEEN_THRESHOLDS;
    }
    if (allMatches) restoreLowQualityMatches(matches, allMatches, matrix, numGt, numPred);
    return matches;
  }
}

/** torchvision set_low_quality_matches_: predictions tied with a gt's best quality get their best gt back. */
function restoreLowQualityMatches(matches: Int32Array, allMatches: Int32Array, matrix: Float32Array, numGt: number, numPred: number): void {
  for (let g = 0; g < numGt; g++) {
    const row = g * numPred;
    let highest = matrix[row];
    for (let j = 1; j < numPred && highest === highest; j++) {
      const v = matrix[row + j];
      if (v > highest || v !== v) highest = v;
    }
    for (let j = 0; j < numPred; j++) if (matrix[row + j] === highest) matches[j] = allMatches[j];
  }
}
