/**
 * Our RandomResizedCrop sampler has the same distribution as torchvision's get_params: mean crop
 * size, area histogram and fallback/full-side rate match statistics drawn from torchvision
 * (fixtures/torchvision_rrc_stats.py) within sampling noise.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Rng } from '../rng.js';
import { randomResizedCropParams } from './random-resized-crop.js';

interface Case {
  height: number;
  width: number;
  scale: [number, number];
  ratio: [number, number];
  draws: number;
  meanHeight: number;
  meanWidth: number;
  areaHistogram: number[];
  fullSideRate: number;
}

const { cases } = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'torchvision-rrc-stats.json'), 'utf8')) as { cases: Case[] };

describe('randomResizedCropParams distribution equals torchvision', () => {
  it.each(cases.map((c) => [`${c.height}x${c.width} scale ${c.scale.join('-')} ratio ${c.ratio.map((r) => r.toFixed(2)).join('-')}`, c] as const))(
    '%s',
    (_name, c) => {
      const rng = new Rng(123);
      const hist = new Array(10).fill(0);
      let sumH = 0;
      let sumW = 0;
      let full = 0;
      for (let k = 0; k < c.draws; k++) {
        const b = randomResizedCropParams(c.height, c.width, c.scale, c.ratio, rng);
        sumH += b.height;
        sumW += b.width;
        hist[Math.min(Math.floor(((b.height * b.width) / (c.height * c.width)) * 10), 9)]++;
        if (b.height === c.height || b.width === c.width) full++;
      }
      // Standard error of a mean side is < 0.2 px at 40k draws; of a bin fraction < 0.0025.
      expect(Math.abs(sumH / c.draws - c.meanHeight)).toBeLessThan(1);
      expect(Math.abs(sumW / c.draws - c.meanWidth)).toBeLessThan(1);
      hist.forEach((n, i) => expect(Math.abs(n / c.draws - c.areaHistogram[i])).toBeLessThan(0.01));
      expect(Math.abs(full / c.draws - c.fullSideRate)).toBeLessThan(0.01);
    },
  );
});
