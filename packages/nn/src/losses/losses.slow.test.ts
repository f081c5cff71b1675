import { join } from 'node:path';
import { initBackend } from '../backend.js';
import { mismatch, readJsonFixture, referenceTorchAvailable, regenerateFixture } from '../testing/torch-reference.js';
import { flat, runBinaryCrossEntropyCase, runCrossEntropyCase, runSmoothL1Case, type LossFixture } from '../testing/loss-cases.js';

/**
 * Regenerates the loss fixture with torch (tools/reference/losses.py) and checks ours against
 * the fresh values, and that the committed fixture is what the generator writes today.
 */
const GENERATOR = join(__dirname, '../../tools/reference/losses.py');
const available = referenceTorchAvailable();
const describeTorch = available ? describe : describe.skip;
const title = available ? 'losses against a freshly generated torch reference' : 'losses against torch (skipped: /usr/bin/python3 cannot import torchvision)';

describeTorch(title, () => {
  let fresh: LossFixture;
  beforeAll(async () => {
    await initBackend({ backend: 'cpu', report: false });
    fresh = regenerateFixture<LossFixture>(GENERATOR, ['losses']);
  });

  it('matches the committed fixture exactly', () => {
    expect(fresh).toEqual(readJsonFixture<LossFixture>(join(__dirname, 'testdata', 'losses.json')));
  });

  it('every cross-entropy, BCE and smooth-L1 case: value and gradient', () => {
    const failures: string[] = [];
    const check = (name: string, ours: { loss: Float32Array; grad: Float32Array }, loss: number | number[], grad: number[] | number[][]) => {
      const bad = mismatch(ours.loss, flat(loss)) ?? mismatch(ours.grad, flat(grad));
      if (bad) failures.push(`${name}: ${bad}`);
    };
    for (const c of fresh.crossEntropy) {
      check(c.name, runCrossEntropyCase(c, false), c.loss, c.grad);
      if (!c.soft) check(`${c.name} (host labels)`, runCrossEntropyCase(c, true), c.loss, c.grad);
    }
    for (const c of fresh.binaryCrossEntropyWithLogits) check(c.name, runBinaryCrossEntropyCase(c), c.loss, c.grad);
    for (const c of fresh.smoothL1) check(c.name, runSmoothL1Case(c), c.loss, c.grad);
    expect(failures).toEqual([]);
  });
});
