/**
 * The indices torch 1.13's CPU `topk(k, largest=True, sorted=True)` returns for one row of
 * float32 values, ties included. ATen (TopKImpl.h, topk_impl_loop) fills (value, index) pairs and
 * compares values only (NaN first); with k * 64 <= n it runs `std::partial_sort` over the first
 * k, otherwise `std::nth_element` at k - 1 followed by `std::sort` of the first k - 1 pairs (the
 * k-th is already in place). Debian's torch is built with GCC, so these are libstdc++'s heap
 * select + sort_heap and introselect; equal values therefore come out in an order that depends
 * on the data, and the RPN's proposal order (and through NMS ties, its keep list) follows it.
 */
import { torchCpuSortDescending } from '../ops/torch-cpu-sort.js';

/** ATen's KeyValueCompDesc: a goes before b. */
function before(a: number, b: number): boolean {
  return (a !== a && b === b) || a > b;
}

/** (value, index) pairs moved as libstdc++ moves them. */
class Pairs {
  readonly v: Float32Array;
  readonly ix: Int32Array;

  constructor(values: Float32Array) {
    this.v = values.slice();
    this.ix = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) this.ix[i] = i;
  }

  swap(a: number, b: number): void {
    const { v, ix } = this;
    const tv = v[a];
    v[a] = v[b];
    v[b] = tv;
    const ti = ix[a];
    ix[a] = ix[b];
    ix[b] = ti;
  }

  copy(to: number, from: number): void {
    this.v[to] = this.v[from];
    this.ix[to] = this.ix[from];
  }

  set(to: number, value: number, index: number): void {
    this.v[to] = value;
    this.ix[to] = index;
  }

  /** std::__adjust_heap followed by std::__push_heap, over the heap at `first` of length len. */
  adjustHeap(first: number, holeIndex: number, len: number, value: number, index: number): void {
    const v = this.v;
    const topIndex = holeIndex;
    let secondChild = holeIndex;
    while (secondChild < Math.trunc((len - 1) / 2)) {
      secondChild = 2 * (secondChild + 1);
      if (before(v[first + secondChild], v[first + secondChild - 1])) secondChild--;
      this.copy(first + holeIndex, first + secondChild);
      holeIndex = secondChild;
    }
    if ((len & 1) === 0 && secondChild === Math.trunc((len - 2) / 2)) {
      secondChild = 2 * (secondChild + 1);
      this.copy(first + holeIndex, first + secondChild - 1);
      holeIndex = secondChild - 1;
    }
    let parent = Math.trunc((holeIndex - 1) / 2);
    while (holeIndex > topIndex && before(v[first + parent], value)) {
      this.copy(first + holeIndex, first + parent);
      holeIndex = parent;
      parent = Math.trunc((holeIndex - 1) / 2);
    }
    this.set(first + holeIndex, value, index);
  }

  makeHeap(first: number, last: number): void {
    const len = last - first;
    if (len < 2) return;
    for (let parent = Math.trunc((len - 2) / 2); ; parent--) {
      this.adjustHeap(first, parent, len, this.v[first + parent], this.ix[first + parent]);
      if (parent === 0) return;
    }
  }

  /** std::__pop_heap(first, last, result). */
  popHeap(first: number, last: number, result: number): void {
    const value = this.v[result];
    const index = this.ix[result];
    this.copy(result, first);
    this.adjustHeap(first, 0, last - first, value, index);
  }

  heapSelect(first: number, middle: number, last: number): void {
    this.makeHeap(first, middle);
    for (let i = middle; i < last; i++) if (before(this.v[i], this.v[first])) this.popHeap(first, middle, i);
  }

  sortHeap(first: number, last: number): void {
    while (last - first > 1) {
      last--;
      this.popHeap(first, last, last);
    }
  }

  moveMedianToFirst(result: number, a: number, b: number, c: number): void {
    const v = this.v;
    if (before(v[a], v[b])) {
      if (before(v[b], v[c])) this.swap(result, b);
      else if (before(v[a], v[c])) this.swap(result, c);
      else this.swap(result, a);
    } else if (before(v[a], v[c])) this.swap(result, a);
    else if (before(v[b], v[c])) this.swap(result, c);
    else this.swap(result, b);
  }

  unguardedPartition(first: number, last: number, pivot: number): number {
    const v = this.v;
    for (;;) {
      while (before(v[first], v[pivot])) first++;
      last--;
      while (before(v[pivot], v[last])) last--;
      if (!(first < last)) return first;
      this.swap(first, last);
      first++;
    }
  }

  insertionSort(first: number, last: number): void {
    if (first === last) return;
    const v = this.v;
    for (let i = first + 1; i < last; i++) {
      const value = v[i];
      const index = this.ix[i];
      if (before(value, v[first])) {
        for (let k = i; k > first; k--) this.copy(k, k - 1);
        this.set(first, value, index);
      } else {
        let hole = i;
        while (before(value, v[hole - 1])) {
          this.copy(hole, hole - 1);
          hole--;
        }
        this.set(hole, value, index);
      }
    }
  }

  /** std::__introselect. */
  introselect(first: number, nth: number, last: number, depthLimit: number): void {
    while (last - first > 3) {
      if (depthLimit === 0) {
        this.heapSelect(first, nth + 1, last);
        this.swap(first, nth);
        return;
      }
      depthLimit--;
      const mid = first + ((last - first) >> 1);
      this.moveMedianToFirst(first, first + 1, mid, last - 1);
      const cut = this.unguardedPartition(first + 1, last, first);
      if (cut <= nth) first = cut;
      else last = cut;
    }
    this.insertionSort(first, last);
  }
}

/** Indices of the k largest values, in torch 1.13 CPU topk order: [n] -> [k] (0 <= k <= n). */
export function torchTopkIndices(values: Float32Array, k: number): Int32Array {
  const n = values.length;
  if (!Number.isInteger(k) || k < 0 || k > n) throw new Error(`torchTopkIndices: k must be an integer in [0, ${n}], got ${k}`);
  if (k === 0) return new Int32Array(0);
  const pairs = new Pairs(values);
  if (k * 64 <= n) {
    pairs.heapSelect(0, k, n);
    pairs.sortHeap(0, k);
    return pairs.ix.slice(0, k);
  }
  pairs.introselect(0, k - 1, n, 2 * (31 - Math.clz32(n)));
  const head = torchCpuSortDescending(pairs.v.subarray(0, k - 1));
  const out = new Int32Array(k);
  for (let i = 0; i < k - 1; i++) out[i] = pairs.ix[head[i]];
  out[k - 1] = pairs.ix[k - 1];
  return out;
}
