export { encodeMask, decodeRle, rleArea, rleToBbox, rleMerge, type RleMask } from './rle.js';
export { countsToString, countsFromString, rleFromString, rleToCompressed } from './codec.js';
export { rleFrPoly, rleFrBbox } from './poly.js';
export { bboxIou, boxPairIou, packedBoxIou, rleIou, rlePairIou } from './iou.js';
export { segmentationToRle } from './segmentation.js';
