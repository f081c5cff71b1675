import type { RcnnConfig } from './rcnn-config.js';

/**
 * Weights of a detector from its config alone (the `model list` figure: every conv/linear weight
 * and bias and every norm scale and shift, frozen or not, no running statistics), so listing
 * a hundred presets builds none of them. `backbone` is the feature extractor's own count and
 * channels per level (backbone-features.json); registry.test.ts checks both against built models.
 */
export function rcnnParamCount(config: RcnnConfig, backbone: { params: number; channels: Record<string, number> }): number {
  const conv = (cin: number, cout: number, k: number, bias: boolean) => cin * cout * k * k + (bias ? cout : 0);
  const bn = (c: number) => 2 * c;
  const linear = (i: number, o: number) => i * o + o;
  const { neck, rpn, roiHeads, numClasses } = config;
  const c = neck.outChannels;
  const fpnNorm = neck.norm === 'bn';
  let n = backbone.params;
  for (const cin of neck.inFeatures.map((l) => backbone.channels[l])) {
    n += conv(cin, c, 1, !fpnNorm) + (fpnNorm ? bn(c) : 0);
    n += conv(c, c, 3, !fpnNorm) + (fpnNorm ? bn(c) : 0);
  }
  const anchors = rpn.anchorSizes[0].length * rpn.aspectRatios.length;
  n += rpn.convDepth * conv(c, c, 3, true) + conv(c, anchors, 1, true) + conv(c, 4 * anchors, 1, true);
  const pooled = roiHeads.poolSize * roiHeads.poolSize;
  if (roiHeads.boxHead === 'two_mlp') n += linear(c * pooled, roiHeads.representationSize) + linear(roiHeads.representationSize, roiHeads.representationSize);
  else n += 4 * (conv(c, c, 3, false) + bn(c)) + linear(c * pooled, roiHeads.representationSize);
  n += linear(roiHeads.representationSize, numClasses) + linear(roiHeads.representationSize, 4 * numClasses);
  const mask = roiHeads.mask;
  if (mask) {
    let cin = c;
    for (const cout of mask.layers) {
      n += conv(cin, cout, 3, mask.norm === 'none') + (mask.norm === 'bn' ? bn(cout) : 0);
      cin = cout;
    }
    n += cin * mask.dimReduced * 4 + mask.dimReduced + conv(mask.dimReduced, numClasses, 1, true);
  }
  return n;
}

