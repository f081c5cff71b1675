import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { blendMasks, detectionsSvg, drawDetections, labelColour } from './draw-detections.js';

const W = 6;
const H = 4;
const grey = new Uint8Array(W * H * 3).fill(100);
// Two detections; only pixel (x 1, y 2) of the first mask is above 0.5.
const masks = new Float32Array(2 * W * H);
masks[2 * W + 1] = 0.9;
masks[W * H + 3] = 0.4;
const dets = { boxes: [1, 1, 4, 3, 0, 0, 2, 2], scores: [0.9, 0.3], labels: [2, 1], masks };

describe('drawDetections', () => {
  it('blends masks above 0.5 at half opacity in the label colour', () => {
    const out = blendMasks(grey, W, H, dets, [0, 1]);
    const [r, g, b] = labelColour(2);
    const p = 2 * W + 1;
    expect(Array.from(out.subarray(3 * p, 3 * p + 3))).toEqual([(100 + r + 1) >> 1, (100 + g + 1) >> 1, (100 + b + 1) >> 1]);
    let changed = 0;
    for (let i = 0; i < out.length; i++) if (out[i] !== 100) changed++;
    expect(changed).toBe(3);
  });

  it('tags each box with its name and score, XML-escaped', () => {
    const svg = detectionsSvg(W, H, dets, [0], (l) => (l === 2 ? 'cat & <dog>' : 'x'));
    expect(svg).toContain('cat &amp; &lt;dog&gt; 0.90');
    expect(svg).toContain('<rect x="1.0" y="1.0" width="3.0" height="2.0" fill="none"');
    expect(svg).not.toContain('0.30');
  });

  it('writes a PNG of the image size, drawing only detections >= minScore', async () => {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'tfv-draw-')), 'a.png');
    const image = new Uint8Array(64 * 48 * 3).fill(30);
    expect(await drawDetections(file, image, 64, 48, { boxes: [4, 4, 40, 30, 0, 0, 5, 5], scores: [0.8, 0.2], labels: [1, 3] }, { minScore: 0.5 })).toBe(1);
    const meta = await sharp(file).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 64, 48]);
    const { data } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
    // The box's left edge (x 4, y 20; antialiased over half a pixel) is orange, label 1's colour; a far pixel keeps the image's.
    const at = (x: number, y: number) => Array.from(data.subarray((y * 64 + x) * 3, (y * 64 + x) * 3 + 3));
    expect(labelColour(1)).toEqual([255, 127, 14]);
    const [r, g, b] = at(4, 20);
    expect(r > g && g > b && r > 100).toBe(true);
    expect(at(60, 44)).toEqual([30, 30, 30]);
    expect(() => blendMasks(image, 64, 48, { ...dets, masks: new Float32Array(5) }, [0])).toThrow('drawDetections: masks hold 5 values, expected 2 x 48 x 64');
  });
});
