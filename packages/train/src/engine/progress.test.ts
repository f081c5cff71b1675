import { formatDuration, formatProgress, ProgressLine } from './progress.js';

const info = { step: 50, totalSteps: 200, epoch: 1, loss: 1.23456, losses: { loss_cls: 1.23456 }, lr: 0.05, stepsPerSecond: 0.04, imagesPerSecond: 123.45 };

describe('progress line', () => {
  it('shows step/total, loss, lr, steps/s, images/s and the ETA from the step rate', () => {
    // ETA: 150 steps at 0.04 it/s = 3750 s.
    expect(formatProgress(info)).toBe('[#####...............] step 50/200 ep 1 loss 1.2346 lr 5.000e-2 0.04 it/s 123.5 img/s ETA 1h02m');
    expect(formatDuration(75)).toBe('1m15s');
    expect(formatDuration(Number.NaN)).toBe('?');
  });
  it('lists each loss of a dict with more than one, short names where given', () => {
    const p = { ...info, losses: { loss_objectness: 0.5, loss_classifier: 0.25 }, stepsPerSecond: 0 };
    expect(formatProgress(p, { loss_objectness: 'obj' })).toBe('[#####...............] step 50/200 ep 1 loss 1.2346 (obj 0.500 classifier 0.250) lr 5.000e-2 0.00 it/s 123.5 img/s ETA ?');
  });
  it('redraws in place on a terminal at most once per interval', () => {
    const out: string[] = [];
    let t = 0;
    const p = new ProgressLine({ write: (s: string) => out.push(s), isTTY: true }, 250, () => t);
    p.update(info);
    t = 100;
    p.update(info);
    t = 260;
    p.update(info);
    p.update(info, true);
    expect(out).toHaveLength(3);
    expect(out[0].startsWith('\r[')).toBe(true);
    p.message('eval');
    expect(out.slice(-2)).toEqual(['\n', 'eval\n']);
  });
});
