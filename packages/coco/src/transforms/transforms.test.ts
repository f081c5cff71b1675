import { SeededRandom } from '../synth/prng.js';
import { horizontalFlip, randomHorizontalFlip } from './flip.js';
import { normalize } from './normalize.js';
import { padToMultiple } from './pad.js';
import { resizeNearest, resizeShortestEdge, shortestEdgeSize } from './resize.js';
import { compose, uniformInt, type DetectionSample } from './sample.js';

/** A w x h image with random pixels and one rectangular object (rows y0..y1-1, cols x0..x1-1). */
function sample(w: number, h: number, rect: [number, number, number, number]): DetectionSample {
  const rng = new SeededRandom(w * 31 + h);
  const data = new Uint8Array(w * h * 3).map(() => rng.int(0, 255));
  const [x0, y0, x1, y1] = rect;
  const mask = new Uint8Array(w * h);
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) mask[y * w + x] = 1;
  return {
    imageId: 1,
    fileName: 'x.png',
    image: { data, width: w, height: h, channels: 3 },
    originalSize: [h, w],
    contentSize: [h, w],
    boxes: Float32Array.from(rect),
    labels: Int32Array.from([1]),
    areas: Float32Array.from([(x1 - x0) * (y1 - y0)]),
    annotationIds: [1],
    masks: [mask],
    crowdBoxes: Float32Array.from([0, 0, 1, 2]),
    crowdMasks: [mask.slice()],
    degenerateDropped: 0,
    crowdDropped: 0,
  };
}

/** [x0, y0, x1, y1] spanned by the mask's pixels (x1, y1 exclusive). */
function maskBox(mask: Uint8Array, w: number): number[] {
  let x0 = Infinity;
  let y0 = Infinity;
  let x1 = -1;
  let y1 = -1;
  mask.forEach((v, p) => {
    if (!v) return;
    const x = p % w;
    const y = Math.floor(p / w);
    x0 = Math.min(x0, x);
    y0 = Math.min(y0, y);
    x1 = Math.max(x1, x + 1);
    y1 = Math.max(y1, y + 1);
  });
  return [x0, y0, x1, y1];
}

describe('horizontalFlip', () => {
  it('maps boxes to [W - x2, y1, W - x1, y2] and keeps masks on them', () => {
    const s = sample(10, 12, [2, 3, 6, 8]);
    const f = horizontalFlip(s);
    expect(Array.from(f.boxes)).toEqual([4, 3, 8, 8]);
    expect(Array.from(f.crowdBoxes)).toEqual([9, 0, 10, 2]);
    expect(maskBox(f.masks?.[0] as Uint8Array, 10)).toEqual([4, 3, 8, 8]);
    // Pixel (x=0, y=0) moves to (x=9, y=0).
    expect(Array.from(f.image.data.subarray(9 * 3, 10 * 3))).toEqual(Array.from(s.image.data.subarray(0, 3)));
  });

  it('is the identity when applied twice', () => {
    const s = sample(7, 5, [1, 1, 4, 3]);
    const ff = horizontalFlip(horizontalFlip(s));
    expect(ff.image.data).toEqual(s.image.data);
    expect(ff.boxes).toEqual(s.boxes);
    expect(ff.masks).toEqual(s.masks);
    expect(ff.crowdMasks).toEqual(s.crowdMasks);
  });

  it('flips with the given probability, drawing from the seeded generator', async () => {
    const s = sample(6, 4, [0, 0, 2, 2]);
    const always = await randomHorizontalFlip(1)(s, new SeededRandom(1));
    const never = await randomHorizontalFlip(0)(s, new SeededRandom(1));
    expect(Array.from(always.boxes)).toEqual([4, 0, 6, 2]);
    expect(never).toBe(s);
    expect(() => randomHorizontalFlip(1.5)).toThrow('randomHorizontalFlip: prob must be in [0, 1], got 1.5');
  });

  it('takes any uniform source (a Node Buffer image stays a plain Uint8Array)', async () => {
    const s = sample(2, 1, [0, 0, 1, 1]);
    const buffered = { ...s, image: { ...s.image, data: Buffer.from(s.image.data as Uint8Array) } };
    const flipped = await randomHorizontalFlip(0.5)(buffered, { next: () => 0.25 });
    expect(flipped.image.data.constructor).toBe(Uint8Array);
    expect(Array.from(flipped.image.data)).toEqual([...Array.from(s.image.data).slice(3, 6), ...Array.from(s.image.data).slice(0, 3)]);
    expect(await randomHorizontalFlip(0.5)(s, { next: () => 0.75 })).toBe(s);
  });

  it('uniformInt is SeededRandom.int for any uniform source', () => {
    const a = new SeededRandom(7);
    const b = new SeededRandom(7);
    for (let i = 0; i < 50; i++) expect(uniformInt(a, 3, 9)).toBe(b.int(3, 9));
  });
});

describe('resizeShortestEdge', () => {
  it('computes detectron2 output sizes', () => {
    expect(shortestEdgeSize(480, 640, 800, 1333)).toEqual([800, 1067]);
    // Long edge 3200 > 1333: shrink to 1333 x 333.25 -> 333.
    expect(shortestEdgeSize(100, 400, 800, 1333)).toEqual([333, 1333]);
    expect(shortestEdgeSize(640, 480, 600)).toEqual([800, 600]);
  });

  it('scales boxes exactly and keeps masks on them', async () => {
    const s = sample(10, 20, [2, 3, 6, 8]);
    const r = await resizeShortestEdge({ shortEdge: 15 })(s, new SeededRandom(0));
    expect([r.image.height, r.image.width]).toEqual([30, 15]);
    expect(r.contentSize).toEqual([30, 15]);
    expect(Array.from(r.boxes)).toEqual([3, 4.5, 9, 12]);
    const r2 = await resizeShortestEdge({ shortEdge: [20] })(s, new SeededRandom(0));
    expect(Array.from(r2.boxes)).toEqual([4, 6, 12, 16]);
    expect(maskBox(r2.masks?.[0] as Uint8Array, 20)).toEqual([4, 6, 12, 16]);
    expect(r2.image.data).toHaveLength(20 * 40 * 3);
  });

  it('draws sizes from a range with the generator', async () => {
    const t = resizeShortestEdge({ shortEdge: [16, 24], sampleStyle: 'range', maxSize: 1000 });
    const sizes = new Set<number>();
    const rng = new SeededRandom(3);
    for (let i = 0; i < 60; i++) sizes.add((await t(sample(8, 8, [0, 0, 1, 1]), rng)).image.width);
    expect(sizes.size).toBe(9);
    expect(Math.min(...sizes)).toBe(16);
    expect(Math.max(...sizes)).toBe(24);
  });

  it('refuses float images and bad options', async () => {
    const s = await normalize({ mean: [0, 0, 0], std: [1, 1, 1] })(sample(4, 4, [0, 0, 1, 1]), new SeededRandom(0));
    await expect(resizeShortestEdge({ shortEdge: 8 })(s, new SeededRandom(0))).rejects.toThrow('resize before normalize');
    expect(() => resizeShortestEdge({ shortEdge: [8, 9, 10], sampleStyle: 'range' })).toThrow("sampleStyle 'range' needs [min, max]");
  });

  it('resizes masks by pixel centres', () => {
    expect(Array.from(resizeNearest(Uint8Array.from([1, 0, 0, 1]), 2, 2, 4, 2))).toEqual([1, 1, 0, 0, 0, 0, 1, 1]);
  });
});

describe('normalize and padToMultiple', () => {
  it('normalizes per channel', async () => {
    const s = sample(1, 1, [0, 0, 1, 1]);
    s.image.data.set([255, 0, 51]);
    const n = await normalize({ mean: [0.5, 0.5, 0.2], std: [0.25, 0.5, 0.1], scale: 1 / 255 })(s, new SeededRandom(0));
    expect(Array.from(n.image.data).map((v) => Math.round(v * 1e5) / 1e5)).toEqual([2, -1, 0]);
    expect(n.image.data).toBeInstanceOf(Float32Array);
  });

  it('pads bottom-right to a multiple of 32, leaving boxes and content in place', async () => {
    const s = sample(10, 40, [2, 3, 6, 8]);
    const p = await padToMultiple(32)(s, new SeededRandom(0));
    expect([p.image.height, p.image.width]).toEqual([64, 32]);
    expect(p.contentSize).toEqual([40, 10]);
    expect(p.boxes).toEqual(s.boxes);
    expect(Array.from(p.image.data.subarray(32 * 3, 32 * 3 + 30))).toEqual(Array.from(s.image.data.subarray(30, 60)));
    expect(p.image.data[10 * 3]).toBe(0);
    expect(maskBox(p.masks?.[0] as Uint8Array, 32)).toEqual([2, 3, 6, 8]);
  });

  it('composes resize, flip, normalize and pad with boxes and masks in step', async () => {
    const t = compose(resizeShortestEdge({ shortEdge: 20 }), randomHorizontalFlip(1), normalize({ mean: [0, 0, 0], std: [1, 1, 1] }), padToMultiple(32));
    const out = await t(sample(10, 20, [2, 3, 6, 8]), new SeededRandom(0));
    expect([out.image.height, out.image.width]).toEqual([64, 32]);
    expect(Array.from(out.boxes)).toEqual([8, 6, 16, 16]);
    expect(maskBox(out.masks?.[0] as Uint8Array, 32)).toEqual([8, 6, 16, 16]);
  });

  it('composes synchronously until a transform returns a promise, then awaits the rest in order', async () => {
    const seen: string[] = [];
    const step = (name: string) => (x: number[]) => (seen.push(name), [...x, x.length]);
    const sync = compose(step('a'), step('b'));
    expect(sync([], new SeededRandom(0))).toEqual([0, 1]);
    const later = async (x: number[]) => (seen.push('async'), [...x, -1]);
    const mixed = compose<number[]>(step('c'), later, step('d'));
    const pending = mixed([], new SeededRandom(0));
    expect(pending).toBeInstanceOf(Promise);
    expect(await pending).toEqual([0, -1, 2]);
    expect(seen).toEqual(['a', 'b', 'c', 'async', 'd']);
  });

  it('hands every transform the same generator, in order', () => {
    const rng = new SeededRandom(3);
    const reference = new SeededRandom(3);
    const t = compose<number[]>((x, r) => [...x, r.next()], (x, r) => [...x, r.next()]);
    expect(t([], rng)).toEqual([reference.next(), reference.next()]);
    expect(rng.next()).toBe(reference.next());
  });
});
