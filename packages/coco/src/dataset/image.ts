import sharp from 'sharp';

/** An RGB image, row-major HWC (`data[(y * width + x) * 3 + c]`), 3 channels. */
export interface RgbImage<T extends Uint8Array | Float32Array = Uint8Array | Float32Array> {
  data: T;
  width: number;
  height: number;
}

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
  if (options.dtype === 'float32') return { data: Float32Array.from(rgb), width, height };
  return { data: rgb, width, height };
}

function greyToRgb(grey: Uint8Array): Uint8Array {
  const out = new Uint8Array(grey.length * 3);
  for (let i = 0; i < grey.length; i++) out[i * 3] = out[i * 3 + 1] = out[i * 3 + 2] = grey[i];
  return out;
}
