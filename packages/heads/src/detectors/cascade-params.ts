import type { CascadeRcnnConfig } from './cascade-config.js';

/**
 * Weights of a Cascade (Mask) R-CNN from its config alone (the `model list` figure: every
 * conv/linear weight and bias and every norm scale and shift, no running statistics), as
 * rcnn-params.ts counts the torchvision detectors.
 */
export function cascadeParamCount(config: CascadeRcnnConfig, backbone: { params: number; channels: Record<string, number> }): number {
  const conv = (cin: number, cout: number, k: number) => cin * cout * k * k + cout;
  const linear = (i: number, o: number) => i * o + o;
  const { neck, rpn, roiHeads, numClasses } = config;
  const c = neck.outChannels;
  let n = backbone.params;
  for (const level of neck.inFeatures) n += conv(backbone.channels[level], c, 1) + conv(c, c, 3);
  const anchors = rpn.anchorSizes[0].length * rpn.aspectRatios.length;
  n += conv(c, c, 3) + conv(c, anchors, 1) + conv(c, 4 * anchors, 1);
  const pooled = c * roiHeads.poolSize * roiHeads.poolSize;
  const stage = linear(pooled, roiHeads.representationSize) + linear(roiHeads.representationSize, roiHeads.representationSize) + linear(roiHeads.representationSize, numClasses + 1) + linear(roiHeads.representationSize, 4);
  n += roiHeads.stageIous.length * stage;
  const mask = roiHeads.mask;
  if (mask) {
    let cin = c;
    for (const cout of mask.convDims) {
      n += conv(cin, cout, 3);
      cin = cout;
    }
    n += cin * cin * 4 + cin + conv(cin, numClasses, 1);
  }
  return n;
}
