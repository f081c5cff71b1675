import { learningRatePanel, lossPanel, runningMean } from './loss-panels.js';

describe('loss panels', () => {
  it('runningMean is the mean of the last `window` points (fewer at the start)', () => {
    expect(runningMean([[1, 2], [2, 4], [3, 9], [4, 1]], 2)).toEqual([[1, 2], [2, 3], [3, 6.5], [4, 5]]);
    expect(() => runningMean([], 0)).toThrow('runningMean: window must be a positive integer, got 0');
  });

  it('plots the total and each named loss when there are several, and the learning rate', () => {
    const train = Array.from({ length: 100 }, (_, i) => ({ step: i + 1, loss: 3, losses: { a: 1, b: 2 }, lr: 0.01 * (i + 1) }));
    const p = lossPanel(train);
    expect(p.title).toBe('losses (mean of 2 steps)');
    expect(p.series.map((s) => s.label)).toEqual(['total', 'a', 'b']);
    expect(p.series[2].points[99]).toEqual([100, 2]);
    expect(lossPanel(train.map((r) => ({ ...r, losses: { only: 3 } }))).series.map((s) => s.label)).toEqual(['total']);
    expect(learningRatePanel(train).series[0].points[9]).toEqual([10, 0.1]);
  });
});
