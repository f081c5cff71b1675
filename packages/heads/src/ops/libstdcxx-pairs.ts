/**
 * (value, index) pairs moved exactly as libstdc++'s algorithms move them, with ATen's
 * KeyValueCompDesc comparator (NaN first, then descending). torch 1.13 on Debian is built with
 * GCC, so its CPU `sort` (std::sort: introsort) and `topk` (std::partial_sort / std::nth_element)
 * order tied values the way these routines do; torch-cpu-sort.ts and rpn/torch-topk.ts reproduce
 * those orders on top of this one implementation.
 */
const INSERTION_THRESHOLD = 16;

/** KeyValueCompDesc: a goes before b. */
function before(a: number, b: number): boolean {
  return (a !== a && b === b) || a > b;
}

/** floor(log2 n) * 2: std::sort's and std::nth_element's depth limit. */
export function introDepthLimit(n: number): number {
  return 2 * (31 - Math.clz32(n));
}

export class LibstdcxxPairs {
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

  private set(to: number, value: number, index: number): void {
    this.v[to] = value;
    this.ix[to] = index;
  }

  /** std::sort(first, last): introsort, then the final insertion sort. */
  sort(first: number, last: number): void {
    if (last - first < 2) return;
    this.introsortLoop(first, last, introDepthLimit(last - first));
    this.finalInsertionSort(first, last);
  }

  /** std::partial_sort(first, middle, last): heap select, then sort_heap. */
  partialSort(first: number, middle: number, last: number): void {
    this.heapSelect(first, middle, last);
    this.sortHeap(first, middle);
  }

  /** std::__introselect: the nth pair in place, larger ones before it. */
  introselect(first: number, nth: number, last: number, depthLimit: number): void {
    while (last - first > 3) {
      if (depthLimit === 0) {
        this.heapSelect(first, nth + 1, last);
        this.swap(first, nth);
        return;
      }
      depthLimit--;
      const cut = this.unguardedPartitionPivot(first, last);
      if (cut <= nth) first = cut;
      else last = cut;
    }
    this.insertionSort(first, last);
  }

  private introsortLoop(first: number, last: number, depthLimit: number): void {
    while (last - first > INSERTION_THRESHOLD) {
      if (depthLimit === 0) {
        this.partialSort(first, last, last);
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

  private finalInsertionSort(first: number, last: number): void {
    if (last - first > INSERTION_THRESHOLD) {
      this.insertionSort(first, first + INSERTION_THRESHOLD);
      for (let i = first + INSERTION_THRESHOLD; i < last; i++) this.unguardedLinearInsert(i);
    } else {
      this.insertionSort(first, last);
    }
  }

  private insertionSort(first: number, last: number): void {
    if (first === last) return;
    for (let i = first + 1; i < last; i++) {
      if (before(this.v[i], this.v[first])) {
        const value = this.v[i];
        const index = this.ix[i];
        for (let k = i; k > first; k--) this.copy(k, k - 1);
        this.set(first, value, index);
      } else {
        this.unguardedLinearInsert(i);
      }
    }
  }

  private unguardedLinearInsert(last: number): void {
    const value = this.v[last];
    const index = this.ix[last];
    let next = last - 1;
    while (before(value, this.v[next])) {
      this.copy(last, next);
      last = next;
      next--;
    }
    this.set(last, value, index);
  }

  private makeHeap(first: number, last: number): void {
    const len = last - first;
    if (len < 2) return;
    for (let parent = (len - 2) >> 1; ; parent--) {
      this.adjustHeap(first, parent, len, this.v[first + parent], this.ix[first + parent]);
      if (parent === 0) return;
    }
  }

  /** std::__pop_heap(first, last, result). */
  private popHeap(first: number, last: number, result: number): void {
    const value = this.v[result];
    const index = this.ix[result];
    this.copy(result, first);
    this.adjustHeap(first, 0, last - first, value, index);
  }

  private heapSelect(first: number, middle: number, last: number): void {
    this.makeHeap(first, middle);
    for (let i = middle; i < last; i++) if (before(this.v[i], this.v[first])) this.popHeap(first, middle, i);
  }

  private sortHeap(first: number, last: number): void {
    while (last - first > 1) {
      last--;
      this.popHeap(first, last, last);
    }
  }

  /** std::__adjust_heap followed by std::__push_heap, over the heap at `first` of length len. */
  private adjustHeap(first: number, holeIndex: number, len: number, value: number, index: number): void {
    const v = this.v;
    const topIndex = holeIndex;
    let secondChild = holeIndex;
    while (secondChild < Math.trunc((len - 1) / 2)) {
      secondChild = 2 * (secondChild + 1);
      if (before(v[first + secondChild], v[first + secondChild - 1])) secondChild--;
      this.copy(first + holeIndex, first + secondChild);
      holeIndex = secondChild;
    }
    if ((len & 1) === 0 && secondChild === (len - 2) >> 1) {
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
}
