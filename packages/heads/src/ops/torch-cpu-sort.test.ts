import { torchCpuSortDescending } from './torch-cpu-sort.js';
import { SeededRng } from './seeded-rng.js';
import { loadBoxOpsFixture } from './__tests__/box-fixture.js';
import { checkSortProbes } from './__tests__/box-checks.js';

const fixture = loadBoxOpsFixture();

describe('torchCpuSortDescending against torch 1.13 sort(descending=True)', () => {
  it('gives torch\'s permutation on 14 tie-heavy arrays (2..2500 values, some NaN)', () => {
    checkSortProbes(fixture.sortProbes);
  });

  it('20 equal values come out as torch gives them: 10, 19..11, 0, 9..1', () => {
    // Observed from torch.tensor([0.5] * 20).sort(descending=True)[1] on Debian's torch 1.13.
    const order = Array.from(torchCpuSortDescending(new Float32Array(20).fill(0.5)));
    expect(order).toEqual([10, 19, 18, 17, 16, 15, 14, 13, 12, 11, 0, 9, 8, 7, 6, 5, 4, 3, 2, 1]);
  });

  it('up to 16 values it is an insertion sort, hence stable', () => {
    const v = new Float32Array([0.2, 0.5, 0.2, 0.5, NaN, 0.1, 0.5]);
    expect(Array.from(torchCpuSortDescending(v))).toEqual([4, 1, 3, 6, 0, 2, 5]);
  });

  it('always returns a permutation in non-increasing order (NaN first)', () => {
    const rng = new SeededRng(9);
    for (const n of [0, 1, 17, 300, 4000]) {
      const v = Float32Array.from({ length: n }, () => (rng.next() < 0.01 ? NaN : Math.floor(rng.next() * 7)));
      const order = torchCpuSortDescending(v);
      expect(Array.from(order).sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i));
      const sorted = Array.from(order, (i) => (Number.isNaN(v[i]) ? Infinity : v[i]));
      for (let i = 1; i < n; i++) expect(sorted[i]).toBeLessThanOrEqual(sorted[i - 1]);
    }
  });
});
