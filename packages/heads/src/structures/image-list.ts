import type * as tf from '@tensorflow/tfjs-core';

/**
 * A batch of images padded to one size (torchvision's ImageList): `tensor` is NHWC, padded at
 * the right and bottom; `imageSizes[i]` is image i's [height, width] before padding, which
 * clipping and the RoI pooler's scale use.
 */
export interface ImageList {
  tensor: tf.Tensor4D;
  imageSizes: [number, number][];
}

/** Checks an ImageList's shape invariants, naming `op` in the error. */
export function checkImageList(images: ImageList, op: string): void {
  const [n, h, w] = images.tensor.shape;
  if (images.imageSizes.length !== n) throw new Error(`${op}: ${images.imageSizes.length} image sizes for a batch of ${n}`);
  images.imageSizes.forEach(([ih, iw], i) => {
    if (!(ih > 0 && iw > 0 && ih <= h && iw <= w)) throw new Error(`${op}: image ${i} size [${ih}, ${iw}] does not fit the padded batch [${h}, ${w}]`);
  });
}
