/**
 * torchvision's GeneralizedRCNNTransform.batch_images (0.14): images padded at the bottom and
 * right with 0 (after normalisation, so the convolutions and RoIAlign see zeros) to the batch's
 * largest height and width, each rounded up to a multiple of sizeDivisible, and stacked.
 */
import * as tf from '@tensorflow/tfjs-core';

const OP = 'batchImages';

/** [N, H, W, C] of HWC images of any sizes; H and W are the padded sides. */
export function batchImages(images: readonly tf.Tensor3D[], sizeDivisible = 32): tf.Tensor4D {
  if (images.length === 0) throw new Error(`${OP}: images must hold at least one image, got 0`);
  if (!Number.isInteger(sizeDivisible) || sizeDivisible < 1) throw new Error(`${OP}: sizeDivisible must be a positive integer, got ${sizeDivisible}`);
  const channels = images[0].shape[2];
  images.forEach((img, i) => {
    if (img.rank !== 3 || img.shape[2] !== channels) throw new Error(`${OP}: images[${i}] must be [H, W, ${channels}], got shape ${JSON.stringify(img.shape)}`);
  });
  const stride = sizeDivisible;
  const height = Math.ceil(Math.max(...images.map((img) => img.shape[0])) / stride) * stride;
  const width = Math.ceil(Math.max(...images.map((img) => img.shape[1])) / stride) * stride;
  return tf.tidy(() => tf.stack(images.map((img) => padBottomRight(img, height, width)))) as tf.Tensor4D;
}

/** Zero rows and columns concatenated on: tfjs-cpu's pad walks every element through index arithmetic (10 s for 800x1216x3), its concat copies rows. */
function padBottomRight(img: tf.Tensor3D, height: number, width: number): tf.Tensor3D {
  const [h, w, c] = img.shape;
  const wide: tf.Tensor3D = w === width ? img : tf.concat([img, tf.zeros([h, width - w, c], img.dtype) as tf.Tensor3D], 1);
  return h === height ? wide : tf.concat([wide, tf.zeros([height - h, width, c], img.dtype) as tf.Tensor3D], 0);
}
