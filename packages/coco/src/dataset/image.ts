import sharp from 'sharp';

/**
 * The one image type of the data stack: row-major HWC (`data[(y * width + x) * channels + c]`),
 * `data.length === height * width * channels`. Decoding, detection and segmentation samples,
 * classification augmentations and loaders all pass this, so an augmentation written for one
 * works on the others' images.
 */
export interface PixelImage<T extends Uint8Array | Float32Array = Uint8Array, C extends 1 | 3 = 1 | 3> {
  data: T;
  width: number;
  height: number;
  channels: C;
}

/** An 8-bit image, greyscale or RGB: what augmentations take and return. */
export type ImageU8 = PixelImage<Uint8Array>;

/** A three-channel image: what decodeImage returns and a DetectionSample carries. */
export type RgbImage<T extends Uint8Array | Float32Array = Uint8Array | Float32Array> = PixelImage<T, 3>;

export interface DecodeImageOptions {
  /**
   * Rotate by the EXIF orientation tag. Off by default: COCO's boxes and masks refer to the
   * pixels as stored (what PIL's Image.open and pycocotools' demos see), not as displayed.
   */
  applyExifOrientation?: boolean;
  /** 'uint8' (default) keeps 0..255 bytes; 'float32' gives the same values as floats. */
  dtype?: 'uint8' | 'float32';
}

/**
 * Decodes any image sharp reads (JPEG, PNG, WebP, ...) to RGB: alpha is dropped, greyscale
 * and CMYK are converted. A missing or unreadable file is an error naming it.
 */
export async function decodeImage(path: string, options: DecodeImageOptions & { dtype: 'float32' }): Promise<RgbImage<Float32Array>>;
export async function decodeImage(path: string, options?: DecodeImageOptions & { dtype?: 'uint8' }): Promise<RgbImage<Uint8Array>>;
export async function decodeImage(path: string, options?: DecodeImageOptions): Promise<RgbImage>;
export async function decodeImage(path: string, options: DecodeImageOptions = {}): Promise<RgbImage> {
  let pipeline = sharp(path, { failOn: 'error' });
  if (options.applyExifOrientation) pipeline = pipeline.rotate();
  let out: { data: Buffer; info: sharp.OutputInfo };
  try {
    out = await pipeline.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    const reason = e.code === 'ENOENT' || /no such file|missing/i.test(e.message) ? 'file not found' : e.message;
    throw new Error(`${path}: cannot read image: ${reason}`);
  }
  const { width, height, channels } = out.info;
  let rgb: Uint8Array = new Uint8Array(out.data.buffer, out.data.byteOffset, out.data.byteLength);
  if (channels === 1) rgb = greyToRgb(rgb);
  else if (channels !== 3) throw new Error(`${path}: decoded to ${channels} channels, expected 3`);
  if (options.dtype === 'float32') return { data: Float32Array.from(rgb), width, height, channels: 3 };
  return { data: rgb, width, height, channels: 3 };
}

function greyToRgb(grey: Uint8Array): Uint8Array {
  const out = new Uint8Array(grey.length * 3);
  for (let i = 0; i < grey.length; i++) out[i * 3] = out[i * 3 + 1] = out[i * 3 + 2] = grey[i];
  return out;
}
