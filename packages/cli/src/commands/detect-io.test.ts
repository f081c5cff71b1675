import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { decodeRle, rleFromString, type CocoDataset } from '@tfvision/coco';
import { writeNpy } from '@tfvision/nn';
import { categoryMapper, cocoBoxResults, cocoSegmResults, imageIds, listImages, readImageNpy, type HostDetections } from './detect-io.js';

const gt: CocoDataset = {
  images: [
    { id: 7, width: 4, height: 3, file_name: 'sub/a.png' },
    { id: 9, width: 4, height: 3, file_name: 'b.png' },
  ],
  annotations: [],
  categories: [
    { id: 12, name: 'star' },
    { id: 3, name: 'circle' },
  ],
};

const det: HostDetections = {
  boxes: Float32Array.from([0.1, 0.2, 2.3, 1.7]),
  scores: Float32Array.from([0.75]),
  labels: Int32Array.from([2]),
  // 3 x 4 image: the right two columns of the middle row are foreground.
  masks: Float32Array.from([0, 0, 0, 0, 0, 0, 0.6, 0.9, 0.5, 0, 0, 0]),
  height: 3,
  width: 4,
};

describe('detect I/O', () => {
  it('maps labels: 91 classes pass through (COCO ids), K+1 classes onto the --gt categories sorted by id', () => {
    expect(categoryMapper(91, gt)(18)).toBe(18);
    expect(categoryMapper(3, undefined)(2)).toBe(2);
    const map = categoryMapper(3, gt);
    expect([map(1), map(2)]).toEqual([3, 12]);
    expect(() => categoryMapper(5, gt)).toThrow('detect: the model has 4 classes (plus background) but --gt has 2 categories');
  });

  it('finds image ids by file name in --gt, from numeric names, or by position', () => {
    expect(imageIds(['/x/a.png', 'b.png'], gt)).toEqual([7, 9]);
    expect(() => imageIds(['c.png'], gt)).toThrow('detect: c.png: no image of --gt has file_name "c.png"');
    expect(imageIds(['000000397133.jpg', '/d/000000000042.png'], undefined)).toEqual([397133, 42]);
    expect(imageIds(['cat.jpg', '12.jpg'], undefined)).toEqual([1, 2]);
  });

  it('writes COCO boxes as [x, y, w, h] with float32 widths and masks > 0.5 as RLE without bbox', () => {
    const [box] = cocoBoxResults(det, 7, categoryMapper(3, gt));
    expect(box).toEqual({ image_id: 7, category_id: 12, bbox: [det.boxes[0], det.boxes[1], Math.fround(det.boxes[2] - det.boxes[0]), Math.fround(det.boxes[3] - det.boxes[1])], score: det.scores[0] });
    expect(box.bbox![2]).toBe(Math.fround(Math.fround(2.3) - Math.fround(0.1)));
    const [segm] = cocoSegmResults(det, 7, (l) => l);
    expect(segm.bbox).toBeUndefined();
    const rle = segm.segmentation as { size: [number, number]; counts: string };
    expect(rle.size).toEqual([3, 4]);
    // 0.5 is not above 0.5: only (row 1, cols 2 and 3).
    expect(Array.from(decodeRle(rleFromString(rle.counts, 3, 4)))).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0]);
  });

  it('reads the contract .npy and names the file on a wrong one; lists a folder\'s images sorted', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tfv-detect-io-'));
    writeNpy(path.join(dir, 'x.npy'), { dtype: 'F32', shape: [1, 2, 3, 3], data: new Float32Array(18).fill(0.5) });
    expect(readImageNpy(path.join(dir, 'x.npy'))).toMatchObject({ height: 2, width: 3 });
    writeNpy(path.join(dir, 'two.npy'), { dtype: 'F32', shape: [2, 2, 3, 3], data: new Float32Array(36) });
    expect(() => readImageNpy(path.join(dir, 'two.npy'))).toThrow(/two\.npy: expected shape \[H, W, 3\] or \[1, H, W, 3\], got \[2, 2, 3, 3\] \(one image per call: batch 1\)$/);
    for (const f of ['b.PNG', 'a.jpg', 'notes.txt']) fs.writeFileSync(path.join(dir, f), '');
    expect(listImages([dir]).map((f) => path.basename(f))).toEqual(['a.jpg', 'b.PNG']);
    expect(() => listImages([path.join(dir, 'none')])).toThrow(/detect: .*none: no such file or folder/);
  });
});
