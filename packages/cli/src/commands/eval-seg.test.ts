/**
 * `tfvision eval seg`:
 * - on label-PNG folders written from @tfvision/eval's committed random case
 *   (packages/eval/fixtures/seg-metrics, tools/seg_metrics_reference.py: torchvision's references
 *   ConfusionMatrix = mmseg's mean_iou), the --json numbers equal the fixture's, with the default
 *   ignore index 255 and with another one; mismatched sizes and missing files are named;
 * - the COCO rasterisation (contiguous labels over sparse category ids, overlaps and crowds 255);
 * - a segmenter over a COCO-format set scores the same as its class PNGs against the rasterised maps.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import sharp from 'sharp';
import { encodeMask, rleToCompressed, type CocoAnnotation, type CocoDataset } from '@tfvision/coco';
import { initBackend } from '@tfvision/nn';
import { createSegmenter } from '@tfvision/heads';
import { hashCheckpoint } from './__tests__/segmenter-checkpoint.js';
import { main } from '../main.js';
import { writeClassPng } from './segment-io.js';
import { semanticLabels, semanticMap } from './semantic-map.js';


const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfv-eval-seg-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const so = jest.spyOn(process.stdout, 'write').mockImplementation((c: string | Uint8Array) => (out.push(String(c)), true));
  const se = jest.spyOn(process.stderr, 'write').mockImplementation((c: string | Uint8Array) => (err.push(String(c)), true));
  try {
    return { code: await main(argv), stdout: out.join(''), stderr: err.join('') };
  } finally {
    so.mockRestore();
    se.mockRestore();
  }
}

/** The committed case of packages/eval/tools/seg_metrics_reference.py (a data file, read as JSON). */
interface SegFixture {
  images: { height: number; width: number; gt: number[]; pred: number[] }[];
  pixels: number;
  pixelAccuracy: number;
  meanAccuracy: number;
  mIoU: number;
  fwIoU: number;
  perClassIoU: (number | null)[];
  perClassAccuracy: (number | null)[];
}

describe('tfvision eval seg on label PNG folders', () => {
  const f = JSON.parse(fs.readFileSync(path.join(__dirname, '..', '..', '..', 'eval', 'fixtures', 'seg-metrics', 'random-case.json'), 'utf8')) as SegFixture;
  const pred = path.join(dir, 'pred');
  const gt = path.join(dir, 'gt');
  const gt250 = path.join(dir, 'gt250');

  beforeAll(async () => {
    for (const d of [pred, gt, gt250]) fs.mkdirSync(d);
    for (const [i, im] of f.images.entries()) {
      await writeClassPng(path.join(pred, `img${i}.png`), Uint8Array.from(im.pred), im.width, im.height);
      await writeClassPng(path.join(gt, `img${i}.png`), Uint8Array.from(im.gt), im.width, im.height);
      await writeClassPng(path.join(gt250, `img${i}.png`), Uint8Array.from(im.gt, (v) => (v === 255 ? 250 : v)), im.width, im.height);
    }
  });

  it('--json equals the torchvision/mmseg reference numbers (ignore index 255, classes inferred)', async () => {
    const r = await cli('eval', 'seg', '--pred', pred, '--gt', gt, '--json');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect(j).toEqual({
      pixelAccuracy: f.pixelAccuracy,
      meanAccuracy: f.meanAccuracy,
      mIoU: f.mIoU,
      fwIoU: f.fwIoU,
      perClassIoU: f.perClassIoU,
      perClassAccuracy: f.perClassAccuracy,
      numClasses: 6,
      pixels: f.pixels,
      images: 3,
    });
  });

  it('honours --ignore-index and --num-classes, and names a value that is neither', async () => {
    const r = await cli('eval', 'seg', '--pred', pred, '--gt', gt250, '--ignore-index', '250', '--num-classes', '6', '--json');
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout);
    expect([j.pixels, j.mIoU, j.fwIoU, j.pixelAccuracy]).toEqual([f.pixels, f.mIoU, f.fwIoU, f.pixelAccuracy]);
    const bad = await cli('eval', 'seg', '--pred', pred, '--gt', gt250, '--num-classes', '6', '--json');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^tfvision eval: seg: .*pred\/img0\.png \/ .*gt250\/img0\.png: target\[\d+\] = 250 is neither a class in \[0, 6\) nor the ignore index 255 \(--num-classes 6, --ignore-index 255\)\n$/);
  });

  it('prints the four metrics as text', async () => {
    const r = await cli('eval', 'seg', '--pred', pred, '--gt', gt);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`mIoU                 ${(100 * f.mIoU).toFixed(2)}`);
    expect(r.stdout).toContain(`pixel accuracy       ${(100 * f.pixelAccuracy).toFixed(2)}`);
    expect(r.stdout).toMatch(/\n4\s+—\s+—\n/);
  });

  it('names both files of a size mismatch, and a ground truth without prediction', async () => {
    const p2 = path.join(dir, 'pred2');
    fs.cpSync(pred, p2, { recursive: true });
    const im = f.images[1];
    await writeClassPng(path.join(p2, 'img1.png'), new Uint8Array((im.height + 1) * im.width), im.width, im.height + 1);
    let r = await cli('eval', 'seg', '--pred', p2, '--gt', gt, '--json');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`tfvision eval: seg: ${path.join(p2, 'img1.png')} is 40x18 but ${path.join(gt, 'img1.png')} is 40x17 (width x height); a prediction must be the size of its ground truth\n`);
    fs.rmSync(path.join(p2, 'img2.png'));
    r = await cli('eval', 'seg', '--pred', p2, '--gt', gt);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(`tfvision eval: seg: ${path.join(gt, 'img2.png')} has no prediction (no img2.png in --pred)\n`);
  });
});

/** An RLE segmentation of the pixels where `inside(x, y)`. */
function rle(h: number, w: number, inside: (x: number, y: number) => boolean): { size: [number, number]; counts: string } {
  const m = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) m[y * w + x] = inside(x, y) ? 1 : 0;
  return rleToCompressed(encodeMask(m, h, w));
}

function ann(id: number, imageId: number, categoryId: number, segmentation: { size: [number, number]; counts: string }, iscrowd: 0 | 1 = 0): CocoAnnotation {
  return { id, image_id: imageId, category_id: categoryId, segmentation, area: 1, bbox: [0, 0, 1, 1], iscrowd };
}

describe('COCO instance masks rasterised to semantic maps', () => {
  it('maps sparse category ids to 1..K, ignores overlaps and crowd regions (255), 0 elsewhere', () => {
    const [h, w] = [6, 8];
    // Categories given out of order with gaps: ids 9, 3, 7 -> labels 3, 1, 2.
    const labels = semanticLabels([{ id: 9, name: 'nine' }, { id: 3, name: 'three' }, { id: 7, name: 'seven' }]);
    const anns = [
      ann(1, 1, 7, rle(h, w, (x, y) => x < 3 && y < 3)), // label 2
      ann(2, 1, 9, rle(h, w, (x, y) => x >= 2 && x < 5 && y < 2)), // label 3, overlaps ann 1 at x = 2, y < 2
      ann(3, 1, 3, rle(h, w, (x, y) => y === 5)), // label 1
      ann(4, 1, 3, rle(h, w, (x, y) => x >= 6 && y >= 4), 1), // crowd: ignored, also over ann 3's row
    ];
    const map = semanticMap(anns, h, w, labels);
    const want = [
      '2 2 X 3 3 0 0 0',
      '2 2 X 3 3 0 0 0',
      '2 2 2 0 0 0 0 0',
      '0 0 0 0 0 0 0 0',
      '0 0 0 0 0 0 X X',
      '1 1 1 1 1 1 X X',
    ].flatMap((row) => row.split(' ').map((v) => (v === 'X' ? 255 : Number(v))));
    expect(Array.from(map)).toEqual(want);
    expect(() => semanticMap(anns, h, w, labels, 3)).toThrow('semanticMap: ignoreLabel must be an integer in [4, 255] (above the 3 category labels, 8-bit), got 3');
  });
});

describe('tfvision eval seg NAME over a COCO-format dataset', () => {
  it('scores the model like its class PNGs against the rasterised maps', async () => {
    await initBackend({ backend: 'wasm', report: false });
    const [h, w] = [48, 64];
    const images = path.join(dir, 'coco-images');
    fs.mkdirSync(images);
    const gtDir = path.join(dir, 'coco-gt');
    fs.mkdirSync(gtDir);
    const dataset: CocoDataset = {
      images: [1, 2].map((id) => ({ id, width: w, height: h, file_name: `im${id}.png` })),
      categories: [{ id: 5, name: 'disc' }, { id: 2, name: 'bar' }],
      annotations: [
        ann(1, 1, 5, rle(h, w, (x, y) => (x - 20) ** 2 + (y - 24) ** 2 < 144)),
        ann(2, 1, 2, rle(h, w, (x, y) => x > 44 && y > 8 && y < 40)),
        ann(3, 2, 2, rle(h, w, (x) => x < 16)),
        ann(4, 2, 5, rle(h, w, (x, y) => x > 40 && y > 30), 1),
      ],
    };
    const cocoPath = path.join(dir, 'gt.json');
    fs.writeFileSync(cocoPath, JSON.stringify(dataset));
    const labels = semanticLabels(dataset.categories);
    for (const im of dataset.images) {
      const rgb = Buffer.alloc(h * w * 3);
      for (let p = 0; p < h * w; p++) rgb.set([(p * 7) % 256, (p * 13 + im.id * 50) % 256, 128], p * 3);
      await sharp(rgb, { raw: { width: w, height: h, channels: 3 } }).png().toFile(path.join(images, im.file_name));
      await writeClassPng(path.join(gtDir, `im${im.id}.png`), semanticMap(dataset.annotations.filter((a) => a.image_id === im.id), h, w, labels), w, h);
    }
    const model = createSegmenter('deeplabv3_resnet18', { numClasses: 3, aux: false });
    const weights = path.join(dir, 'coco.safetensors');
    await hashCheckpoint(model, weights);
    model.dispose();

    const r = await cli('eval', 'seg', 'deeplabv3_resnet18', '--weights', weights, '--coco', cocoPath, '--images', images, '--backend', 'wasm', '--json');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/eval seg: 2\/2 images/);
    const viaCoco = JSON.parse(r.stdout);
    expect(viaCoco.classNames).toEqual(['background', 'bar', 'disc']);
    // 2 images of 48x64 minus the crowd region of image 2 (x 41..63, y 31..47: 23 x 17 pixels).
    expect(viaCoco.pixels).toBe(2 * h * w - 23 * 17);

    const predDir = path.join(dir, 'coco-pred');
    expect((await cli('segment', 'deeplabv3_resnet18', '--weights', weights, images, '--out-dir', predDir, '--backend', 'wasm')).code).toBe(0);
    const viaPngs = JSON.parse((await cli('eval', 'seg', '--pred', predDir, '--gt', gtDir, '--num-classes', '3', '--json')).stdout);
    const { classNames, ...rest } = viaCoco;
    expect(classNames).toHaveLength(3);
    expect(rest).toEqual(viaPngs);

    const wrong = await cli('eval', 'seg', 'deeplabv3_resnet18', '--weights', weights, '--coco', cocoPath, '--images', images, '--ignore-index', '2');
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toBe('tfvision eval: seg: with --coco the ignore index marks rasterised overlaps and crowds in 8-bit labels above the 2 categories: it must be in [3, 255], got 2\n');
  }, 120_000);
});
