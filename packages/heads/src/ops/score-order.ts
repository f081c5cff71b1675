/**
 * Stable descending order of float32 scores, the order torchvision's CPU NMS kernel walks
 * (`scores.sort(stable=true, descending=true)`: ties keep the lower index first, NaN first,
 * -0 ties +0). Each score's float32 bits are mapped to an order-preserving 32-bit key and packed
 * with the position into one double, so a native Float64Array sort (no comparator callback)
 * does the work; past 2^21 positions the keys would not fit a double and a comparator is used.
 */
const POSITION_SCALE = 2097152; // 2^21: 32 key bits + 21 position bits fill a double's 53.

/**
 * Box indices sorted by descending score, ties by ascending position. With `subset`, only those
 * boxes are ordered and ties go by their position in `subset`.
 */
export function stableDescendingOrder(scores: Float32Array, subset?: Int32Array): Int32Array {
  const m = subset ? subset.length : scores.length;
  if (m > POSITION_SCALE) return comparatorOrder(scores, subset);
  const bits = new Uint32Array(scores.buffer, scores.byteOffset, scores.length);
  const keys = new Float64Array(m);
  if (subset) {
    for (let p = 0; p < m; p++) keys[p] = descendingKey(scores[subset[p]], bits[subset[p]]) * POSITION_SCALE + p;
  } else {
    for (let p = 0; p < m; p++) keys[p] = descendingKey(scores[p], bits[p]) * POSITION_SCALE + p;
  }
  keys.sort();
  const order = new Int32Array(m);
  if (subset) {
    for (let p = 0; p < m; p++) order[p] = subset[keys[p] % POSITION_SCALE];
  } else {
    for (let p = 0; p < m; p++) order[p] = keys[p] % POSITION_SCALE;
  }
  return order;
}

/** Positions 0..m-1 sorted by ascending value, ties by position (values must not be NaN). */
export function ascendingPositions(values: Float32Array): Int32Array {
  const m = values.length;
  if (m > POSITION_SCALE) {
    return comparatorOrder(values.map((v) => -v));
  }
  const bits = new Uint32Array(values.buffer, values.byteOffset, m);
  const keys = new Float64Array(m);
  for (let p = 0; p < m; p++) keys[p] = (0xffffffff - descendingKey(values[p], bits[p])) * POSITION_SCALE + p;
  keys.sort();
  const order = new Int32Array(m);
  for (let p = 0; p < m; p++) order[p] = keys[p] % POSITION_SCALE;
  return order;
}

/** 0 for NaN, then larger scores get smaller keys; +0 and -0 share one key. */
function descendingKey(value: number, bits: number): number {
  if (value !== value) return 0;
  const ascending = value === 0 ? 0x80000000 : bits >= 0x80000000 ? ~bits >>> 0 : bits + 0x80000000;
  return 0xffffffff - ascending;
}

/** The same order by a comparator sort (used past 2^21 positions; exported for tests). */
export function comparatorOrder(scores: Float32Array, subset?: Int32Array): Int32Array {
  const m = subset ? subset.length : scores.length;
  const positions = new Int32Array(m);
  for (let p = 0; p < m; p++) positions[p] = p;
  const at = (p: number) => scores[subset ? subset[p] : p];
  positions.sort((a, b) => {
    const va = at(a);
    const vb = at(b);
    if (va !== vb) {
      if (va !== va) return -1;
      if (vb !== vb) return 1;
      return vb - va;
    }
    return a - b;
  });
  return subset ? positions.map((p) => subset[p]) : positions;
}
