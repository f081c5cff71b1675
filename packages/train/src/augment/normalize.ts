import { checkImage, type ImageU8 } from './image.js';

/** HWC float32 `(x/255 - mean[c]) / std[c]`; mean/std need one value per channel. */
export function toFloatNormalized(img: ImageU8, mean: number[], std: number[]): Float32Array {
  const out = new Float32Array(img.data.length);
  writeFloatNormalized(img, mean, std, out, 0);
  return out;
}

/** Same as toFloatNormalized, writing into `out` at `offset` (used to fill batches without copies). */
export function writeFloatNormalized(img: ImageU8, mean: number[], std: number[], out: Float32Array, offset: number): void {
  checkImage(img, 'toFloatNormalized');
  const c = img.channels;
  if (mean.length !== c || std.length !== c) {
    throw new Error(`toFloatNormalized: mean and std need ${c} values for a ${c}-channel image, got ${mean.length} and ${std.length}`);
  }
  if (std.some((s) => !(s > 0))) throw new Error(`toFloatNormalized: std values must be > 0, got [${std.join(', ')}]`);
  if (offset + img.data.length > out.length) {
    throw new Error(`toFloatNormalized: output has ${out.length} floats, cannot write ${img.data.length} at offset ${offset}`);
  }
  const scale = std.map((s) => 1 / (255 * s));
  const shift = mean.map((m, i) => m / std[i]);
  const s = img.data;
  for (let i = 0; i < s.length; i += c) {
    for (let ch = 0; ch < c; ch++) out[offset + i + ch] = s[i + ch] * scale[ch] - shift[ch];
  }
}
