/**
 * The permutation torch 1.13's CPU `sort(descending=True)` (stable=False) returns for a 1-D
 * float32 tensor. ATen sorts (value, index) pairs with `std::sort` and a comparator that puts
 * NaN first (`KeyValueCompDesc`); Debian's torch is built with GCC, so that is libstdc++'s
 * introsort: median-of-three pivot moved to the front, Hoare partition that stops on equal keys,
 * recursion on the right part, a heap sort past depth 2*floor(log2 n), and a final insertion
 * sort over 16-element runs. Ties therefore come out in an order that depends on the data (e.g.
 * 20 equal values give 10, 19, 18, ..., 11, 0, 9, ..., 1). torchvision's per-class batched NMS
 * re-sorts its kept boxes this way, so reproducing its keep order needs exactly this algorithm.
 */
const INSERTION_THRESHOLD = 16;

/** Indices of `values` in torch CPU unstable descending-sort order. */
export function torchCpuSortDescending(values: Float32Array): Int32Array {
  const n = values.length;
  const s = new PairSorter(values);
  if (n > 1) {
    s.introsortLoop(0, n, 2 * (31 - Math.clz32(n)));
    s.finalInsertionSort(0, n);
  }
  return s.ix;
}

/** KeyValueCompDesc: a before b. */
function before(a: number, b: number): boolean {
  return (a !== a && b === b) || a > b;
}

class PairSorter {
  readonly v: Float32Array;
  readonly ix: Int32Array;

  constructor(values: Float32Array) {
    this.v = values.slice();
    this.ix = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) this.ix[i] = i;
  }

  private swap(a: number, b: number): void {
    const { v, ix } = this;
    const tv = v[a];
    v[a] = v[b];
    v[b] = tv;
    const ti = ix[a];
    ix[a] = ix[b];
    ix[b] = ti;
  }

  private copy(to: number, from: number): void {
    this.v[to] = this.v[from];
    this.ix[to] = this.ix[from];
  }

  introsortLoop(first: number, last: number, depthLimit: number): void {
    while (last - first > INSERTION_THRESHOLD) {
      if (depthLimit === 0) {
        this.makeHeap(first, last);
        this.sortHeap(first, last);
        return;
      }
      depthLimit--;
      const cut = this.unguardedPartitionPivot(first, last);
      this.introsortLoop(cut, last, depthLimit);
      last = cut;
    }
  }

  private unguardedPartitionPivot(first: number, last: number): number {
    const mid = first + ((last - first) >> 1);
    this.moveMedianToFirst(first, first + 1, mid, last - 1);
    return this.unguardedPartition(first + 1, last, first);
  }

  private moveMedianToFirst(result: number, a: number, b: number, c: number): void {
    const v = this.v;
    if (before(v[a], v[b])) {
      if (before(v[b], v[c])) this.swap(result, b);
      else if (before(v[a], v[c])) this.swap(result, c);
      else this.swap(result, a);
    } else if (before(v[a], v[c])) this.swap(result, a);
    else if (before(v[b], v[c])) this.swap(result, c);
    else this.swap(result, b);
  }

  private unguardedPartition(first: number, last: number, pivot: number): number {
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

  finalInsertionSort(first: number, last: number): void {
    if (last - first > INSERTION_THRESHOLD) {
      this.insertionSort(first, first + INSERTION_THRESHOLD);
      for (let i = first + INSERTION_THRESHOLD; i < last; i++) this.unguardedLinearInsert(i);
    } else {
      this.insertionSort(first, last);
    }
  }

  private insertionSort(first: number, last: number): void {
    if (first === last) return;
    const { v, ix } = this;
    for (let i = first + 1; i < last; i++) {
      if (before(v[i], v[first])) {
        const val = v[i];
        const vi = ix[i];
        for (let k = i; k > first; k--) this.copy(k, k - 1);
        v[first] = val;
        ix[first] = vi;
      } else {
        this.unguardedLinearInsert(i);
      }
    }
  }

  private unguardedLinearInsert(last: number): void {
    const { v, ix } = this;
    const val = v[last];
    const vi = ix[last];
    let next = last - 1;
    while (before(val, v[next])) {
      this.copy(last, next);
      last = next;
      next--;
    }
    v[last] = val;
    ix[last] = vi;
  }

  // Heap sort fallback: std::__partial_sort(first, last, last) = make_heap then sort_heap.
  private makeHeap(first: number, last: number): void {
    const len = last - first;
    if (len < 2) return;
    for (let parent = (len - 2) >> 1; ; parent--) {
      this.adjustHeap(first, parent, len, this.v[first + parent], this.ix[first + parent]);
      if (parent === 0) return;
    }
  }

  private sortHeap(first: number, last: number): void {
    while (last - first > 1) {
      last--;
      const val = this.v[last];
      const vi = this.ix[last];
      this.copy(last, first);
      this.adjustHeap(first, 0, last - first, val, vi);
    }
  }

  private adjustHeap(first: number, holeIndex: number, len: number, val: number, vi: number): void {
    const v = this.v;
    const topIndex = holeIndex;
    let secondChild = holeIndex;
    while (secondChild < Math.trunc((len - 1) / 2)) {
      secondChild = 2 * (secondChild + 1);
      if (before(v[first + secondChild], v[first + secondChild - 1])) secondChild--;
      this.copy(first + holeIndex, first + secondChild);
      holeIndex = secondChild;
    }
    if ((len & 1) === 0 && secondChild === (len - 2) / 2) {
      secondChild = 2 * (secondChild + 1);
      this.copy(first + holeIndex, first + secondChild - 1);
      holeIndex = secondChild - 1;
    }
    // __push_heap
    let parent = Math.trunc((holeIndex - 1) / 2);
    while (holeIndex > topIndex && before(v[first + parent], val)) {
      this.copy(first + holeIndex, first + parent);
      holeIndex = parent;
      parent = Math.trunc((holeIndex - 1) / 2);
    }
    v[first + holeIndex] = val;
    this.ix[first + holeIndex] = vi;
  }
}
