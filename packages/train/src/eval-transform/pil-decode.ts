/**
 * Decodes an image file to 8-bit RGB the way `PIL.Image.open(f).convert('RGB')` does (timm's
 * ImageDataset loader): no EXIF rotation, no ICC colour management, grayscale replicated to
 * three channels, alpha dropped, and CMYK converted with Pillow's naive formula
 * (Convert.c cmyk2rgb: v = clip(nk - nk·c/255) with nk = 255 - k and PIL's MULDIV255 rounding).
 * sharp would otherwise colour-manage CMYK through an ICC profile, which PIL does not.
 */
import sharp from 'sharp';
import type { ImageU8 } from '../augment/image.js';

/** Pillow's MULDIV255: a·b/255 rounded, via ((t >> 8) + t) >> 8 with t = a·b + 128. */
function mulDiv255(a: number, b: number): number {
  const t = a * b + 128;
  return ((t >> 8) + t) >> 8;
}

export function cmykToRgbPil(cmyk: Uint8Array, pixels: number): Uint8Array {
  const rgb = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    const nk = 255 - cmyk[4 * p + 3];
    for (let ch = 0; ch < 3; ch++) rgb[3 * p + ch] = Math.max(0, nk - mulDiv255(cmyk[4 * p + ch], nk));
  }
  return rgb;
}

/** Keeps the colour channels of a 1-4 channel raw buffer (1, 2: gray[+alpha]; 3, 4: RGB[A]). */
function toRgb(data: Uint8Array, pixels: number, channels: number): Uint8Array {
  if (channels === 3) return data;
  const rgb = new Uint8Array(pixels * 3);
  for (let p = 0; p < pixels; p++) {
    if (channels >= 3) {
      rgb[3 * p] = data[channels * p];
      rgb[3 * p + 1] = data[channels * p + 1];
      rgb[3 * p + 2] = data[channels * p + 2];
    } else {
      rgb.fill(data[channels * p], 3 * p, 3 * p + 3);
    }
  }
  return rgb;
}

/** `source` is a path or the file's bytes; `name` labels errors. */
export async function decodePilRgb(source: string | Uint8Array, name = typeof source === 'string' ? source : 'image'): Promise<ImageU8> {
  const input = typeof source === 'string' ? source : Buffer.from(source.buffer, source.byteOffset, source.byteLength);
  let raw: { data: Buffer; info: sharp.OutputInfo };
  let cmyk = false;
  try {
    const meta = await sharp(input, { failOn: 'error' }).metadata();
    cmyk = meta.space === 'cmyk';
    const pipeline = sharp(input, { failOn: 'error' });
    // keepIccProfile stops sharp's conversion to sRGB through an embedded profile, as PIL never applies one.
    raw = await (cmyk ? pipeline.pipelineColourspace('cmyk').toColourspace('cmyk') : pipeline.keepIccProfile())
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (err) {
    throw new Error(`${name}: cannot decode image (${(err as Error).message.split('\n')[0]})`);
  }
  const { data, info } = raw;
  const pixels = info.width * info.height;
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (bytes.length !== pixels * info.channels) {
    throw new Error(`${name}: decoder returned ${bytes.length} bytes for ${info.width}x${info.height}x${info.channels}`);
  }
  const rgb = cmyk ? cmykToRgbPil(bytes, pixels) : toRgb(bytes, pixels, info.channels);
  return { data: rgb, height: info.height, width: info.width, channels: 3 };
}
