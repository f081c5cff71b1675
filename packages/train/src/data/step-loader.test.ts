import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../rng.js';
import { RECIPE_FACTORY_SOURCE, testRecipe, type RecipeBatch } from './__tests__/recipe-source.js';
import { assembleBatch, slotRng } from './batch-recipe.js';
import { aspectRatioGrouped, epochOrder, indexStreams, positionStreams, sampleRng } from './sampling.js';
import { StepLoader, type StepLoaderOptions } from './step-loader.js';

function loader(n: number, o: Partial<StepLoaderOptions> = {}, failAt = -1): StepLoader<unknown, unknown, RecipeBatch> {
  return new StepLoader(testRecipe(n, failAt), { name: 'TestLoader', batchSize: 3, rule: positionStreams(11), ...o }) as StepLoader<unknown, unknown, RecipeBatch>;
}

async function collectSteps(l: StepLoader<unknown, unknown, RecipeBatch>, from: number, to: number): Promise<{ step: number; batches: RecipeBatch[] }[]> {
  const out: { step: number; batches: RecipeBatch[] }[] = [];
  for await (const s of l.steps(from, to)) out.push(s);
  return out;
}

/** The exact bytes of every batch, so equality means bit-identical floats. */
function bytes(steps: { step: number; batches: RecipeBatch[] }[]): string[] {
  return steps.flatMap((s) => s.batches.map((b) => `${s.step}|${b.indices.join(',')}|${b.shifts.join(',')}|${Buffer.from(b.values.buffer, b.values.byteOffset, b.values.byteLength).toString('hex')}`));
}

describe('sampling rules', () => {
  it('positionStreams: the order is stream 0 of the epoch, position p gets stream p + 1', () => {
    const rule = positionStreams(11);
    expect(Array.from(rule.order(7, 2))).toEqual(new Rng(11).fork(2).shuffle([0, 1, 2, 3, 4, 5, 6]));
    expect(rule.sampleRng(2, 4, 99).getState()).toEqual(new Rng(11).fork(2).fork(5).getState());
  });

  it('indexStreams: classification\'s epochOrder and sampleRng, keyed by dataset index', () => {
    const rule = indexStreams(5, true);
    expect(Array.from(rule.order(9, 3))).toEqual(Array.from(epochOrder(9, 5, 3, true)));
    expect(rule.sampleRng(3, 0, 6).getState()).toEqual(sampleRng(5, 3, 6).getState());
    expect(Array.from(indexStreams(5, false).order(4, 3))).toEqual([0, 1, 2, 3]);
  });
});

describe('aspectRatioGrouped', () => {
  // 11 samples: 7 in group 1 (landscape), 4 in group 0; batches of 3 give 2 + 1 full batches.
  const groups = [1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 1];

  it('regroups the base order: a bucket that fills becomes the next batch, the unfilled remainder sits the epoch out', () => {
    const base = positionStreams(4);
    const rule = aspectRatioGrouped(base, groups, 3);
    expect(rule.epochLength?.(11)).toBe(9);
    for (const epoch of [0, 1, 5]) {
      const order = Array.from(rule.order(11, epoch));
      // Hand regrouping of the base order.
      const buckets: Record<number, number[]> = { 0: [], 1: [] };
      const expected: number[] = [];
      for (const i of base.order(11, epoch)) {
        buckets[groups[i]].push(i);
        if (buckets[groups[i]].length === 3) expected.push(...buckets[groups[i]].splice(0));
      }
      expect(order).toEqual(expected);
      expect(order).toHaveLength(9);
      for (let b = 0; b < 3; b++) expect(new Set(order.slice(3 * b, 3 * b + 3).map((i) => groups[i])).size).toBe(1);
      expect(new Set(order).size).toBe(9);
    }
    // Which samples sit out changes with the epoch's shuffle.
    const left = (e: number) => [...Array(11).keys()].filter((i) => !Array.from(rule.order(11, e)).includes(i)).join(',');
    expect(new Set([0, 1, 2, 3, 4, 5].map(left)).size).toBeGreaterThan(1);
    expect(rule.sampleRng(2, 4, 7).getState()).toEqual(base.sampleRng(2, 4, 7).getState());
  });

  it('gives the step loader its epoch length, every step one group', async () => {
    const l = loader(11, { rule: aspectRatioGrouped(positionStreams(11), groups, 3) });
    expect(l.batchesPerEpoch).toBe(3);
    const steps = await collectSteps(l, 0, 9);
    for (const s of steps) expect(new Set(s.batches[0].indices.map((i) => groups[i])).size).toBe(1);
    expect(bytes(await collectSteps(l, 5, 9))).toEqual(bytes(steps.slice(5)));
  });

  it('names what is wrong', () => {
    expect(() => aspectRatioGrouped(positionStreams(0), [0, 1, 0, 1], 3)).toThrow('aspectRatioGrouped: no aspect-ratio group has batchSize 3 images (group 0: 2, group 1: 2)');
    expect(() => aspectRatioGrouped(positionStreams(0), [0, 0.5], 1)).toThrow('aspectRatioGrouped: groups[1] must be a non-negative integer, got 0.5');
    expect(() => aspectRatioGrouped(positionStreams(0), [0, 0], 1).order(3, 0)).toThrow('aspectRatioGrouped: the rule was built for 2 samples, asked for 3');
  });
});

describe('StepLoader (workers: 0)', () => {
  it('step s holds positions s·B .. s·B + B - 1 of its epoch, each transformed with that position\'s generator', async () => {
    const l = loader(10);
    expect(l.batchesPerEpoch).toBe(3);
    const recipe = testRecipe(10);
    const steps = await collectSteps(l, 0, 7);
    const order1 = new Rng(11).fork(1).shuffle(Array.from({ length: 10 }, (_, i) => i));
    // Step 4 = epoch 1, batch 1: positions 3, 4, 5.
    expect(steps[4].batches[0].indices).toEqual(order1.slice(3, 6));
    const sample = await recipe.dataset.get(order1[4]);
    const rng = new Rng(11).fork(1).fork(5);
    const expected = sample.data.map((v) => v * rng.next() + rng.normal());
    expect(Array.from(steps[4].batches[0].values.subarray(6, 12))).toEqual(Array.from(expected));
    // Each epoch is 9 distinct images (the tenth dropped), and epochs differ.
    const epoch0 = steps.slice(0, 3).flatMap((s) => s.batches[0].indices);
    expect(new Set(epoch0).size).toBe(9);
    expect(steps.slice(3, 6).flatMap((s) => s.batches[0].indices)).not.toEqual(epoch0);
  });

  it('resuming at any step gives the uninterrupted run\'s batches, whatever the prefetch', async () => {
    const full = bytes(await collectSteps(loader(10, { prefetch: 4 }), 0, 8));
    for (const from of [1, 3, 5]) expect(bytes(await collectSteps(loader(10, { prefetch: 1 }), from, 8))).toEqual(full.slice(from));
  });

  it('with accumulate A, step s takes micro-batches s·A .. s·A + A - 1; position() counts steps', async () => {
    const plain = loader(10);
    const acc = loader(10, { accumulate: 2 });
    expect(acc.position(2)).toEqual({ epoch: 1, batchInEpoch: 0 });
    expect(acc.batchPosition(4)).toEqual({ epoch: 1, batchInEpoch: 1 });
    const [step1] = await collectSteps(acc, 1, 2);
    expect(step1.batches.map((b) => b.indices)).toEqual([(await plain.batch(2)).indices, (await plain.batch(3)).indices]);
  });

  it('epoch(): the partial last batch unless dropLast, and resumption at a batch', async () => {
    const l = loader(10, { dropLast: false, rule: indexStreams(5, false), batchSize: 4 });
    const bs: RecipeBatch[] = [];
    for await (const b of l.epoch(0)) bs.push(b);
    expect(bs.map((b) => b.indices)).toEqual([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]);
    const tail: RecipeBatch[] = [];
    for await (const b of l.epoch(0, 1)) tail.push(b);
    expect(tail).toEqual(bs.slice(1));
    // indexStreams: sample 9's generator is the classification one whatever the batch.
    const rng = sampleRng(5, 0, 9);
    expect(bs[2].values[6]).toBe(Math.fround((await testRecipe(10).dataset.get(9)).data[0] * rng.next() + rng.normal()));
  });

  it('keeps at most prefetch steps loading', async () => {
    const recipe = testRecipe(12);
    let live = 0;
    let peak = 0;
    const inner = recipe.dataset;
    const dataset = { length: 12, get: async (i: number) => { live++; peak = Math.max(peak, live); await new Promise((r) => setTimeout(r, 2)); live--; return inner.get(i); } };
    const l = new StepLoader({ ...recipe, dataset }, { name: 'TestLoader', batchSize: 2, rule: positionStreams(1), prefetch: 2 });
    for await (const _ of l.steps(0, 6)) void _;
    expect(peak).toBe(4);
  });

  it('builds the same batch from a slot as from the rule (slots carry the generator state)', async () => {
    const l = loader(10);
    const slots = l.slots(0, 1);
    expect(slotRng(slots[0]).getState()).toEqual(positionStreams(11).sampleRng(0, 3, slots[0].index).getState());
    expect(await assembleBatch(testRecipe(10), slots)).toEqual(await l.batch(1));
  });

  it('names bad options and passes sample errors on', async () => {
    expect(() => loader(10, { batchSize: 0 })).toThrow('TestLoader: batchSize must be a positive integer, got 0');
    expect(() => loader(2)).toThrow('TestLoader: batchSize 3 exceeds the 2 training images');
    expect(() => loader(0, { dropLast: false })).toThrow('TestLoader: the dataset is empty');
    expect(() => loader(10, { accumulate: 1.5 })).toThrow('TestLoader: accumulate must be a positive integer, got 1.5');
    expect(() => loader(10, { prefetch: 0 })).toThrow('TestLoader: prefetch must be a positive integer, got 0');
    expect(() => loader(10, { workers: -1 })).toThrow('TestLoader: workers must be an integer >= 0, got -1');
    expect(() => loader(10, { workers: 2 })).toThrow('TestLoader: workers > 0 needs options.workerFactory');
    await expect(loader(10).batch(-1)).rejects.toThrow('TestLoader.batch: index must be a non-negative integer, got -1');
    const failing = loader(10, { rule: indexStreams(0, false) }, 4);
    await expect(collectSteps(failing, 0, 3)).rejects.toThrow('/data/4.png: cannot read image');
  });
});

const workerScript = fileURLToPath(new URL('../../dist/data/batch-worker.js', import.meta.url));
// Worker threads run compiled JavaScript (`npx tsc -p packages/train/tsconfig.build.json`); jest's
// in-process transform cannot serve .ts files to a worker.
(existsSync(workerScript) ? describe : describe.skip)('StepLoader with worker threads (needs the built dist/; skipped when absent)', () => {
  let dir: string;
  let factory: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'step-loader-'));
    factory = join(dir, 'recipe.mjs');
    writeFileSync(factory, `export const createTestRecipe = ${RECIPE_FACTORY_SOURCE};\n`);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('gives bit-identical batches with 2 workers as in-process, also when resuming', async () => {
    const inProcess = bytes(await collectSteps(loader(11, { accumulate: 2 }), 0, 6));
    const spec = { module: factory, exportName: 'createTestRecipe', args: { n: 11, failAt: -1 } };
    const l = loader(11, { accumulate: 2, workers: 2, prefetch: 3, workerFactory: spec });
    try {
      expect(bytes(await collectSteps(l, 0, 6))).toEqual(inProcess);
      expect(bytes(await collectSteps(l, 4, 6))).toEqual(inProcess.slice(8));
    } finally {
      await l.close();
    }
  });

  it('passes a worker\'s sample error, a missing export and a different dataset on with their messages', async () => {
    const failing = loader(10, { rule: indexStreams(0, false), workers: 1, workerFactory: { module: factory, exportName: 'createTestRecipe', args: { n: 10, failAt: 4 } } });
    const missing = loader(10, { workers: 1, workerFactory: { module: factory, exportName: 'nothing' } });
    const other = loader(10, { workers: 1, workerFactory: { module: factory, exportName: 'createTestRecipe', args: { n: 9, failAt: -1 } } });
    try {
      const it = failing.steps(0, 3)[Symbol.asyncIterator]();
      expect((await it.next()).value?.batches[0].indices).toEqual([0, 1, 2]);
      await expect(it.next()).rejects.toThrow('/data/4.png: cannot read image');
      await expect(missing.batch(0)).rejects.toThrow(`TestLoader: worker 0 could not build its dataset/transform: worker factory: ${factory} has no exported function 'nothing'`);
      await expect(other.batch(0)).rejects.toThrow("TestLoader: worker 0's dataset has 9 samples, the main thread's has 10");
    } finally {
      await Promise.all([failing.close(), missing.close(), other.close()]);
    }
  });
});
