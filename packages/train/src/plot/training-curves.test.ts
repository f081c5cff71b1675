import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import type { LogRecord } from '../trainer/jsonl-log.js';
import { curvesSvg, PANEL_HEIGHT, PANEL_WIDTH, runStepRange } from './curves-svg.js';
import { trainingPanels, writeTrainingCurves } from './training-curves.js';

const records: LogRecord[] = [
  ...Array.from({ length: 20 }, (_, i): LogRecord => ({ type: 'train', step: i + 1, epoch: 0, loss: 2 / (i + 1), lr: 0.1 * Math.min(1, (i + 1) / 5), imagesPerSecond: 10, time: '' })),
  { type: 'eval', step: 10, epoch: 0, top1: 0.5, top5: 0.9, loss: 1.2, samples: 10, time: '' },
  { type: 'eval', step: 20, epoch: 1, top1: 0.7, top5: 0.95, loss: 0.8, samples: 10, time: '' },
];

describe('training curves', () => {
  it('draws three panels: loss, accuracy, learning rate', () => {
    const panels = trainingPanels(records);
    expect(panels.map((p) => p.title)).toEqual(['loss', 'accuracy (eval)', 'learning rate']);
    expect(panels[1].series[0].points).toEqual([[10, 0.5], [20, 0.7]]);
    const svg = curvesSvg(panels);
    expect(svg).toContain(`width="${3 * PANEL_WIDTH}" height="${PANEL_HEIGHT}"`);
    expect(svg.match(/<polyline/g)).toHaveLength(5); // train loss, eval loss, top-1, top-5, lr
  });
  it('puts an evaluation panel on the run\'s step axis, even with one evaluation', () => {
    expect(trainingPanels(records)[1].xRange).toEqual([1, 20]);
    const oneEval = records.filter((r) => r.type === 'train' || r.step === 20);
    const svg = curvesSvg([trainingPanels(oneEval)[1]]);
    // x = 20 is the right edge of the plot area (PANEL_WIDTH - the right margin of 14).
    expect(svg).toContain(`<circle cx="${PANEL_WIDTH - 14}"`);
    expect(runStepRange([5, 3, NaN, 9])).toEqual([3, 9]);
    expect(runStepRange([7, 7])).toBeUndefined();
    expect(runStepRange([])).toBeUndefined();
  });
  it('writes a PNG of the expected size', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tfv-plot-'));
    try {
      const path = join(dir, 'curves.png');
      await writeTrainingCurves(records, path);
      expect(existsSync(path)).toBe(true);
      const meta = await sharp(path).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['png', 3 * PANEL_WIDTH, PANEL_HEIGHT]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
