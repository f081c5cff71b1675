import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, Module, ModuleList, Sequential, fans, uniform, type Layer } from '@tfvision/nn';

/**
 * Feature Pyramid Network (Lin et al., "Feature Pyramid Networks for Object Detection"), as
 * torchvision's `FeaturePyramidNetwork` + `LastLevelMaxPool` build it:
 * - a 1x1 lateral conv per input level (`inner_blocks.{i}.0`) and a 3x3 output conv
 *   (`layer_blocks.{i}.0`), with bias and no activation; with `norm: 'bn'` (the v2 detectors)
 *   the convs lose their bias and a BatchNorm follows each (`.1`);
 * - top-down: the coarser merged map is resized with torch's 'nearest' (floor) rule to the
 *   lateral's size, not doubled, so odd sizes work; merged = lateral + top-down;
 * - the extra 'pool' level is max_pool2d(k=1, s=2) of the coarsest output: every other pixel,
 *   ceil(n/2) per side.
 * Inputs are taken by level name (`c2`..`c5`), outputs are named `p2`..`p6` (detectron2's
 * names; torchvision's '0'..'3', 'pool' are the same maps in the same order).
 */
export interface FpnOptions {
  /** Input level names, finest first (e.g. ['c2', 'c3', 'c4', 'c5']). */
  inFeatures: string[];
  /** Channels of each input level, in the same order (from the backbone's featureInfo). */
  inChannels: number[];
  /** Output channels of every level. Default 256. */
  outChannels?: number;
  /** Norm after each conv: none (torchvision v1, detectron2's default) or BatchNorm (v2). */
  norm?: 'none' | 'bn';
  /** The extra coarsest level: 'maxpool' (LastLevelMaxPool, default) or none. */
  extraBlock?: 'maxpool' | 'none';
}

const FPN_OPTION_KEYS = new Set(['inFeatures', 'inChannels', 'outChannels', 'norm', 'extraBlock']);

/** Output name of the FPN level built on input `name` (c3 -> p3; other names get a 'p' prefix). */
export function fpnLevelName(inputName: string): string {
  return /^c\d+$/.test(inputName) ? `p${inputName.slice(1)}` : `p_${inputName}`;
}

function convBlock(inChannels: number, outChannels: number, kernelSize: number, norm: 'none' | 'bn'): Sequential {
  const conv = new Conv2d({ inChannels, outChannels, kernelSize, bias: norm === 'none', init: 'none' });
  // torchvision: kaiming_uniform_(a=1), bias 0: bound sqrt(3 / fan_in).
  const bound = Math.sqrt(3 / fans(conv.weight.shape).fanIn);
  const w = uniform(conv.weight.shape, -bound, bound);
  conv.weight.assign(w);
  w.dispose();
  const layers: Layer[] = [conv];
  if (norm === 'bn') layers.push(new BatchNorm2d({ numFeatures: outChannels }));
  return new Sequential(layers);
}

export class FeaturePyramidNetwork extends Module {
  readonly inFeatures: string[];
  readonly inChannels: number[];
  readonly outChannels: number;
  /** Output level names, finest first: p2..p5 and p6 for the extra level. */
  readonly outFeatures: string[];
  /** Stride of each output relative to its input level: the extra level is twice the coarsest. */
  readonly extraBlock: 'maxpool' | 'none';
  readonly innerBlocks: ModuleList<Sequential>;
  readonly layerBlocks: ModuleList<Sequential>;

  constructor(o: FpnOptions) {
    super();
    for (const key of Object.keys(o)) if (!FPN_OPTION_KEYS.has(key)) throw new Error(`FeaturePyramidNetwork: unknown option "${key}" (known: ${[...FPN_OPTION_KEYS].join(', ')})`);
    if (o.inFeatures.length === 0) throw new Error('FeaturePyramidNetwork: inFeatures is empty');
    if (o.inChannels.length !== o.inFeatures.length) {
      throw new Error(`FeaturePyramidNetwork: ${o.inChannels.length} inChannels for ${o.inFeatures.length} inFeatures [${o.inFeatures}]`);
    }
    const norm = o.norm ?? 'none';
    if (norm !== 'none' && norm !== 'bn') throw new Error(`FeaturePyramidNetwork: norm must be 'none' or 'bn', got "${String(norm)}"`);
    this.inFeatures = [...o.inFeatures];
    this.inChannels = [...o.inChannels];
    this.outChannels = o.outChannels ?? 256;
    this.extraBlock = o.extraBlock ?? 'maxpool';
    this.innerBlocks = this.registerModule('inner_blocks', new ModuleList(this.inChannels.map((c) => convBlock(c, this.outChannels, 1, norm))));
    this.layerBlocks = this.registerModule('layer_blocks', new ModuleList(this.inChannels.map(() => convBlock(this.outChannels, this.outChannels, 3, norm))));
    this.outFeatures = this.inFeatures.map(fpnLevelName);
    if (this.extraBlock === 'maxpool') {
      const last = this.outFeatures[this.outFeatures.length - 1];
      const m = /^p(\d+)$/.exec(last);
      this.outFeatures.push(m ? `p${Number(m[1]) + 1}` : `${last}_pool`);
    }
  }

  /** Output strides, given the strides of the input levels. */
  outStrides(inStrides: number[]): number[] {
    const s = [...inStrides];
    if (this.extraBlock === 'maxpool') s.push(s[s.length - 1] * 2);
    return s;
  }

  forward(features: Record<string, tf.Tensor4D>): Record<string, tf.Tensor4D> {
    const inputs = this.inFeatures.map((name, i) => {
      const x = features[name];
      if (x === undefined) throw new Error(`FeaturePyramidNetwork: input level "${name}" missing (got ${Object.keys(features).join(', ') || 'none'})`);
      if (x.shape[3] !== this.inChannels[i]) throw new Error(`FeaturePyramidNetwork: level "${name}" has ${x.shape[3]} channels, expected ${this.inChannels[i]}`);
      return x;
    });
    return tf.tidy(() => {
      const last = inputs.length - 1;
      let merged = this.innerBlocks.items[last].forward(inputs[last]) as tf.Tensor4D;
      const results = [this.layerBlocks.items[last].forward(merged) as tf.Tensor4D];
      for (let i = last - 1; i >= 0; i--) {
        const lateral = this.innerBlocks.items[i].forward(inputs[i]) as tf.Tensor4D;
        const [h, w] = [lateral.shape[1], lateral.shape[2]];
        // torch 'nearest' = floor(dst * in / out), which is tfjs's rule with both flags off.
        const topDown = tf.image.resizeNearestNeighbor(merged, [h, w], false, false);
        merged = tf.add(lateral, topDown);
        results.unshift(this.layerBlocks.items[i].forward(merged) as tf.Tensor4D);
      }
      if (this.extraBlock === 'maxpool') results.push(tf.maxPool(results[results.length - 1], 1, 2, 'valid'));
      const out: Record<string, tf.Tensor4D> = {};
      this.outFeatures.forEach((name, i) => {
        out[name] = results[i];
      });
      return out;
    });
  }
}
