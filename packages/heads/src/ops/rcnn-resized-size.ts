/**
 * The resize rule of torchvision's GeneralizedRCNNTransform (models/detection/transform.py,
 * _resize_image_and_masks) for one image of height x width.
 *
 * scale = min(minSize / short, maxSize / long) in float32, where torch evaluates
 * `float / tensor` as reciprocal(tensor)·float (torch/_tensor.py __rdiv__), so each quotient is
 * f32(f32(1/side)·size) — a plain float32 division differs on about a quarter of sizes. The
 * output side is floor(side·scale) in float64 (interpolate's recompute_scale_factor=True), and
 * the kernel then resizes with in/out, i.e. interpolate(x, { size: [height, width] }).
 */

export interface RcnnResizedSize {
  readonly height: number;
  readonly width: number;
  /** The float32 scale torch computed (as a double, like scale.item()). */
  readonly scale: number;
}

/**
 * @example rcnnResizedSize(427, 640, 800, 1333) // { height: 799, width: 1199, scale: 1.873536... }
 */
export function rcnnResizedSize(height: number, width: number, minSize = 800, maxSize = 1333): RcnnResizedSize {
  for (const [name, v] of [['height', height], ['width', width]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`rcnnResizedSize: ${name} must be a positive integer, got ${v}`);
  }
  for (const [name, v] of [['minSize', minSize], ['maxSize', maxSize]] as const) {
    if (!(v > 0) || !Number.isFinite(v)) throw new Error(`rcnnResizedSize: ${name} must be positive and finite, got ${v}`);
  }
  const short = Math.fround(Math.min(height, width));
  const long = Math.fround(Math.max(height, width));
  const byShort = Math.fround(Math.fround(1 / short) * Math.fround(minSize));
  const byLong = Math.fround(Math.fround(1 / long) * Math.fround(maxSize));
  const scale = Math.min(byShort, byLong);
  return { height: Math.floor(height * scale), width: Math.floor(width * scale), scale };
}
