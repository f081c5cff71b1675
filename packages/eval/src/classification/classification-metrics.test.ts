import { ClassificationMetrics, topKAccuracy } from './classification-metrics.js';

describe('ClassificationMetrics', () => {
  // 4 samples, 3 classes. Rankings: s0 label 0 best; s1 label 2 second; s2 label 1 last; s3 label 1 best.
  const logits = [
    [3, 1, 2],
    [5, 0, 4],
    [2, 0, 1],
    [0.1, 0.9, 0.2],
  ];
  const labels = [0, 2, 1, 1];

  it('top-1 / top-2 / top-3 accuracy, per-class accuracy and confusion matrix', () => {
    const m = new ClassificationMetrics(3, { topK: [1, 2, 3] });
    m.update(logits, labels);
    const r = m.compute();
    expect(r.topK).toEqual({ 1: 0.5, 2: 0.75, 3: 1 });
    expect(Array.from(r.perClassAccuracy)).toEqual([1, 0.5, 0]);
    expect(r.meanClassAccuracy).toBeCloseTo(0.5, 15);
    // rows = truth, cols = top-1 prediction
    expect(Array.from(r.confusion)).toEqual([1, 0, 0, 1, 1, 0, 1, 0, 0]);
  });

  it('streams: two batches (flat typed arrays) equal one', () => {
    const m = new ClassificationMetrics(3, { topK: [1, 2] });
    m.update(Float32Array.from(logits.slice(0, 2).flat()), Int32Array.from(labels.slice(0, 2)));
    m.update(Float32Array.from(logits.slice(2).flat()), Int32Array.from(labels.slice(2)));
    expect(m.compute().topK).toEqual({ 1: 0.5, 2: 0.75 });
    expect(topKAccuracy(logits.flat(), labels, 3, 2)).toBe(0.75);
  });

  it('ties rank the lower class index first', () => {
    expect(topKAccuracy([[1, 1, 1]], [0], 3, 1)).toBe(1);
    expect(topKAccuracy([[1, 1, 1]], [2], 3, 2)).toBe(0);
    expect(topKAccuracy([[1, 1, 1]], [2], 3, 3)).toBe(1);
  });

  it('classes without samples have NaN accuracy and are left out of the mean', () => {
    const m = new ClassificationMetrics(3, { topK: [1] });
    m.update([[1, 0, 0]], [0]);
    const r = m.compute();
    expect(r.perClassAccuracy[1]).toBeNaN();
    expect(r.meanClassAccuracy).toBe(1);
  });

  it('names bad labels and shapes', () => {
    const m = new ClassificationMetrics(3);
    expect(() => m.update([[1, 0, 0]], [3])).toThrow('labels[0] = 3 is not a class index in [0, 3)');
    expect(() => m.update([1, 0], [0])).toThrow('1 labels need N*C = 3 scores, got 2');
    expect(() => m.update([[1, NaN, 0]], [0])).toThrow('logits for sample 0, class 1 is NaN');
  });
});
