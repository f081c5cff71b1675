/**
 * Wider parity check against a live torchvision 0.14 (Debian's /usr/bin/python3): random image
 * sizes, every magnitude bin (both signs) of the AutoAugment and RandAugment tables, hue factors
 * across [-0.5, 0.5], random resize sizes with and without antialiasing. Skips when the
 * reference interpreter or torchvision is absent.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ImageU8 } from './image.js';
import { applyAugmentOp, type AugmentOpName } from './auto-augment-ops.js';
import { adjustHue } from './pixel-ops.js';
import { resize, type Interpolation } from './resample.js';

const PYTHON = '/usr/bin/python3';
const hasTorchvision = fs.existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import torchvision'], { stdio: 'ignore' }).status === 0;
const describeLive = hasTorchvision ? describe : describe.skip;

interface LiveFixture {
  inputs: Record<string, { channels: 1 | 3; height: number; width: number; data: number[] }>;
  ops: { input: string; op: AugmentOpName; magnitude: number; output: number[] }[];
  hue: { input: string; factor: number; output: number[] }[];
  resize: { input: string; mode: Interpolation; size: [number, number]; antialias: boolean; output: number[] }[];
}

function mismatches(a: Uint8Array, b: number[]): { count: number; max: number } {
  let count = 0;
  let max = 0;
  for (let i = 0; i < b.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    if (d) count++;
    if (d > max) max = d;
  }
  return { count, max };
}

describeLive('live torchvision parity (random sizes, all bins)', () => {
  for (const seed of [5, 17]) {
    it(`seed ${seed}`, () => {
      const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tfvision-tv-')), 'live.json');
      execFileSync(PYTHON, [path.join(__dirname, 'fixtures', 'torchvision_ops.py'), '--random', String(seed), out], { stdio: 'ignore' });
      const fx = JSON.parse(fs.readFileSync(out, 'utf8')) as LiveFixture;
      fs.rmSync(path.dirname(out), { recursive: true, force: true });
      const inputs = new Map<string, ImageU8>(
        Object.entries(fx.inputs).map(([k, e]) => [k, { channels: e.channels, height: e.height, width: e.width, data: Uint8Array.from(e.data) }]),
      );
      const failures: string[] = [];
      for (const c of fx.ops) {
        const m = mismatches(applyAugmentOp(inputs.get(c.input)!, c.op, c.magnitude).data, c.output);
        if (m.count > 0) failures.push(`${c.op}(${c.magnitude}) on ${c.input}: ${m.count} values differ, max ${m.max}`);
      }
      for (const c of fx.hue) {
        const m = mismatches(adjustHue(inputs.get(c.input)!, c.factor).data, c.output);
        if (m.max > 1 || m.count > Math.ceil(c.output.length * 0.02)) failures.push(`hue ${c.factor} on ${c.input}: ${m.count} differ, max ${m.max}`);
      }
      for (const c of fx.resize) {
        const m = mismatches(resize(inputs.get(c.input)!, c.size[0], c.size[1], c.mode, { antialias: c.antialias }).data, c.output);
        if (m.max > 1 || m.count > Math.max(2, Math.ceil(c.output.length * 0.005))) {
          failures.push(`resize ${c.mode}${c.antialias ? ' aa' : ''} ${c.input} -> ${c.size.join('x')}: ${m.count} differ, max ${m.max}`);
        }
      }
      expect(failures).toEqual([]);
    });
  }
});
