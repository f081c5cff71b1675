/**
 * Run-length encoded binary masks with pycocotools' conventions: pixels are walked in
 * column-major order (down each column, then the next column) and `counts` alternate
 * between runs of zeros and ones, always starting with a (possibly empty) run of zeros.
 */

/** A decoded-for-arithmetic RLE: height, width and run lengths (uint32, as in pycocotools). */
export interface RleMask {
  h: number;
  w: number;
  counts: Uint32Array;
}

/**
 * Encodes a binary mask given in row-major order (`mask[y * w + x]`, any non-zero value is
 * foreground) into an RLE. The runs themselves are column-major.
 */
export function encodeMask(mask: ArrayLike<number>, h: number, w: number): RleMask {
  if (mask.length !== h * w) throw new Error(`encodeMask: mask has ${mask.length} values, expected h*w = ${h}*${w} = ${h * w}`);
  const runs: number[] = [];
  let current = 0;
  let run = 0;
  for (let x = 0; x < w; x++) {
    for (let y = 0; y < h; y++) {
      const v = mask[y * w + x] !== 0 ? 1 : 0;
      if (v !== current) {
        runs.push(run);
        run = 0;
        current = v;
      }
      run++;
    }
  }
  runs.push(run);
  return { h, w, counts: Uint32Array.from(runs) };
}

/** Decodes an RLE into a row-major mask of 0/1 bytes (`out[y * w + x]`). */
export function decodeRle(rle: RleMask): Uint8Array {
  const { h, w, counts } = rle;
  const out = new Uint8Array(h * w);
  let pos = 0;
  let v = 0;
  for (let j = 0; j < counts.length; j++) {
    const end = Math.min(pos + counts[j], h * w);
    if (v === 1) {
      for (let p = pos; p < end; p++) {
        const x = Math.floor(p / h);
        out[(p - x * h) * w + x] = 1;
      }
    }
    pos = end;
    v = 1 - v;
  }
  return out;
}

/** Number of foreground pixels (the sum of the odd runs). */
export function rleArea(rle: RleMask): number {
  let a = 0;
  const c = rle.counts;
  for (let j = 1; j < c.length; j += 2) a += c[j];
  return a;
}

/**
 * Tight bounding box [x, y, w, h] of the foreground, as pycocotools' rleToBbox: a run of
 * ones that wraps from one column into the next spans the full height. An empty mask gives
 * [0, 0, 0, 0].
 */
export function rleToBbox(rle: RleMask): [number, number, number, number] {
  const { h, w, counts } = rle;
  // A trailing zero run never adds foreground, so only whole (zeros, ones) pairs are walked.
  const m = counts.length - (counts.length % 2);
  if (m === 0) return [0, 0, 0, 0];
  let xs = w;
  let ys = h;
  let xe = 0;
  let ye = 0;
  let cc = 0;
  let xp = 0;
  for (let j = 0; j < m; j++) {
    cc += counts[j];
    // Start of a ones run (j even) or its last pixel (j odd), as a column-major index.
    const t = (cc - (j % 2)) >>> 0;
    const y = t % h;
    const x = (t - y) / h;
    if (j % 2 === 0) xp = x;
    else if (xp < x) {
      ys = 0;
      ye = h - 1;
    }
    if (x < xs) xs = x;
    if (x > xe) xe = x;
    if (y < ys) ys = y;
    if (y > ye) ye = y;
  }
  return [xs, ys, xe - xs + 1, ye - ys + 1];
}

/**
 * Union (default) or intersection of RLEs of one size. Masks of different sizes give an
 * empty 0x0 RLE, as pycocotools does; an empty list gives an empty 0x0 RLE.
 */
export function rleMerge(rles: readonly RleMask[], intersect = false): RleMask {
  if (rles.length === 0) return { h: 0, w: 0, counts: new Uint32Array(0) };
  let { h, w } = rles[0];
  let acc: number[] = Array.from(rles[0].counts);
  if (rles.length === 1) return { h, w, counts: Uint32Array.from(acc) };
  for (let i = 1; i < rles.length; i++) {
    const b = rles[i];
    if (b.h !== h || b.w !== w) {
      h = 0;
      w = 0;
      acc = [];
      break;
    }
    acc = mergeTwo(acc, b.counts, intersect);
  }
  return { h, w, counts: Uint32Array.from(acc) };
}

/** Walks both run lists in lockstep, emitting a run whenever the combined value changes. */
function mergeTwo(a: ArrayLike<number>, b: ArrayLike<number>, intersect: boolean): number[] {
  const out: number[] = [];
  let ca = a.length > 0 ? a[0] : 0;
  let cb = b.length > 0 ? b[0] : 0;
  let ia = 1;
  let ib = 1;
  let va = false;
  let vb = false;
  let v = false;
  let cc = 0;
  let remaining = 1;
  while (remaining > 0) {
    const c = Math.min(ca, cb);
    cc += c;
    ca -= c;
    if (ca === 0 && ia < a.length) {
      ca = a[ia++];
      va = !va;
    }
    cb -= c;
    if (cb === 0 && ib < b.length) {
      cb = b[ib++];
      vb = !vb;
    }
    remaining = ca + cb;
    const previous: boolean = v;
    v = intersect ? va && vb : va || vb;
    if (v !== previous || remaining === 0) {
      out.push(cc);
      cc = 0;
    }
  }
  return out;
}
