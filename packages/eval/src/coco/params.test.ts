import { checkSummarizable, defaultParams, linspace, parseParamsOverrides } from './params.js';
import { pyFixed } from './format.js';

describe('Params', () => {
  it('linspace is numpy linspace: start + i*step, last point exact', () => {
    const t = linspace(0.5, 0.95, 10);
    expect(t[8]).toBe(0.8999999999999999);
    expect(t[9]).toBe(0.95);
    expect(linspace(0, 1, 101)[35]).toBe(0.35000000000000003);
    expect(defaultParams('bbox').areaRng[3]).toEqual([9216, 1e10]);
  });

  it('parses overrides and names unknown keys and bad values', () => {
    expect(parseParamsOverrides({ maxDets: [1, 5, 20], useCats: 0, areaRng: [[0, 10]] })).toEqual({ maxDets: [1, 5, 20], useCats: false, areaRng: [[0, 10]] });
    expect(() => parseParamsOverrides({ maxDet: [1] }, 'P.json')).toThrow('P.json: unknown Params field "maxDet"');
    expect(() => parseParamsOverrides({ iouThrs: [0.5, 'x'] }, 'P.json')).toThrow('P.json.iouThrs[1]: expected a number, got "x"');
    expect(() => parseParamsOverrides({ maxDets: [1.5] }, 'P.json')).toThrow('P.json.maxDets[0]: expected a non-negative integer, got 1.5');
    expect(() => parseParamsOverrides({ areaRng: [[0]] }, 'P.json')).toThrow('P.json.areaRng[0]: expected [lo, hi], got [0]');
  });

  it('summarize needs 3 maxDets and a range for each label', () => {
    expect(() => checkSummarizable({ ...defaultParams(), maxDets: [1, 10] })).toThrow('params.maxDets: summarize() needs 3 values');
    expect(() => checkSummarizable({ ...defaultParams(), areaRng: [[0, 1e10]] })).toThrow('"small" range at index 1');
  });
});

describe('pyFixed (Python format rounding)', () => {
  it('rounds exact binary ties to even, like Python', () => {
    expect(pyFixed(0.0625, 3)).toBe('0.062');
    expect(pyFixed(0.1875, 3)).toBe('0.188');
    expect(pyFixed(-1, 3)).toBe('-1.000');
    expect(pyFixed(0.95, 2)).toBe('0.95');
    expect(pyFixed(0.123456, 3)).toBe('0.123');
  });
});
