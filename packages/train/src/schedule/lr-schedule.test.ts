import { dropBlockRateAt, learningRateAt } from './lr-schedule.js';

describe('learningRateAt', () => {
  const cos = { kind: 'cosine' as const, baseLr: 0.4, totalSteps: 1000, warmupSteps: 100 };
  it('warms up linearly from 0', () => {
    expect(learningRateAt(cos, 0)).toBe(0);
    expect(learningRateAt(cos, 25)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(cos, 99)).toBeCloseTo(0.396, 12);
  });
  it('then follows the half cosine to 0', () => {
    expect(learningRateAt(cos, 100)).toBeCloseTo(0.4, 12);
    // quarter of the way: 0.4 * 0.5 * (1 + cos(pi/4))
    expect(learningRateAt(cos, 325)).toBeCloseTo(0.2 * (1 + Math.SQRT1_2), 12);
    expect(learningRateAt(cos, 550)).toBeCloseTo(0.2, 12);
    expect(learningRateAt(cos, 1000)).toBeCloseTo(0, 12);
  });
  it('step and constant kinds', () => {
    const step = { kind: 'step' as const, baseLr: 1, totalSteps: 100, warmupSteps: 10, milestones: [30, 60], gamma: 0.1 };
    expect(learningRateAt(step, 5)).toBeCloseTo(0.5, 12);
    expect(learningRateAt(step, 29)).toBe(1);
    expect(learningRateAt(step, 30)).toBeCloseTo(0.1, 12);
    expect(learningRateAt(step, 99)).toBeCloseTo(0.01, 12);
    const constant = { kind: 'constant' as const, baseLr: 0.3, totalSteps: 100, warmupSteps: 0 };
    expect(learningRateAt(constant, 0)).toBe(0.3);
    expect(learningRateAt(constant, 99)).toBe(0.3);
  });
});

describe('dropBlockRateAt', () => {
  it('ramps linearly from 0 to the target over training', () => {
    expect(dropBlockRateAt(0.1, 1000, 0)).toBe(0);
    expect(dropBlockRateAt(0.1, 1000, 250)).toBeCloseTo(0.025, 12);
    expect(dropBlockRateAt(0.1, 1000, 1000)).toBeCloseTo(0.1, 12);
    expect(dropBlockRateAt(0.1, 1000, 5000)).toBeCloseTo(0.1, 12);
  });
});
