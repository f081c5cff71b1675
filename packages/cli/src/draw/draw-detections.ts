/**
 * Detections drawn over their image for a person to look at: each mask (probability > 0.5)
 * blended at half opacity in its class colour, then an SVG layer (boxes, and a "name 0.93"
 * tag above each box) composited by sharp, written as PNG at the image's own size.
 */
import sharp from 'sharp';
import { writeFileAtomic } from '@tfvision/nn';

export interface DrawnDetections {
  /** [x1, y1, x2, y2] per detection, in the image's pixels. */
  boxes: ArrayLike<number>;
  scores: ArrayLike<number>;
  labels: ArrayLike<number>;
  /** Probabilities [D, H, W] (Mask R-CNN), row-major. */
  masks?: ArrayLike<number>;
}

export interface DrawOptions {
  /** Name of a label (default: the label number). */
  labelName?: (label: number) => string;
  /** Detections scoring below this are not drawn (default 0.5). */
  minScore?: number;
}

/** Distinct, saturated colours (Tableau 10), picked by label. */
const PALETTE: readonly [number, number, number][] = [
  [31, 119, 180], [255, 127, 14], [44, 160, 44], [214, 39, 40], [148, 103, 189],
  [140, 86, 75], [227, 119, 194], [127, 127, 127], [188, 189, 34], [23, 190, 207],
];

export function labelColour(label: number): [number, number, number] {
  return PALETTE[((label % PALETTE.length) + PALETTE.length) % PALETTE.length];
}

function escapeXml(s: string): string {
  return s.replace(/[<>&'"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] as string);
}

/** The image (RGB bytes, HWC) with the detections' masks blended in, as a new buffer. */
export function blendMasks(rgb: Uint8Array, width: number, height: number, d: DrawnDetections, keep: readonly number[]): Uint8Array {
  const out = Uint8Array.from(rgb);
  if (!d.masks) return out;
  const plane = width * height;
  if (d.masks.length !== d.scores.length * plane) throw new Error(`drawDetections: masks hold ${d.masks.length} values, expected ${d.scores.length} x ${height} x ${width}`);
  for (const i of keep) {
    const [r, g, b] = labelColour(d.labels[i]);
    for (let p = 0; p < plane; p++) {
      if (d.masks[i * plane + p] > 0.5) {
        out[3 * p] = (out[3 * p] + r + 1) >> 1;
        out[3 * p + 1] = (out[3 * p + 1] + g + 1) >> 1;
        out[3 * p + 2] = (out[3 * p + 2] + b + 1) >> 1;
      }
    }
  }
  return out;
}

/** The SVG layer: one box and one tag per kept detection, lowest score first so the best sit on top. */
export function detectionsSvg(width: number, height: number, d: DrawnDetections, keep: readonly number[], labelName: (label: number) => string): string {
  const font = Math.max(10, Math.round(Math.min(width, height) / 40));
  const stroke = Math.max(1, Math.round(Math.min(width, height) / 300));
  const parts = [...keep].reverse().map((i) => {
    const [x1, y1, x2, y2] = [0, 1, 2, 3].map((k) => d.boxes[4 * i + k]);
    const [r, g, b] = labelColour(d.labels[i]);
    const colour = `rgb(${r},${g},${b})`;
    const text = escapeXml(`${labelName(d.labels[i])} ${d.scores[i].toFixed(2)}`);
    const tagW = Math.ceil(text.length * font * 0.6) + 4;
    const tagY = y1 - font - 2 >= 0 ? y1 - font - 2 : y1;
    return [
      `<rect x="${x1.toFixed(1)}" y="${y1.toFixed(1)}" width="${Math.max(0, x2 - x1).toFixed(1)}" height="${Math.max(0, y2 - y1).toFixed(1)}" fill="none" stroke="${colour}" stroke-width="${stroke}"/>`,
      `<rect x="${x1.toFixed(1)}" y="${tagY.toFixed(1)}" width="${tagW}" height="${font + 2}" fill="${colour}" fill-opacity="0.8"/>`,
      `<text x="${(x1 + 2).toFixed(1)}" y="${(tagY + font - 1).toFixed(1)}" font-family="DejaVu Sans, sans-serif" font-size="${font}" fill="white">${text}</text>`,
    ].join('');
  });
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${parts.join('')}</svg>`;
}

/** Writes `path` (PNG, atomically): the image with its detections drawn. Returns how many were drawn. */
export async function drawDetections(path: string, rgb: Uint8Array, width: number, height: number, d: DrawnDetections, options: DrawOptions = {}): Promise<number> {
  if (rgb.length !== width * height * 3) throw new Error(`drawDetections: image holds ${rgb.length} bytes, expected ${height} x ${width} x 3`);
  const minScore = options.minScore ?? 0.5;
  const keep: number[] = [];
  for (let i = 0; i < d.scores.length; i++) if (d.scores[i] >= minScore) keep.push(i);
  const labelName = options.labelName ?? ((l: number) => String(l));
  const base = blendMasks(rgb, width, height, d, keep);
  const svg = detectionsSvg(width, height, d, keep, labelName);
  const png = await sharp(Buffer.from(base.buffer, base.byteOffset, base.byteLength), { raw: { width, height, channels: 3 } })
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .png()
    .toBuffer();
  writeFileAtomic(path, [png]);
  return keep.length;
}
