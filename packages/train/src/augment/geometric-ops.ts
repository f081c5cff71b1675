/**
 * Affine warps for AutoAugment / RandAugment with torchvision's tensor semantics
 * (functional.affine / functional.rotate -> _get_inverse_affine_matrix -> grid_sample with
 * nearest interpolation, align_corners=False, zero padding). The output-to-input matrix works in
 * pixel units centred on the image centre; grid arithmetic is emulated in float32 (Math.fround)
 * so rounding ties fall the same way as in torch.
 */
import { createImage, roundHalfEven, type ImageU8 } from './image.js';

const f32 = Math.fround;

/** torchvision's _get_inverse_affine_matrix (inverted=True); angles and shears in degrees. */
export function inverseAffineMatrix(
  center: [number, number],
  angle: number,
  translate: [number, number],
  scale: number,
  shear: [number, number],
): number[] {
  const rot = (angle * Math.PI) / 180;
  const sx = (shear[0] * Math.PI) / 180;
  const sy = (shear[1] * Math.PI) / 180;
  const [cx, cy] = center;
  const [tx, ty] = translate;
  const a = Math.cos(rot - sy) / Math.cos(sy);
  const b = (-Math.cos(rot - sy) * Math.tan(sx)) / Math.cos(sy) - Math.sin(rot);
  const c = Math.sin(rot - sy) / Math.cos(sy);
  const d = (-Math.sin(rot - sy) * Math.tan(sx)) / Math.cos(sy) + Math.cos(rot);
  const m = [d, -b, 0, -c, a, 0].map((v) => v / scale);
  m[2] += m[0] * (-cx - tx) + m[1] * (-cy - ty);
  m[5] += m[3] * (-cx - tx) + m[4] * (-cy - ty);
  m[2] += cx;
  m[5] += cy;
  return m;
}

/** Warps with an output->input matrix in centred pixel coordinates; nearest sampling, outside = `fill`. */
export function warpAffineNearest(img: ImageU8, matrix: number[], fill = 0): ImageU8 {
  const { height: h, width: w, channels: c } = img;
  const out = createImage(h, w, c);
  if (fill !== 0) out.data.fill(fill);
  // torch: theta^T / [w/2, h/2] (float32), grid = base · theta', pixel = ((g + 1)·size - 1) / 2.
  // Nearest sampling makes .5 ties common (shears about the corner), so the float32 operation
  // order of ATen's CPU kernels is reproduced below.
  const hw = f32(0.5 * w);
  const hh = f32(0.5 * h);
  const t = matrix.map(f32);
  const r0 = f32(t[0] / hw);
  const r1 = f32(t[1] / hw);
  const r2 = f32(t[2] / hw);
  const r3 = f32(t[3] / hh);
  const r4 = f32(t[4] / hh);
  const r5 = f32(t[5] / hh);
  const s = img.data;
  const d = out.data;
  for (let y = 0; y < h; y++) {
    const by = f32(-h * 0.5 + 0.5 + y);
    for (let x = 0; x < w; x++) {
      const bx = f32(-w * 0.5 + 0.5 + x);
      // bmm accumulates x·a, then fma(y, b, ·), then fma(1, c, ·); a float32 product is exact in
      // double, so one f32 rounding of the double sum is the fused result.
      const gx = f32(r2 + f32(by * r1 + f32(bx * r0)));
      const gy = f32(r5 + f32(by * r4 + f32(bx * r3)));
      const px = f32(f32(f32(f32(gx + 1) * w) - 1) / 2);
      const py = f32(f32(f32(f32(gy + 1) * h) - 1) / 2);
      const ix = roundHalfEven(px);
      const iy = roundHalfEven(py);
      if (ix < 0 || ix >= w || iy < 0 || iy >= h) continue;
      const from = (iy * w + ix) * c;
      const to = (y * w + x) * c;
      for (let ch = 0; ch < c; ch++) d[to + ch] = s[from + ch];
    }
  }
  return out;
}

/** The affine ops of AutoAugment / RandAugment. */
export const GEOMETRIC_OP_NAMES = ['ShearX', 'ShearY', 'TranslateX', 'TranslateY', 'Rotate'] as const;
export type GeometricOpName = (typeof GEOMETRIC_OP_NAMES)[number];

export function isGeometricOp(name: string): name is GeometricOpName {
  return (GEOMETRIC_OP_NAMES as readonly string[]).includes(name);
}

/**
 * The output->input matrix (centred pixel coordinates) torchvision builds for one op on a
 * `width` x `height` image: shears by `magnitude` (x' = x + factor·y) about the top-left corner,
 * translations by whole pixels (torchvision truncates the magnitude with int()), counter-clockwise
 * rotation by `magnitude` degrees about the centre.
 */
export function geometricOpMatrix(op: GeometricOpName, width: number, height: number, magnitude: number): number[] {
  const corner: [number, number] = [-width * 0.5, -height * 0.5];
  const shearDegrees = (Math.atan(magnitude) * 180) / Math.PI;
  switch (op) {
    case 'ShearX':
      return inverseAffineMatrix(corner, 0, [0, 0], 1, [shearDegrees, 0]);
    case 'ShearY':
      return inverseAffineMatrix(corner, 0, [0, 0], 1, [0, shearDegrees]);
    case 'TranslateX':
      return inverseAffineMatrix([0, 0], 0, [Math.trunc(magnitude), 0], 1, [0, 0]);
    case 'TranslateY':
      return inverseAffineMatrix([0, 0], 0, [0, Math.trunc(magnitude)], 1, [0, 0]);
    case 'Rotate':
      return inverseAffineMatrix([0, 0], -magnitude, [0, 0], 1, [0, 0]);
  }
}

/** Shear along x by `factor` (x' = x + factor·y about the top-left corner), as AutoAugment's ShearX. */
export function shearX(img: ImageU8, factor: number): ImageU8 {
  return warpAffineNearest(img, geometricOpMatrix('ShearX', img.width, img.height, factor));
}

export function shearY(img: ImageU8, factor: number): ImageU8 {
  return warpAffineNearest(img, geometricOpMatrix('ShearY', img.width, img.height, factor));
}

/** Shift by whole pixels. */
export function translateX(img: ImageU8, pixels: number): ImageU8 {
  return warpAffineNearest(img, geometricOpMatrix('TranslateX', img.width, img.height, pixels));
}

export function translateY(img: ImageU8, pixels: number): ImageU8 {
  return warpAffineNearest(img, geometricOpMatrix('TranslateY', img.width, img.height, pixels));
}

/** Counter-clockwise rotation by `degrees` about the image centre, same size output. */
export function rotate(img: ImageU8, degrees: number): ImageU8 {
  return warpAffineNearest(img, geometricOpMatrix('Rotate', img.width, img.height, degrees));
}
