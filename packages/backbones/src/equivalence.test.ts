/**
 * Equivalence with the reference implementations (timm): formula-filled weights, formula input,
 * eval mode, logits compared with those timm produced (fixtures/equivalence, made by
 * tools/make_equivalence.py). Requirement: max |difference| / max |logit| < 1e-4 in float32.
 * Regenerate the fixtures: PYTHONPATH=<timm source> /usr/bin/python3 tools/make_equivalence.py
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { createBackbone, listModels } from './index.js';
import { fillFormulaWeights, formulaInput } from './testing/formula-weights.js';

interface FeatureSummary {
  module: string;
  shape: number[];
  sum: number;
  sumsq: number;
  absmax: number;
  positions: number[];
  values: number[];
}

interface EquivalenceFixture {
  features: FeatureSummary[];
  model: string;
  reference: string;
  input: { batch: number; channels: number; height: number; width: number };
  maxAbsLogit: number;
  logits: number[][];
}

const FIXTURES = path.join(__dirname, '..', 'fixtures', 'equivalence');

const fixtures: EquivalenceFixture[] = fs
  .readdirSync(FIXTURES)
  .filter((f) => f.endsWith('.json') && !f.startsWith('torchvision-')) // those load through the adapter: checkpoint.test.ts
  .map((f) => JSON.parse(fs.readFileSync(path.join(FIXTURES, f), 'utf8')) as EquivalenceFixture);

// wasm (XNNPACK) by default: the JS cpu backend takes ~10 s per forward under jest, whose vm
// context makes tfjs' index arithmetic slow. TFVISION_EQUIV_BACKEND=cpu checks that backend too.
beforeAll(async () => {
  await initBackend({ backend: process.env.TFVISION_EQUIV_BACKEND ?? 'wasm', report: false });
});

describe('logits equal timm on formula weights', () => {
  it('covers every family', () => {
    const families = new Set(fixtures.map((f) => listModels().find((m) => m.name === f.model)?.family));
    for (const fam of ['resnet', 'resnext', 'seresnet', 'skresnet', 'resnest', 'efficientnet']) expect(families).toContain(fam);
  });

  for (const fx of fixtures) {
    it(`${fx.model} (${fx.reference})`, async () => {
      const model = createBackbone(fx.model);
      fillFormulaWeights(model);
      model.eval();
      const { batch, channels, height, width } = fx.input;
      const x = formulaInput(batch, channels, height, width);
      const y = model.forward(x);
      const got = (await y.array()) as number[][];
      tf.dispose([x, y]);
      model.dispose();
      let maxDiff = 0;
      for (let n = 0; n < fx.logits.length; n++) {
        for (let k = 0; k < fx.logits[n].length; k++) maxDiff = Math.max(maxDiff, Math.abs(got[n][k] - fx.logits[n][k]));
      }
      expect(got.length).toBe(fx.logits.length);
      expect(maxDiff / fx.maxAbsLogit).toBeLessThan(1e-5);
    }, 120_000);

    it(`${fx.model}: every feature level equals timm's`, async () => {
      const model = createBackbone(fx.model, { numClasses: 0 });
      fillFormulaWeights(model);
      model.eval();
      const { batch, channels, height, width } = fx.input;
      const x = formulaInput(batch, channels, height, width);
      // Levels c1..c5 are timm's feature_info modules, in order.
      expect(model.featureInfo.map((f) => [f.level, f.name])).toEqual(fx.features.map((f, i) => [`c${i + 1}`, f.module]));
      const byLevel = model.forwardFeatures(x);
      const maps = model.featureInfo.map((f) => byLevel[f.level]);
      expect(maps.length).toBe(fx.features.length);
      for (let level = 0; level < maps.length; level++) {
        const ref = fx.features[level];
        expect(maps[level].shape).toEqual(ref.shape);
        const v = (await maps[level].data()) as Float32Array;
        let sum = 0;
        let sumsq = 0;
        for (let i = 0; i < v.length; i++) {
          sum += v[i];
          sumsq += v[i] * v[i];
        }
        const where = `${fx.model} level ${level} (${ref.module})`;
        let worst = 0;
        ref.positions.forEach((p, i) => (worst = Math.max(worst, Math.abs(v[p] - ref.values[i]))));
        expect({ where, sampled: worst / ref.absmax < 1e-5 }).toEqual({ where, sampled: true });
        expect({ where, sumsq: Math.abs(sumsq - ref.sumsq) / ref.sumsq < 1e-5 }).toEqual({ where, sumsq: true });
        // The sum can cancel; compare it on the scale of the sum of |values| (bounded by sqrt(n * sumsq)).
        expect({ where, sum: Math.abs(sum - ref.sum) / Math.sqrt(v.length * ref.sumsq) < 1e-6 }).toEqual({ where, sum: true });
      }
      tf.dispose([x, ...maps]);
      model.dispose();
    }, 120_000);
  }
});
