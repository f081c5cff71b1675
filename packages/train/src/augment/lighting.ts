/**
 * AlexNet-style PCA lighting noise as in fb.resnet.torch and ResNeSt's Lighting transform:
 * alpha ~ N(0, alphaStd) per principal component, offset = eigvec · (alpha ∘ eigval) added to
 * every pixel. The eigen-decomposition is of ImageNet RGB on the 0..1 scale, so on our 0..255
 * images the offset is multiplied by 255; results are rounded and clamped to 0..255 (the
 * original works on float tensors and does not clamp). A 1-channel image gets the mean of the
 * three channel offsets (what a gray image replicated to RGB and averaged back would get).
 */
import { checkImage, clampRoundU8, createImage, type ImageTransform } from './image.js';

export const IMAGENET_PCA_EIGVAL: readonly number[] = [0.2175, 0.0188, 0.0045];
/** Rows are RGB channels, columns the principal components. */
export const IMAGENET_PCA_EIGVEC: readonly (readonly number[])[] = [
  [-0.5675, 0.7192, 0.4009],
  [-0.5808, -0.0045, -0.814],
  [-0.5836, -0.6948, 0.4203],
];

/** The RGB offset on the 0..1 scale for given component weights alpha. */
export function lightingOffset(alpha: [number, number, number]): [number, number, number] {
  const out: [number, number, number] = [0, 0, 0];
  for (let c = 0; c < 3; c++) {
    let acc = 0;
    for (let k = 0; k < 3; k++) acc += IMAGENET_PCA_EIGVEC[c][k] * alpha[k] * IMAGENET_PCA_EIGVAL[k];
    out[c] = acc;
  }
  return out;
}

export function lighting(alphaStd = 0.1): ImageTransform {
  if (!(alphaStd >= 0) || !Number.isFinite(alphaStd)) throw new Error(`lighting: alphaStd must be a finite number >= 0, got ${alphaStd}`);
  return (img, rng) => {
    checkImage(img, 'lighting');
    if (alphaStd === 0) return img;
    const alpha: [number, number, number] = [rng.normal() * alphaStd, rng.normal() * alphaStd, rng.normal() * alphaStd];
    const rgb = lightingOffset(alpha).map((v) => v * 255);
    const offsets = img.channels === 3 ? rgb : [(rgb[0] + rgb[1] + rgb[2]) / 3];
    const c = img.channels;
    const out = createImage(img.height, img.width, c);
    const s = img.data;
    for (let i = 0; i < s.length; i += c) {
      for (let ch = 0; ch < c; ch++) out.data[i + ch] = clampRoundU8(s[i + ch] + offsets[ch]);
    }
    return out;
  };
}
