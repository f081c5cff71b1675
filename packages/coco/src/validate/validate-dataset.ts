import type { CocoDataset } from '../types.js';
import { checkBbox, checkInteger, checkNonEmptyString, checkSegmentation } from './fields.js';
import { CocoValidationError, ProblemList, describeValue, isFiniteNumber, isInteger, isRecord } from './problems.js';

/**
 * Checks that a parsed JSON value is a COCO instances dataset and returns it typed, in place
 * (no copy: a train2017 file is 860k annotations). Every problem is collected and thrown
 * together as a CocoValidationError.
 *
 * Required: `images`, `categories` (arrays); `annotations` may be absent (test-split
 * image_info files have none) and then becomes `[]`. Checked: field types, unique ids,
 * annotations referring to existing images and categories, boxes with 4 numbers and no
 * negative size, area >= 0, iscrowd 0 or 1, segmentation shape (and RLE size equal to the
 * image size).
 */
export function validateCocoDataset(value: unknown, source: string): CocoDataset {
  const problems = new ProblemList();
  if (!isRecord(value)) {
    problems.add('$', `expected an object with images, annotations and categories, got ${describeValue(value)}`);
    throw new CocoValidationError(source, problems.kept, problems.count, 'instances file');
  }
  if (value.annotations === undefined) value.annotations = [];

  const imageSizes = checkImages(value.images, problems);
  const categoryIds = checkCategories(value.categories, problems);
  checkAnnotations(value.annotations, problems, imageSizes, categoryIds);
  if (value.info !== undefined && !isRecord(value.info)) problems.add('info', `expected an object, got ${describeValue(value.info)}`);
  if (value.licenses !== undefined) checkLicenses(value.licenses, problems);

  if (problems.count > 0) throw new CocoValidationError(source, problems.kept, problems.count, 'instances file');
  return value as unknown as CocoDataset;
}

function checkList(value: unknown, path: string, problems: ProblemList): value is unknown[] {
  if (Array.isArray(value)) return true;
  problems.add(path, `expected an array, got ${describeValue(value)}`);
  return false;
}

/**
 * Returns image id -> [height, width] for every image with a valid id; the size is undefined
 * where it is broken, so annotations of that image are not also reported as dangling.
 */
function checkImages(images: unknown, problems: ProblemList): Map<number, [number, number] | undefined> {
  const sizes = new Map<number, [number, number] | undefined>();
  if (!checkList(images, 'images', problems)) return sizes;
  const firstIndex = new Map<number, number>();
  for (let i = 0; i < images.length; i++) {
    const img = images[i];
    const path = `images[${i}]`;
    if (!isRecord(img)) {
      problems.add(path, `expected an object, got ${describeValue(img)}`);
      continue;
    }
    const idOk = checkInteger(img.id, `${path}.id`, problems);
    if (idOk) {
      const prev = firstIndex.get(img.id as number);
      if (prev !== undefined) problems.add(`${path}.id`, `duplicate image id ${img.id} (first at images[${prev}])`);
      else firstIndex.set(img.id as number, i);
    }
    const wOk = checkPositiveInteger(img.width, `${path}.width`, problems);
    const hOk = checkPositiveInteger(img.height, `${path}.height`, problems);
    checkNonEmptyString(img.file_name, `${path}.file_name`, problems);
    if (idOk && !sizes.has(img.id as number)) sizes.set(img.id as number, wOk && hOk ? [img.height as number, img.width as number] : undefined);
  }
  return sizes;
}

function checkPositiveInteger(value: unknown, path: string, problems: ProblemList): boolean {
  if (isInteger(value) && value > 0) return true;
  problems.add(path, `expected a positive integer, got ${describeValue(value)}`);
  return false;
}

function checkCategories(categories: unknown, problems: ProblemList): Set<number> {
  const ids = new Set<number>();
  if (!checkList(categories, 'categories', problems)) return ids;
  const firstIndex = new Map<number, number>();
  for (let i = 0; i < categories.length; i++) {
    const cat = categories[i];
    const path = `categories[${i}]`;
    if (!isRecord(cat)) {
      problems.add(path, `expected an object, got ${describeValue(cat)}`);
      continue;
    }
    if (checkInteger(cat.id, `${path}.id`, problems)) {
      const prev = firstIndex.get(cat.id as number);
      if (prev !== undefined) problems.add(`${path}.id`, `duplicate category id ${cat.id} (first at categories[${prev}])`);
      else firstIndex.set(cat.id as number, i);
      ids.add(cat.id as number);
    }
    checkNonEmptyString(cat.name, `${path}.name`, problems);
    if (cat.supercategory !== undefined && typeof cat.supercategory !== 'string') {
      problems.add(`${path}.supercategory`, `expected a string, got ${describeValue(cat.supercategory)}`);
    }
  }
  return ids;
}

function checkAnnotations(
  annotations: unknown,
  problems: ProblemList,
  imageSizes: Map<number, [number, number] | undefined>,
  categoryIds: Set<number>,
): void {
  if (!checkList(annotations, 'annotations', problems)) return;
  const firstIndex = new Map<number, number>();
  for (let i = 0; i < annotations.length; i++) {
    const ann = annotations[i];
    const path = `annotations[${i}]`;
    if (!isRecord(ann)) {
      problems.add(path, `expected an object, got ${describeValue(ann)}`);
      continue;
    }
    if (checkInteger(ann.id, `${path}.id`, problems)) {
      const prev = firstIndex.get(ann.id as number);
      if (prev !== undefined) problems.add(`${path}.id`, `duplicate annotation id ${ann.id} (first at annotations[${prev}])`);
      else firstIndex.set(ann.id as number, i);
    }
    let imageSize: [number, number] | undefined;
    if (checkInteger(ann.image_id, `${path}.image_id`, problems)) {
      imageSize = imageSizes.get(ann.image_id as number);
      if (!imageSizes.has(ann.image_id as number)) problems.add(`${path}.image_id`, `no image with id ${ann.image_id}`);
    }
    if (checkInteger(ann.category_id, `${path}.category_id`, problems) && !categoryIds.has(ann.category_id as number)) {
      problems.add(`${path}.category_id`, `no category with id ${ann.category_id}`);
    }
    checkBbox(ann.bbox, `${path}.bbox`, problems);
    if (!isFiniteNumber(ann.area) || ann.area < 0) problems.add(`${path}.area`, `expected a number >= 0, got ${describeValue(ann.area)}`);
    if (ann.iscrowd !== 0 && ann.iscrowd !== 1) problems.add(`${path}.iscrowd`, `expected 0 or 1, got ${describeValue(ann.iscrowd)}`);
    if (ann.segmentation !== undefined) checkSegmentation(ann.segmentation, `${path}.segmentation`, problems, imageSize);
  }
}

function checkLicenses(licenses: unknown, problems: ProblemList): void {
  if (!checkList(licenses, 'licenses', problems)) return;
  for (let i = 0; i < licenses.length; i++) {
    const lic = licenses[i];
    if (!isRecord(lic)) problems.add(`licenses[${i}]`, `expected an object, got ${describeValue(lic)}`);
    else if (!isInteger(lic.id)) problems.add(`licenses[${i}].id`, `expected an integer, got ${describeValue(lic.id)}`);
  }
}
