/**
 * Test helper: an in-memory dataset and a random transform, as the TEXT of a factory function,
 * so the jest process (via new Function) and a worker thread (via a written .mjs module) run
 * exactly the same code.
 */
import type { LoaderSource } from '../types.js';

export const SYNTHETIC_FACTORY_SOURCE = `function createLoaderSource(args) {
  const n = args.n;
  const dataset = {
    length: n,
    classes: ['even', 'odd'],
    get(i) {
      const data = new Uint8Array(4 * 4 * 3);
      for (let k = 0; k < data.length; k++) data[k] = (i * 7 + k * 3) % 256;
      return Promise.resolve({ image: { data, height: 4, width: 4, channels: 3 }, label: i % 2 });
    },
  };
  // Random crop 2x2 at an rng-chosen offset plus an rng-chosen brightness shift.
  const transform = (img, rng) => {
    const top = rng.int(3), left = rng.int(3), add = rng.int(50);
    const out = new Uint8Array(2 * 2 * 3);
    for (let y = 0; y < 2; y++) for (let x = 0; x < 2; x++) for (let c = 0; c < 3; c++) {
      out[(y * 2 + x) * 3 + c] = Math.min(255, img.data[((top + y) * 4 + left + x) * 3 + c] + add);
    }
    return { data: out, height: 2, width: 2, channels: 3 };
  };
  return { dataset, transform };
}`;

export function syntheticSource(n: number): LoaderSource {
  const factory = new Function(`return ${SYNTHETIC_FACTORY_SOURCE}`)() as (args: { n: number }) => LoaderSource;
  return factory({ n });
}
