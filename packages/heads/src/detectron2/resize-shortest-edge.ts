/**
 * detectron2's ResizeShortestEdge.get_output_shape (data/transforms/augmentation_impl.py
 * @02b5c4e), in float64 as Python computes it: scale = short / min(h, w); the short side becomes
 * `short` and the long one scale · long; if the long side exceeds maxSize both are scaled by
 * maxSize / long; each side is then int(v + 0.5) (round half up, unlike torchvision's floor).
 * @example resizeShortestEdgeSize(100, 140, 128, 200) // [128, 179]
 */
export function resizeShortestEdgeSize(height: number, width: number, shortEdge: number, maxSize: number): [number, number] {
  for (const [name, v] of [['height', height], ['width', width]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`resizeShortestEdgeSize: ${name} must be a positive integer, got ${v}`);
  }
  if (!(shortEdge > 0) || !Number.isFinite(shortEdge)) throw new Error(`resizeShortestEdgeSize: shortEdge must be positive and finite, got ${shortEdge}`);
  if (!(maxSize > 0)) throw new Error(`resizeShortestEdgeSize: maxSize must be positive, got ${maxSize}`);
  const size = shortEdge;
  const scale = size / Math.min(height, width);
  let newH: number;
  let newW: number;
  if (height < width) {
    newH = size;
    newW = scale * width;
  } else {
    newH = scale * height;
    newW = size;
  }
  if (Math.max(newH, newW) > maxSize) {
    const s = maxSize / Math.max(newH, newW);
    newH *= s;
    newW *= s;
  }
  return [Math.trunc(newH + 0.5), Math.trunc(newW + 0.5)];
}
