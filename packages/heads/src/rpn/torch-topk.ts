/**
 * The indices torch 1.13's CPU `topk(k, largest=True, sorted=True)` returns for one row of
 * float32 values, ties included. ATen (TopKImpl.h, topk_impl_loop) fills (value, index) pairs and
 * compares values only (NaN first); with k * 64 <= n it runs `std::partial_sort` over the first
 * k, otherwise `std::nth_element` at k - 1 followed by `std::sort` of the first k - 1 pairs (the
 * k-th is already in place). Debian's torch is built with GCC, so these are libstdc++'s heap
 * select + sort_heap and introselect; equal values therefore come out in an order that depends
 * on the data, and the RPN's proposal order (and through NMS ties, its keep list) follows it.
 */
import { LibstdcxxPairs, introDepthLimit } from '../ops/libstdcxx-pairs.js';

/** Indices of the k largest values, in torch 1.13 CPU topk order: [n] -> [k] (0 <= k <= n). */
export function torchTopkIndices(values: Float32Array, k: number): Int32Array {
  const n = values.length;
  if (!Number.isInteger(k) || k < 0 || k > n) throw new Error(`torchTopkIndices: k must be an integer in [0, ${n}], got ${k}`);
  if (k === 0) return new Int32Array(0);
  const pairs = new LibstdcxxPairs(values);
  if (k * 64 <= n) pairs.partialSort(0, k, n);
  else {
    pairs.introselect(0, k - 1, n, introDepthLimit(n));
    pairs.sort(0, k - 1);
  }
  return pairs.ix.slice(0, k);
}
