import { formatDuration, formatProgress, ProgressLine } from './progress.js';

const info = { step: 50, totalSteps: 200, epoch: 1, loss: 1.23456, lr: 0.05, imagesPerSecond: 123.45, etaSeconds: 3725 };

describe('progress line', () => {
  it('shows step/total, loss, lr, images/s and ETA', () => {
    expect(formatProgress(info)).toBe('[#####...............] step 50/200 ep 1 loss 1.2346 lr 5.000e-2 123.5 img/s ETA 1h02m');
    expect(formatDuration(75)).toBe('1m15s');
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
