/**
 * ResNet family: ResNet (He et al., 2016) with the ResNet-D tweaks (Bag of Tricks, He et al.,
 * 2019: deep 3x3 stem, stride on the 3x3, average-pool shortcut), ResNeXt (Xie et al., 2017),
 * SE-ResNet/SE-ResNeXt (Hu et al., 2018), SKNet (Li et al., 2019) and ResNeSt (Zhang et al.,
 * 2020) — one ResNet class fed different blocks, as timm builds them, with timm's parameter
 * names so its checkpoints load unchanged. The option strideIn1x1 moves the bottleneck stride to
 * the first 1x1, as the original MSRA ResNet and detectron2's STRIDE_IN_1X1 have it.
 */
import * as tf from '@tensorflow/tfjs-core';
import { AvgPool2d, BatchNorm2d, Conv2d, DropBlock, Dropout, GlobalAvgPool, Identity, Layer, Linear, MaxPool2d, ReLU, Sequential, freezeBatchNorm, forwardFolded, forwardFrozenUntaped, type CheckpointableLayer } from '@tfvision/nn';
import { Backbone, checkOptionKeys, featureLevel, type BackboneOptions, type FeatureInfo, type PretrainedCfg } from './backbone.js';
import { applyFreezeOptions, checkFreezeOptions } from './freeze-policy.js';
import { BLOCKS, type BlockArgs, type BlockName, ResidualBlock } from './resnet-blocks.js';
import { registerModel, type ModelFamily } from './registry.js';
import { TIMM_CFGS } from './timm-cfgs.js';

/** The arguments that define a variant (timm's model_args). */
export interface ResNetArgs {
  block: BlockName;
  layers: [number, number, number, number];
  cardinality?: number;
  baseWidth?: number;
  stemWidth?: number;
  stemType?: '' | 'deep';
  avgDown?: boolean;
  se?: boolean;
  sk?: BlockArgs['sk'];
  resnest?: { radix: number; avd: boolean; avdFirst: boolean };
  zeroInitLast?: boolean;
  /** Stage widths before expansion; default [64, 128, 256, 512]. Narrower for small-data runs. */
  channels?: [number, number, number, number];
  /**
   * Small-image adaptation (CIFAR/Fashion-MNIST style): stem stride 1 and no max-pool keep a
   * 28x28 input at 28x28 into layer1 instead of 7x7. Defaults (2, true) are ImageNet's.
   */
  stemStride?: 1 | 2;
  stemPool?: boolean;
}

const STEM_RELU = new ReLU();

export class ResNet extends Backbone {
  readonly featureInfo: FeatureInfo[];
  readonly pretrainedCfg: PretrainedCfg;
  readonly numClasses: number;
  readonly conv1: Layer<tf.Tensor4D, tf.Tensor4D>;
  readonly bn1: BatchNorm2d;
  readonly maxpool: Layer<tf.Tensor4D, tf.Tensor4D>;
  readonly stages: Sequential[] = [];
  readonly fc?: Linear;
  readonly numFeatures: number;
  private readonly dropout?: Dropout;
  private readonly pool = new GlobalAvgPool();

  constructor(args: ResNetArgs, options: BackboneOptions, cfg: PretrainedCfg) {
    super();
    checkOptionKeys('ResNet', options);
    const inChans = options.inChans ?? 3;
    const outputStride = options.outputStride ?? 32;
    if (![8, 16, 32].includes(outputStride)) throw new Error(`ResNet: outputStride must be 8, 16 or 32, got ${outputStride}`);
    const strideIn1x1 = options.strideIn1x1 ?? false;
    if (typeof strideIn1x1 !== 'boolean') throw new Error(`ResNet: strideIn1x1 must be a boolean, got ${String(strideIn1x1)}`);
    // Only the plain bottleneck has a strideless 1x1 before its strided 3x3: basic blocks have no
    // 1x1, ResNeSt's avd moves the stride to an average pool and SK blocks stride inside their
    // multi-branch conv; no reference or checkpoint defines the option for those.
    if (strideIn1x1 && args.block !== 'bottleneck') throw new Error(`ResNet: strideIn1x1 needs plain bottleneck blocks, got block "${args.block}"`);
    const cardinality = args.cardinality ?? 1;
    const baseWidth = args.baseWidth ?? 64;
    const stemWidth = args.stemWidth ?? 64;
    const deep = args.stemType === 'deep';
    this.pretrainedCfg = cfg;
    if (options.featuresOnly && (options.numClasses ?? 0) !== 0) throw new Error(`ResNet: featuresOnly has no classifier, but numClasses is ${options.numClasses}`);
    this.numClasses = options.featuresOnly ? 0 : (options.numClasses ?? 1000);

    let inplanes = deep ? stemWidth * 2 : 64;
    if (deep) {
      this.conv1 = this.registerModule('conv1', new Sequential([
        new Conv2d({ inChannels: inChans, outChannels: stemWidth, kernelSize: 3, stride: args.stemStride ?? 2, padding: 1 }),
        new BatchNorm2d({ numFeatures: stemWidth }),
        new ReLU(),
        new Conv2d({ inChannels: stemWidth, outChannels: stemWidth, kernelSize: 3, padding: 1 }),
        new BatchNorm2d({ numFeatures: stemWidth }),
        new ReLU(),
        new Conv2d({ inChannels: stemWidth, outChannels: inplanes, kernelSize: 3, padding: 1 }),
      ]) as unknown as Layer<tf.Tensor4D, tf.Tensor4D>);
    } else {
      this.conv1 = this.registerModule('conv1', new Conv2d({ inChannels: inChans, outChannels: inplanes, kernelSize: 7, stride: args.stemStride ?? 2, padding: 3 }));
    }
    this.bn1 = this.registerModule('bn1', new BatchNorm2d({ numFeatures: inplanes }));
    const stemStride = args.stemStride ?? 2;
    const stemPool = args.stemPool ?? true;
    this.maxpool = stemPool ? this.registerModule('maxpool', new MaxPool2d({ kernelSize: 3, stride: 2, padding: 1 })) : new Identity() as unknown as Layer<tf.Tensor4D, tf.Tensor4D>;
    this.featureInfo = [{ level: 'c1', name: 'act1', channels: inplanes, stride: stemStride }];

    // Stages, as timm's make_blocks: dilation replaces stride once outputStride is reached.
    const block = BLOCKS[args.block];
    const totalBlocks = args.layers.reduce((a, b) => a + b, 0);
    const dropPathRate = options.dropPathRate ?? 0;
    let netStride = stemStride * (stemPool ? 2 : 1);
    let dilation = 1;
    let prevDilation = 1;
    let blockIdx = 0;
    const channels = args.channels ?? [64, 128, 256, 512];
    args.layers.forEach((repeats, stageIdx) => {
      const planes = channels[stageIdx];
      let stride = stageIdx === 0 ? 1 : 2;
      if (netStride >= outputStride) {
        dilation *= stride;
        stride = 1;
      } else {
        netStride *= stride;
      }
      const outChannels = planes * block.expansion;
      let downsample: Sequential | undefined;
      if (stride !== 1 || inplanes !== outChannels) {
        if (args.avgDown) {
          const avgStride = dilation === 1 ? stride : 1;
          const pool = stride === 1 && dilation === 1
            ? new Identity()
            : avgStride === 1
              ? new AvgPool2d({ kernelSize: 2, stride: 1, padding: 'same', countIncludePad: false })
              : new AvgPool2d({ kernelSize: 2, stride: avgStride, ceilMode: true, countIncludePad: false });
          downsample = new Sequential([pool, new Conv2d({ inChannels: inplanes, outChannels, kernelSize: 1, padding: 0 }), new BatchNorm2d({ numFeatures: outChannels })]);
        } else {
          downsample = new Sequential([new Conv2d({ inChannels: inplanes, outChannels, kernelSize: 1, stride, padding: 0 }), new BatchNorm2d({ numFeatures: outChannels })]);
        }
      }
      // DropBlock on stages 3 and 4 (block size 3, the ResNeSt recipe).
      const dropBlock = stageIdx >= 2 && options.dropBlockRate !== undefined ? () => new DropBlock({ rate: options.dropBlockRate, blockSize: 3 }) : undefined;
      const stage = new Sequential();
      for (let i = 0; i < repeats; i++) {
        stage.append(block.create({
          inplanes,
          planes,
          stride: i === 0 ? stride : 1,
          downsample: i === 0 ? downsample : undefined,
          cardinality,
          baseWidth,
          dilation,
          firstDilation: prevDilation,
          se: args.se ?? false,
          dropBlock,
          dropPathRate: totalBlocks > 1 ? (dropPathRate * blockIdx) / (totalBlocks - 1) : 0,
          sk: args.sk,
          // is_first stays false, as in timm and the official ResNeSt code (which passes
          // is_first=False for layer1): a stride-1 block gets no avd pool.
          resnest: args.resnest ? { ...args.resnest, isFirst: false } : undefined,
          strideIn1x1,
        }));
        prevDilation = dilation;
        inplanes = outChannels;
        blockIdx++;
      }
      this.stages.push(this.registerModule(`layer${stageIdx + 1}`, stage));
      this.featureInfo.push({ level: featureLevel(stageIdx + 1), name: `layer${stageIdx + 1}`, channels: outChannels, stride: netStride });
    });
    this.numFeatures = inplanes;
    if ((options.dropRate ?? 0) > 0) this.dropout = this.registerModule('head_drop', new Dropout(options.dropRate!));
    if (this.numClasses > 0) this.fc = this.registerModule('fc', new Linear({ inFeatures: inplanes, outFeatures: this.numClasses }));

    if (options.zeroInitLastBn ?? args.zeroInitLast ?? true) {
      for (const b of this.blocks()) {
        const zeros = tf.zerosLike(b.lastBn().weight);
        b.lastBn().weight.assign(zeros);
        zeros.dispose();
      }
    }
    checkFreezeOptions(this, options, 'ResNet');
    applyFreezeOptions(this, options);
    if (options.gradCheckpointing) this.setGradCheckpointing(true);
  }

  blocks(): ResidualBlock[] {
    return this.stages.flatMap((s) => s.layers as ResidualBlock[]);
  }

  /** Freezes the stem and the first `n` stages (mmdetection frozen_stages; detectron2 freeze_at n+1). */
  freezeStages(n: number): void {
    if (n < 0) return;
    for (const m of [this.conv1, this.bn1, ...this.stages.slice(0, n)]) {
      m.freeze();
      freezeBatchNorm(m);
    }
  }

  override setDropBlockRate(p: number): void {
    for (const [, m] of this.namedModules()) if (m instanceof DropBlock) (m as DropBlock).rate = p;
  }

  /** The stem (conv1, bn1, act1) as one layer, for forwardFrozenUntaped. */
  private get stemLayer(): CheckpointableLayer<tf.Tensor4D, tf.Tensor4D> {
    return { forward: (x) => this.stem(x), trainableParameters: () => [...this.conv1.trainableParameters(), ...this.bn1.trainableParameters()] };
  }

  private stem(x: tf.Tensor4D): tf.Tensor4D {
    const stem = this.conv1 instanceof Sequential ? (this.conv1.layers as Layer<tf.Tensor4D, tf.Tensor4D>[]) : [this.conv1];
    return forwardFolded([...stem, this.bn1, STEM_RELU], x);
  }

  /** c1 is the stem before the max pool (timm's act1, stride 2), c2..c5 are layer1..layer4. */
  protected computeFeatures(x: tf.Tensor4D, indices: readonly number[]): tf.Tensor4D[] {
    const maps: tf.Tensor4D[] = [];
    // A frozen stem, max pool and frozen stages keep nothing on a gradient tape.
    let y = forwardFrozenUntaped(this.stemLayer, x);
    maps.push(y);
    const deepest = indices[indices.length - 1];
    if (deepest > 0) y = forwardFrozenUntaped(this.maxpool, y);
    for (let s = 0; s < deepest; s++) {
      y = forwardFrozenUntaped(this.stages[s], y as tf.Tensor4D) as tf.Tensor4D;
      maps.push(y);
    }
    return indices.map((i) => maps[i]);
  }

  /** Pooled features before the classifier: [N, numFeatures]. */
  forwardPooled(x: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => {
      let y = this.maxpool.forward(this.stem(x));
      for (const s of this.stages) y = s.forward(y) as tf.Tensor4D;
      return this.pool.forward(y);
    });
  }

  forward(x: tf.Tensor4D): tf.Tensor2D {
    if (!this.fc) throw this.noClassifierError();
    return tf.tidy(() => {
      let y = this.forwardPooled(x);
      if (this.dropout) y = this.dropout.forward(y) as tf.Tensor2D;
      return this.fc!.forward(y);
    });
  }
}

const D = { stemWidth: 32, stemType: 'deep', avgDown: true } as const;
const E = { stemWidth: 64, stemType: 'deep', avgDown: true } as const;
const R50: [number, number, number, number] = [3, 4, 6, 3];
const RESNEST = { radix: 2, avd: true, avdFirst: false };

/** Registered variants: timm's model_args, one line each. */
export const RESNET_VARIANTS: Record<string, { family: ModelFamily; args: ResNetArgs }> = {
  resnet18: { family: 'resnet', args: { block: 'basic', layers: [2, 2, 2, 2] } },
  resnet26: { family: 'resnet', args: { block: 'bottleneck', layers: [2, 2, 2, 2] } },
  resnet34: { family: 'resnet', args: { block: 'basic', layers: R50 } },
  resnet50: { family: 'resnet', args: { block: 'bottleneck', layers: R50 } },
  resnet101: { family: 'resnet', args: { block: 'bottleneck', layers: [3, 4, 23, 3] } },
  resnet152: { family: 'resnet', args: { block: 'bottleneck', layers: [3, 8, 36, 3] } },
  resnet18d: { family: 'resnet', args: { block: 'basic', layers: [2, 2, 2, 2], ...D } },
  resnet26d: { family: 'resnet', args: { block: 'bottleneck', layers: [2, 2, 2, 2], ...D } },
  resnet34d: { family: 'resnet', args: { block: 'basic', layers: R50, ...D } },
  resnet50d: { family: 'resnet', args: { block: 'bottleneck', layers: R50, ...D } },
  resnet101d: { family: 'resnet', args: { block: 'bottleneck', layers: [3, 4, 23, 3], ...D } },
  resnet152d: { family: 'resnet', args: { block: 'bottleneck', layers: [3, 8, 36, 3], ...D } },
  resnext50_32x4d: { family: 'resnext', args: { block: 'bottleneck', layers: R50, cardinality: 32, baseWidth: 4 } },
  resnext50d_32x4d: { family: 'resnext', args: { block: 'bottleneck', layers: R50, cardinality: 32, baseWidth: 4, ...D } },
  resnext101_32x4d: { family: 'resnext', args: { block: 'bottleneck', layers: [3, 4, 23, 3], cardinality: 32, baseWidth: 4 } },
  resnext101_32x8d: { family: 'resnext', args: { block: 'bottleneck', layers: [3, 4, 23, 3], cardinality: 32, baseWidth: 8 } },
  seresnet18: { family: 'seresnet', args: { block: 'basic', layers: [2, 2, 2, 2], se: true } },
  seresnet34: { family: 'seresnet', args: { block: 'basic', layers: R50, se: true } },
  seresnet50: { family: 'seresnet', args: { block: 'bottleneck', layers: R50, se: true } },
  seresnet101: { family: 'seresnet', args: { block: 'bottleneck', layers: [3, 4, 23, 3], se: true } },
  seresnet152: { family: 'seresnet', args: { block: 'bottleneck', layers: [3, 8, 36, 3], se: true } },
  seresnext26d_32x4d: { family: 'seresnet', args: { block: 'bottleneck', layers: [2, 2, 2, 2], cardinality: 32, baseWidth: 4, se: true, ...D } },
  seresnext50_32x4d: { family: 'seresnet', args: { block: 'bottleneck', layers: R50, cardinality: 32, baseWidth: 4, se: true } },
  seresnext101_32x4d: { family: 'seresnet', args: { block: 'bottleneck', layers: [3, 4, 23, 3], cardinality: 32, baseWidth: 4, se: true } },
  skresnet18: { family: 'skresnet', args: { block: 'skBasic', layers: [2, 2, 2, 2], sk: { rdRatio: 1 / 8, rdDivisor: 16, splitInput: true }, zeroInitLast: false } },
  skresnet34: { family: 'skresnet', args: { block: 'skBasic', layers: R50, sk: { rdRatio: 1 / 8, rdDivisor: 16, splitInput: true }, zeroInitLast: false } },
  skresnet50: { family: 'skresnet', args: { block: 'skBottleneck', layers: R50, sk: { splitInput: true }, zeroInitLast: false } },
  skresnet50d: { family: 'skresnet', args: { block: 'skBottleneck', layers: R50, sk: { splitInput: true }, zeroInitLast: false, ...D } },
  skresnext50_32x4d: { family: 'skresnet', args: { block: 'skBottleneck', layers: R50, cardinality: 32, baseWidth: 4, sk: { rdRatio: 1 / 16, rdDivisor: 32, splitInput: false }, zeroInitLast: false } },
  resnest14d: { family: 'resnest', args: { block: 'resnest', layers: [1, 1, 1, 1], ...D, resnest: RESNEST } },
  resnest26d: { family: 'resnest', args: { block: 'resnest', layers: [2, 2, 2, 2], ...D, resnest: RESNEST } },
  resnest50d: { family: 'resnest', args: { block: 'resnest', layers: R50, ...D, resnest: RESNEST } },
  resnest101e: { family: 'resnest', args: { block: 'resnest', layers: [3, 4, 23, 3], ...E, resnest: RESNEST } },
  resnest200e: { family: 'resnest', args: { block: 'resnest', layers: [3, 24, 36, 3], ...E, resnest: RESNEST } },
  resnest269e: { family: 'resnest', args: { block: 'resnest', layers: [3, 30, 48, 8], ...E, resnest: RESNEST } },
  resnest50d_4s2x40d: { family: 'resnest', args: { block: 'resnest', layers: R50, ...D, baseWidth: 40, cardinality: 2, resnest: { radix: 4, avd: true, avdFirst: true } } },
  resnest50d_1s4x24d: { family: 'resnest', args: { block: 'resnest', layers: R50, ...D, baseWidth: 24, cardinality: 4, resnest: { radix: 1, avd: true, avdFirst: true } } },
};

for (const [name, v] of Object.entries(RESNET_VARIANTS)) {
  const meta = TIMM_CFGS[name];
  if (!meta) throw new Error(`resnet.ts: no timm cfg for ${name} (regenerate timm-cfgs.ts)`);
  registerModel({ name, family: v.family, params: meta.params, defaultCfg: meta.cfg, create: (options) => new ResNet(v.args, options, meta.cfg) });
}
