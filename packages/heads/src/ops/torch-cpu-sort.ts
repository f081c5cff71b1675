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
import { LibstdcxxPairs } from './libstdcxx-pairs.js';

/** Indices of `values` in torch CPU unstable descending-sort order. */
export function torchCpuSortDescending(values: Float32Array): Int32Array {
  const pairs = new LibstdcxxPairs(values);
  pairs.sort(0, values.length);
  return pairs.ix;
}
