/**
 * Streaming classification metrics from plain arrays: top-k accuracy, per-class accuracy
 * and the confusion matrix. No tensor library: feed logits (or probabilities) as a flat
 * row-major [N * C] array (or a list of rows) with N integer labels, batch after batch.
 *
 * Ranking: a sample counts as correct at k when its label is among the k highest scores,
 * ties broken toward the lower class index (a stable descending sort), so results do not
 * depend on sort implementation details. NaN scores are an error.
 */

export interface ClassificationReport {
  samples: number;
  /** topK[k] = fraction of samples whose label is within the k best scores, for each requested k. */
  topK: Record<number, number>;
  /** Top-1 accuracy per class; NaN for a class with no samples. */
  perClassAccuracy: Float64Array;
  /** Mean of the defined per-class accuracies (balanced accuracy). */
  meanClassAccuracy: number;
  /** Row = true class, column = top-1 prediction; row-major [C * C]. */
  confusion: Float64Array;
}

export class ClassificationMetrics {
  readonly numClasses: number;
  readonly ks: number[];
  private readonly correctAtK: Float64Array;
  private readonly confusionCounts: Float64Array;
  private samples = 0;

  constructor(numClasses: number, options: { topK?: number[] } = {}) {
    if (!Number.isInteger(numClasses) || numClasses < 1) throw new Error(`ClassificationMetrics: numClasses must be a positive integer, got ${numClasses}`);
    this.numClasses = numClasses;
    this.ks = options.topK ?? [1, 5];
    for (const k of this.ks) {
      if (!Number.isInteger(k) || k < 1) throw new Error(`ClassificationMetrics: topK values must be positive integers, got ${k}`);
    }
    this.correctAtK = new Float64Array(this.ks.length);
    this.confusionCounts = new Float64Array(numClasses * numClasses);
  }

  /** Adds a batch: `logits` is [N * C] flat (or N rows of C), `labels` N class indices. */
  update(logits: ArrayLike<number> | readonly ArrayLike<number>[], labels: ArrayLike<number>): void {
    const C = this.numClasses;
    const N = labels.length;
    const rows = isRows(logits);
    if (rows ? logits.length !== N : logits.length !== N * C) {
      throw new Error(`ClassificationMetrics.update: ${N} labels need ${rows ? `${N} rows` : `N*C = ${N * C} scores`}, got ${logits.length}`);
    }
    for (let n = 0; n < N; n++) {
      const label = labels[n];
      if (!Number.isInteger(label) || label < 0 || label >= C) throw new Error(`ClassificationMetrics.update: labels[${n}] = ${label} is not a class index in [0, ${C})`);
      const row = rows ? logits[n] : undefined;
      if (row && row.length !== C) throw new Error(`ClassificationMetrics.update: logits[${n}] has ${row.length} scores, expected ${C}`);
      const score = (c: number) => (row ? row[c] : (logits as ArrayLike<number>)[n * C + c]);
      const own = score(label);
      let rank = 0; // classes ranked ahead of the label
      let best = 0;
      for (let c = 0; c < C; c++) {
        const s = score(c);
        if (Number.isNaN(s)) throw new Error(`ClassificationMetrics.update: logits for sample ${n}, class ${c} is NaN`);
        if (s > own || (s === own && c < label)) rank++;
        if (s > score(best)) best = c;
      }
      for (let i = 0; i < this.ks.length; i++) if (rank < this.ks[i]) this.correctAtK[i]++;
      this.confusionCounts[label * C + best]++;
      this.samples++;
    }
  }

  compute(): ClassificationReport {
    const C = this.numClasses;
    const topK: Record<number, number> = {};
    this.ks.forEach((k, i) => (topK[k] = this.samples > 0 ? this.correctAtK[i] / this.samples : NaN));
    const perClassAccuracy = new Float64Array(C);
    let sum = 0;
    let defined = 0;
    for (let c = 0; c < C; c++) {
      let total = 0;
      for (let p = 0; p < C; p++) total += this.confusionCounts[c * C + p];
      perClassAccuracy[c] = total > 0 ? this.confusionCounts[c * C + c] / total : NaN;
      if (total > 0) {
        sum += perClassAccuracy[c];
        defined++;
      }
    }
    return {
      samples: this.samples,
      topK,
      perClassAccuracy,
      meanClassAccuracy: defined > 0 ? sum / defined : NaN,
      confusion: this.confusionCounts.slice(),
    };
  }

  reset(): void {
    this.correctAtK.fill(0);
    this.confusionCounts.fill(0);
    this.samples = 0;
  }
}

function isRows(x: ArrayLike<number> | readonly ArrayLike<number>[]): x is readonly ArrayLike<number>[] {
  return x.length > 0 && typeof (x as ArrayLike<unknown>)[0] === 'object';
}

/** One-shot top-k accuracy of a whole set (see {@link ClassificationMetrics} for the tie rule). */
export function topKAccuracy(logits: ArrayLike<number> | readonly ArrayLike<number>[], labels: ArrayLike<number>, numClasses: number, k: number): number {
  const m = new ClassificationMetrics(numClasses, { topK: [k] });
  m.update(logits, labels);
  return m.compute().topK[k];
}
