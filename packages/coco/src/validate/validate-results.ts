import type { CocoDataset, CocoResult } from '../types.js';
import { checkBbox, checkInteger, checkSegmentation } from './fields.js';
import { CocoValidationError, ProblemList, describeValue, isFiniteNumber, isRecord } from './problems.js';

export interface ResultsValidationOptions {
  /**
   * The ground truth the results belong to. When given, every image_id must be one of its
   * images (pycocotools asserts "Results do not correspond to current coco set") and RLE
   * sizes must equal the image size.
   */
  groundTruth?: CocoDataset;
}

/**
 * Checks that a parsed JSON value is a COCO results list: objects with integer image_id and
 * category_id, a finite score, and a bbox `[x, y, w, h]` and/or a segmentation. Returns it
 * typed, in place. An empty list is valid here (COCOeval's loadRes refuses it later).
 */
export function validateCocoResults(value: unknown, source: string, options: ResultsValidationOptions = {}): CocoResult[] {
  const problems = new ProblemList();
  if (!Array.isArray(value)) {
    problems.add('$', `expected an array of results, got ${describeValue(value)}`);
    throw new CocoValidationError(source, problems.kept, problems.count, 'results file');
  }
  const sizes = options.groundTruth ? new Map(options.groundTruth.images.map((img) => [img.id, [img.height, img.width] as [number, number]])) : undefined;
  for (let i = 0; i < value.length; i++) {
    const res = value[i];
    const path = `[${i}]`;
    if (!isRecord(res)) {
      problems.add(path, `expected an object, got ${describeValue(res)}`);
      continue;
    }
    let imageSize: [number, number] | undefined;
    if (checkInteger(res.image_id, `${path}.image_id`, problems) && sizes) {
      imageSize = sizes.get(res.image_id as number);
      if (imageSize === undefined) problems.add(`${path}.image_id`, `no image with id ${res.image_id} in the ground truth`);
    }
    checkInteger(res.category_id, `${path}.category_id`, problems);
    if (!isFiniteNumber(res.score)) problems.add(`${path}.score`, `expected a number, got ${describeValue(res.score)}`);
    const hasBbox = res.bbox !== undefined && !(Array.isArray(res.bbox) && res.bbox.length === 0 && res.segmentation !== undefined);
    if (hasBbox) checkBbox(res.bbox, `${path}.bbox`, problems);
    if (res.segmentation !== undefined) checkSegmentation(res.segmentation, `${path}.segmentation`, problems, imageSize);
    if (!hasBbox && res.segmentation === undefined) problems.add(path, 'expected a bbox or a segmentation, got neither');
  }
  if (problems.count > 0) throw new CocoValidationError(source, problems.kept, problems.count, 'results file');
  return value as CocoResult[];
}
