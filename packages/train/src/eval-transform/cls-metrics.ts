/**
 * Top-k accuracy as timm's utils.accuracy counts it (a hit when the label is among the k
 * largest logits), accumulated over batches, with per-class accuracy and the confusion of the
 * worst classes. Ties between equal logits go to the lower class index, as a stable descending
 * sort would (torch.topk leaves them unspecified; they do not occur with real logits).
 */
export interface ClassAccuracy {
  index: number;
  name: string;
  images: number;
  top1: number;
  top5: number;
  /** Most frequent wrong top-1 predictions, most frequent first. */
  confusedWith: { index: number; name: string; count: number }[];
}

export interface ClsReport {
  images: number;
  top1: number;
  top5: number;
  perClass: ClassAccuracy[];
  worst: ClassAccuracy[];
}

/** Indices of the k largest values of `row` (length numClasses), largest first. */
export function topK(logits: Float32Array, offset: number, numClasses: number, k: number): number[] {
  const best: number[] = [];
  for (let c = 0; c < numClasses; c++) {
    const v = logits[offset + c];
    if (best.length === k && !(v > logits[offset + best[k - 1]])) continue;
    let pos = best.length < k ? best.length : k - 1;
    while (pos > 0 && v > logits[offset + best[pos - 1]]) pos--;
    best.splice(pos, 0, c);
    if (best.length > k) best.pop();
  }
  return best;
}

export class ClsAccumulator {
  private readonly seen: Int32Array;
  private readonly hit1: Int32Array;
  private readonly hit5: Int32Array;
  private readonly confusion = new Map<number, Map<number, number>>();
  private total = 0;

  constructor(readonly classes: string[]) {
    this.seen = new Int32Array(classes.length);
    this.hit1 = new Int32Array(classes.length);
    this.hit5 = new Int32Array(classes.length);
  }

  /** `logits` is [n, numClasses] row-major; returns each sample's top-5. */
  add(logits: Float32Array, labels: ArrayLike<number>): number[][] {
    const numClasses = this.classes.length;
    if (logits.length !== labels.length * numClasses) {
      throw new Error(`ClsAccumulator.add: logits have ${logits.length} values, expected ${labels.length} x ${numClasses}`);
    }
    const tops: number[][] = [];
    for (let i = 0; i < labels.length; i++) {
      const y = labels[i];
      if (!Number.isInteger(y) || y < 0 || y >= numClasses) throw new Error(`ClsAccumulator.add: label must be in [0, ${numClasses}), got ${y}`);
      const top = topK(logits, i * numClasses, numClasses, Math.min(5, numClasses));
      tops.push(top);
      this.total++;
      this.seen[y]++;
      if (top[0] === y) this.hit1[y]++;
      else {
        const row = this.confusion.get(y) ?? new Map<number, number>();
        row.set(top[0], (row.get(top[0]) ?? 0) + 1);
        this.confusion.set(y, row);
      }
      if (top.includes(y)) this.hit5[y]++;
    }
    return tops;
  }

  /** Percentages as timm prints them; `worstCount` classes by top-1 (ties: more images, then index). */
  report(worstCount = 10): ClsReport {
    let h1 = 0;
    let h5 = 0;
    const perClass: ClassAccuracy[] = [];
    for (let c = 0; c < this.classes.length; c++) {
      h1 += this.hit1[c];
      h5 += this.hit5[c];
      if (this.seen[c] === 0) continue;
      const confusedWith = [...(this.confusion.get(c) ?? new Map<number, number>())]
        .sort((a, b) => b[1] - a[1] || a[0] - b[0])
        .slice(0, 5)
        .map(([index, count]) => ({ index, name: this.classes[index], count }));
      perClass.push({ index: c, name: this.classes[c], images: this.seen[c], top1: (100 * this.hit1[c]) / this.seen[c], top5: (100 * this.hit5[c]) / this.seen[c], confusedWith });
    }
    const worst = [...perClass].sort((a, b) => a.top1 - b.top1 || b.images - a.images || a.index - b.index).slice(0, worstCount);
    const n = this.total;
    return { images: n, top1: n ? (100 * h1) / n : 0, top5: n ? (100 * h5) / n : 0, perClass, worst };
  }
}
