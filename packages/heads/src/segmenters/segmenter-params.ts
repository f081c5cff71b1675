/**
 * Weight counts of the segmenters from their config and the backbone's feature table, without
 * building them: every conv weight and bias and every BatchNorm scale and shift (no running
 * statistics), as `tfvision model info` counts a segmenter. Checked against torchvision's
 * num_params (deeplabv3_resnet50 with aux: 42,004,074) and the reference state dicts.
 */
import type { DeepLabV3Config, DeepLabV3PlusConfig, SegmenterConfig } from './segmenter-config.js';

type Features = { params: number; channels: Record<string, number> };

const bn = (c: number) => 2 * c;

function asppParams(inCh: number, ch: number, separable: boolean): number {
  const branch3x3 = separable ? 9 * inCh + inCh * ch : 9 * inCh * ch;
  return inCh * ch + bn(ch) // 1x1
    + 3 * (branch3x3 + bn(ch)) // three rates
    + inCh * ch + bn(ch) // image pooling
    + 5 * ch * ch + bn(ch); // projection
}

function deeplabv3Head(c: DeepLabV3Config, f: Features): number {
  const ch = c.channels;
  const k = c.numClasses;
  let n = asppParams(f.channels.c5, ch, false) + 9 * ch * ch + bn(ch) + ch * k + k;
  if (c.aux) {
    const inter = Math.floor(f.channels.c4 / 4);
    n += 9 * f.channels.c4 * inter + bn(inter) + inter * k + k;
  }
  return n;
}

function deeplabv3PlusHead(c: DeepLabV3PlusConfig, f: Features): number {
  const ch = c.channels;
  const low = c.lowLevelChannels;
  const k = c.numClasses;
  const separable = (i: number, o: number) => 9 * i + i * o;
  return asppParams(f.channels.c5, ch, true) + separable(ch, ch) + bn(ch) // decoder.aspp
    + f.channels.c2 * low + bn(low) // block1
    + separable(ch + low, ch) + bn(ch) // block2
    + ch * k + k; // segmentation head
}

/** All weights of the segmenter `config` over a backbone whose feature-extractor table is `features`. */
export function segmenterParamCount(config: SegmenterConfig, features: Features): number {
  return features.params + (config.type === 'deeplabv3' ? deeplabv3Head(config, features) : deeplabv3PlusHead(config, features));
}
