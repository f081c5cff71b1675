import { ClsAccumulator, topK } from './cls-metrics.js';

describe('ClsAccumulator (timm utils.accuracy counting)', () => {
  it('top-k picks the largest logits, largest first, ties to the lower index', () => {
    expect(topK(Float32Array.from([0.1, 3, -2, 3, 7, 0]), 0, 6, 3)).toEqual([4, 1, 3]);
    expect(topK(Float32Array.from([9, 9, 1, 2, 5]), 2, 3, 2)).toEqual([2, 1]);
    expect(topK(Float32Array.from([9, 9, 1, 2, 5]), 0, 2, 2)).toEqual([0, 1]);
  });

  it('top-1, top-5, per-class accuracy and the worst class\'s confusion', () => {
    const classes = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
    const acc = new ClsAccumulator(classes);
    const rows = [
      [9, 1, 0, 0, 0, 0, 0], // label a: top-1 hit
      [0, 1, 9, 0, 0, 0, 0], // label a: top-1 c; a (index 0) wins the ties at 0, so it is in the top-5
      [0, 9, 1, 2, 3, 4, 5], // label a: a is last -> miss at 5
      [1, 2, 3, 4, 5, 6, 0], // label b: top-5 hit, top-1 f
    ];
    acc.add(Float32Array.from(rows.flat()), [0, 0, 0, 1]);
    const r = acc.report(2);
    expect(r.images).toBe(4);
    expect(r.top1).toBeCloseTo(25, 12);
    // Row 1: top-5 of [0,1,9,0,0,0,0] is c, b, a, d, e -> a is in it. Row 2: a (0) is the smallest -> out.
    expect(r.top5).toBeCloseTo(75, 12);
    expect(r.perClass.map((c) => [c.name, c.images, c.top1, c.top5])).toEqual([['a', 3, 100 / 3, 200 / 3], ['b', 1, 0, 100]]);
    expect(r.worst[0].name).toBe('b');
    expect(r.worst[0].confusedWith).toEqual([{ index: 5, name: 'f', count: 1 }]);
    expect(r.perClass[0].confusedWith).toEqual([{ index: 1, name: 'b', count: 1 }, { index: 2, name: 'c', count: 1 }]);
  });

  it('rejects labels outside the classes and logits of the wrong size', () => {
    const acc = new ClsAccumulator(['a', 'b']);
    expect(() => acc.add(Float32Array.from([1, 2]), [2])).toThrow('ClsAccumulator.add: label must be in [0, 2), got 2');
    expect(() => acc.add(Float32Array.from([1, 2, 3]), [0])).toThrow('ClsAccumulator.add: logits have 3 values, expected 1 x 2');
  });
});
