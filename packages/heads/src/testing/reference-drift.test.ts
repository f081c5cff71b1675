import { REFERENCE_DRIFT, referenceDifferences } from './reference-drift.js';

describe('referenceDifferences', () => {
  it('accepts floats that moved within the drift, scaled by max(|committed|, 1)', () => {
    const committed = { boxes: [0.654975891, 120, 276182.5833559036], loss: 1.7380377 };
    const fresh = { boxes: [0.655021667, 120, 276182.5833079815], loss: 1.7380378 };
    expect(referenceDifferences(fresh, committed)).toEqual([]);
    // 4.6e-5 of a value below 1 is over a bound of 3e-5 but within REFERENCE_DRIFT.
    expect(referenceDifferences(fresh, committed, 3e-5)).toEqual([{ path: '$.boxes[0]', fresh: 0.655021667, committed: 0.654975891 }]);
    expect(REFERENCE_DRIFT).toBe(1e-4);
  });

  it('compares integers exactly: counts, labels and draws do not drift', () => {
    expect(referenceDifferences({ counts: [{ sampled: 335 }] }, { counts: [{ sampled: 334 }] })).toEqual([{ path: '$.counts[0].sampled', fresh: 335, committed: 334 }]);
    expect(referenceDifferences({ randperm: [3, 1, 2] }, { randperm: [3, 2, 1] }).map((d) => d.path)).toEqual(['$.randperm[1]', '$.randperm[2]']);
  });

  it('names changed structure: lengths, missing keys, kinds, strings', () => {
    expect(referenceDifferences({ a: [1, 2] }, { a: [1, 2, 3] })).toEqual([{ path: '$.a.length', fresh: 2, committed: 3 }]);
    expect(referenceDifferences({ a: 1 }, { a: 1, b: 2 })).toEqual([{ path: '$.b', fresh: undefined, committed: 2 }]);
    expect(referenceDifferences({ a: '1' }, { a: 1 })).toEqual([{ path: '$.a', fresh: '1', committed: 1 }]);
    expect(referenceDifferences({ name: 'train' }, { name: 'eval' })).toEqual([{ path: '$.name', fresh: 'train', committed: 'eval' }]);
    expect(referenceDifferences({ x: null }, { x: 0 })).toEqual([{ path: '$.x', fresh: null, committed: 0 }]);
  });

  it('stops at the limit and treats NaN as equal only to NaN', () => {
    expect(referenceDifferences(Array(50).fill(1), Array(50).fill(2), REFERENCE_DRIFT, 3)).toHaveLength(3);
    expect(referenceDifferences([NaN], [NaN])).toEqual([]);
    expect(referenceDifferences([NaN], [0.5])).toHaveLength(1);
  });
});
