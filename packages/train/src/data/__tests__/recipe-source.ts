/**
 * Test helper: a batch recipe as the TEXT of a factory function, so the jest process (via new
 * Function) and a worker thread (via a written .mjs module) run exactly the same code. The
 * transform draws uniforms, integers and normals, so any difference in the generators handed to
 * the two sides shows in the bytes.
 */
import type { BatchRecipe } from '../batch-recipe.js';

export interface RecipeBatch {
  values: Float32Array;
  shifts: number[];
  indices: number[];
}

export interface RecipeSample {
  i: number;
  data: Float32Array;
}

export const RECIPE_FACTORY_SOURCE = `function createTestRecipe(args) {
  const n = args.n;
  const dataset = {
    length: n,
    get(i) {
      if (i === args.failAt) return Promise.reject(new Error('/data/' + i + '.png: cannot read image'));
      return Promise.resolve({ i, data: Float32Array.from({ length: 6 }, (_, k) => Math.sin(i * 7 + k)) });
    },
  };
  const transform = (s, rng) => ({ i: s.i, data: s.data.map((v) => v * rng.next() + rng.normal()), shift: rng.int(5) });
  const collate = (items, indices) => {
    const values = new Float32Array(items.length * 6);
    items.forEach((it, j) => values.set(it.data, j * 6));
    return { values, shifts: items.map((it) => it.shift), indices: Array.from(indices) };
  };
  return { dataset, transform, collate, transfer: (b) => [b.values.buffer] };
}`;

export function testRecipe(n: number, failAt = -1): BatchRecipe<RecipeSample, RecipeSample & { shift: number }, RecipeBatch> {
  const factory = new Function(`return ${RECIPE_FACTORY_SOURCE}`)() as (args: { n: number; failAt: number }) => BatchRecipe<RecipeSample, RecipeSample & { shift: number }, RecipeBatch>;
  return factory({ n, failAt });
}
