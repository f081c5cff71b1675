/**
 * timm's channel rounding: nearest multiple of `divisor`, at least `minValue` (default the
 * divisor), and never more than (1 - roundLimit) below `v`.
 */
export function makeDivisible(v: number, divisor = 8, minValue?: number, roundLimit = 0.9): number {
  const min = minValue ?? divisor;
  let out = Math.max(min, Math.floor(Math.floor(v + divisor / 2) / divisor) * divisor);
  if (out < roundLimit * v) out += divisor;
  return out;
}
