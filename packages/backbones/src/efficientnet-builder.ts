/**
 * Turns a scaled EfficientNet table into block stages, as timm's EfficientNetBuilder: stride
 * becomes dilation once the output stride is reached, the drop-path rate rises with the
 * global block index, and a feature point sits at the end of every stage that is followed by
 * a downsampling stage (or is the last).
 */
import { DepthwiseSeparableConv, InvertedResidual, Sequential, type ActivationName, type MobilePadding } from '@tfvision/nn';
import { featureLevel, type FeatureInfo } from './backbone.js';
import type { BlockDef } from './efficientnet-arch.js';

export type MobileBlock = InvertedResidual | DepthwiseSeparableConv;

export interface StageBuildOptions {
  /** Channels into the first block (the stem's output). */
  inChannels: number;
  /** Total stride of the stem. */
  stemStride: number;
  outputStride: 8 | 16 | 32;
  padding: MobilePadding;
  bnEps: number;
  bnMomentum: number;
  act: ActivationName;
  dropPathRate: number;
}

export interface BuiltStages {
  stages: Sequential[];
  /** Feature points: level c1.., name `blocks.<stage>`, channels, total stride. */
  featureInfo: FeatureInfo[];
  /** For each feature point, the index of the stage that ends there. */
  featureStage: number[];
  outChannels: number;
}

export function buildStages(defs: readonly BlockDef[], o: StageBuildOptions): BuiltStages {
  const totalBlocks = defs.reduce((n, d) => n + d.repeats, 0);
  let inChannels = o.inChannels;
  let netStride = o.stemStride;
  let dilation = 1;
  let blockIdx = 0;
  const stages: Sequential[] = [];
  const featureInfo: FeatureInfo[] = [];
  const featureStage: number[] = [];
  defs.forEach((def, stageIdx) => {
    const stage = new Sequential();
    for (let i = 0; i < def.repeats; i++) {
      let stride = i === 0 ? def.stride : 1;
      // The block that would pass the output stride keeps the current dilation and gives up
      // its stride; the blocks after it dilate by that stride instead (timm's order).
      const blockDilation = dilation;
      if (stride > 1) {
        if (netStride * stride > o.outputStride) {
          dilation *= stride;
          stride = 1;
        } else {
          netStride *= stride;
        }
      }
      const common = {
        inChannels,
        outChannels: def.outChannels,
        kernelSize: def.kernelSize,
        stride,
        dilation: blockDilation,
        seRatio: def.seRatio,
        act: o.act,
        padding: o.padding,
        bnEps: o.bnEps,
        bnMomentum: o.bnMomentum,
        // timm divides by the block count, not count - 1: the last block stays below the rate.
        dropPathRate: (o.dropPathRate * blockIdx) / totalBlocks,
        noskip: def.noskip,
      };
      stage.append(def.type === 'ir' ? new InvertedResidual({ ...common, expRatio: def.expRatio }) : new DepthwiseSeparableConv(common));
      inChannels = def.outChannels;
      blockIdx++;
    }
    stages.push(stage);
    const next = defs[stageIdx + 1];
    if (!next || next.stride > 1) {
      featureInfo.push({ level: featureLevel(featureInfo.length), name: `blocks.${stageIdx}`, channels: def.outChannels, stride: netStride });
      featureStage.push(stageIdx);
    }
  });
  return { stages, featureInfo, featureStage, outChannels: inChannels };
}
