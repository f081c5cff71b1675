/**
 * Label smoothing with timm's convention (timm.data.mixup.one_hot / LabelSmoothingCrossEntropy
 * targets): off-value = s/K, on-value = 1 - s + s/K, so each row sums to 1.
 */
export function smoothOneHot(labels: Int32Array, numClasses: number, smoothing: number): Float32Array {
  if (!Number.isInteger(numClasses) || numClasses < 1) throw new Error(`smoothOneHot: numClasses must be a positive integer, got ${numClasses}`);
  if (!(smoothing >= 0 && smoothing < 1)) throw new Error(`smoothOneHot: smoothing must be in [0, 1), got ${smoothing}`);
  const off = smoothing / numClasses;
  const on = 1 - smoothing + off;
  const out = new Float32Array(labels.length * numClasses).fill(off);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (!Number.isInteger(l) || l < 0 || l >= numClasses) {
      throw new Error(`smoothOneHot: labels[${i}] = ${l} is outside 0..${numClasses - 1}`);
    }
    out[i * numClasses + l] = on;
  }
  return out;
}
