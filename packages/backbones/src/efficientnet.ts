/**
 * EfficientNet B0-B7 (Tan & Le, 2019) as timm builds them, with timm's parameter names so its
 * checkpoints load unchanged: `efficientnet_bN` (PyTorch symmetric padding, BN eps 1e-5) and
 * `tf_efficientnet_bN` (TensorFlow 'same' padding, BN eps 1e-3, for the ported TF weights).
 */
import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, Dropout, GlobalAvgPool, Linear, Sequential, activationFn, convBn, forwardFrozenUntaped, freezeBatchNorm, mobileConvPadding, uniform, type ActivationName, type MobilePadding } from '@tfvision/nn';
import type { CheckpointableLayer } from '@tfvision/nn';
import { Backbone, checkOptionKeys, type BackboneOptions, type FeatureInfo, type PretrainedCfg } from './backbone.js';
import { applyFreezeOptions, checkFreezeOptions } from './freeze-policy.js';
import { EFFICIENTNET_B0_ARCH, scaleArch, type EfficientNetScale } from './efficientnet-arch.js';
import { buildStages, type MobileBlock } from './efficientnet-builder.js';
import { registerModel } from './registry.js';
import { TIMM_CFGS } from './timm-cfgs.js';

/** The arguments that define a variant (timm's `_gen_efficientnet` kwargs). */
export interface EfficientNetArgs extends EfficientNetScale {
  padding: MobilePadding;
  bnEps: number;
  /** PyTorch convention (timm keeps 0.1 for the tf_ variants too; only eps changes). */
  bnMomentum: number;
  /** Block table; default EfficientNet-B0's. */
  arch?: readonly string[];
  act?: ActivationName;
}

export class EfficientNet extends Backbone {
  readonly featureInfo: FeatureInfo[];
  readonly pretrainedCfg: PretrainedCfg;
  readonly numClasses: number;
  readonly convStem: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly blocks: Sequential;
  readonly stages: Sequential[];
  /** Absent with featuresOnly. */
  readonly convHead?: Conv2d;
  readonly bn2?: BatchNorm2d;
  readonly classifier?: Linear;
  /** Width of the pooled features (the head conv's output). */
  readonly numFeatures: number;
  private readonly featureStage: number[];
  private readonly act: (x: tf.Tensor) => tf.Tensor;
  private readonly dropout?: Dropout;
  private readonly pool = new GlobalAvgPool();

  constructor(args: EfficientNetArgs, options: BackboneOptions, cfg: PretrainedCfg) {
    super();
    checkOptionKeys('EfficientNet', options);
    if (options.strideIn1x1) throw new Error(`EfficientNet: strideIn1x1 applies to ResNet bottleneck blocks only, got ${String(options.strideIn1x1)}`);
    const inChans = options.inChans ?? 3;
    const outputStride = options.outputStride ?? 32;
    if (![8, 16, 32].includes(outputStride)) throw new Error(`EfficientNet: outputStride must be 8, 16 or 32, got ${outputStride}`);
    const dropRate = options.dropRate ?? 0;
    if (!(dropRate >= 0 && dropRate < 1)) throw new Error(`EfficientNet: dropRate must be in [0, 1), got ${dropRate}`);
    const dropPathRate = options.dropPathRate ?? 0;
    if (!(dropPathRate >= 0 && dropPathRate < 1)) throw new Error(`EfficientNet: dropPathRate must be in [0, 1), got ${dropPathRate}`);
    this.pretrainedCfg = cfg;
    const featuresOnly = options.featuresOnly ?? false;
    if (featuresOnly && (options.numClasses ?? 0) !== 0) throw new Error(`EfficientNet: featuresOnly has no classifier, but numClasses is ${options.numClasses}`);
    this.numClasses = featuresOnly ? 0 : (options.numClasses ?? 1000);
    if (!(Number.isInteger(this.numClasses) && this.numClasses >= 0)) throw new Error(`EfficientNet: numClasses must be a non-negative integer, got ${this.numClasses}`);
    const act = args.act ?? 'silu';
    this.act = activationFn(act);
    const bn = (channels: number) => new BatchNorm2d({ numFeatures: channels, eps: args.bnEps, momentum: args.bnMomentum });

    const arch = scaleArch(args.arch ?? EFFICIENTNET_B0_ARCH, args);
    this.convStem = this.registerModule('conv_stem', new Conv2d({ inChannels: inChans, outChannels: arch.stemChannels, kernelSize: 3, stride: 2, padding: mobileConvPadding(args.padding, 3, 2, 1) }));
    this.bn1 = this.registerModule('bn1', bn(arch.stemChannels));
    const built = buildStages(arch.stages, {
      inChannels: arch.stemChannels,
      stemStride: 2,
      outputStride,
      padding: args.padding,
      bnEps: args.bnEps,
      bnMomentum: args.bnMomentum,
      act,
      dropPathRate,
    });
    this.stages = built.stages;
    this.blocks = this.registerModule('blocks', new Sequential(built.stages));
    this.featureInfo = built.featureInfo;
    this.featureStage = built.featureStage;
    this.numFeatures = arch.headChannels;
    if (!featuresOnly) {
      this.convHead = this.registerModule('conv_head', new Conv2d({ inChannels: built.outChannels, outChannels: arch.headChannels, kernelSize: 1, padding: 0 }));
      this.bn2 = this.registerModule('bn2', bn(arch.headChannels));
    }
    if (dropRate > 0) this.dropout = this.registerModule('dropout', new Dropout(dropRate));
    if (this.numClasses > 0) {
      this.classifier = this.registerModule('classifier', new Linear({ inFeatures: arch.headChannels, outFeatures: this.numClasses }));
      // timm's EfficientNet init: uniform(±1/sqrt(out)) weights, zero bias; drawn through nn's
      // uniform so setInitSeed covers it like every other initialiser.
      const range = 1 / Math.sqrt(this.numClasses);
      tf.tidy(() => {
        this.classifier!.weight.assign(uniform(this.classifier!.weight.shape, -range, range));
        this.classifier!.bias!.assign(tf.zerosLike(this.classifier!.bias!));
      });
    }

    // timm initialises EfficientNet BN gammas to 1; zero-init of the residual branch is opt-in.
    if (options.zeroInitLastBn) {
      for (const b of this.blockList()) {
        if (!b.hasSkip) continue;
        const zeros = tf.zerosLike(b.lastBn().weight);
        b.lastBn().weight.assign(zeros);
        zeros.dispose();
      }
    }
    checkFreezeOptions(this, options, 'EfficientNet');
    applyFreezeOptions(this, options);
    if (options.gradCheckpointing) this.setGradCheckpointing(true);
  }

  /** Every block in order (`blocks.<stage>.<index>`). */
  blockList(): MobileBlock[] {
    return this.stages.flatMap((s) => s.layers as MobileBlock[]);
  }

  /**
   * Freezes the stem and the first `n` block stages (timm's stage numbering: stem 0, then
   * `blocks.0`..`blocks.6` are stages 1..7), parameters and BN statistics. -1 freezes nothing.
   */
  freezeStages(n: number): void {
    if (n < 0) return;
    for (const m of [this.convStem, this.bn1, ...this.stages.slice(0, n)]) {
      m.freeze();
      freezeBatchNorm(m);
    }
  }

  /**
   * EfficientNet has no DropBlock (neither the paper nor timm use it): its regularisers are
   * drop-connect on the residual branches (dropPathRate) and dropout before the classifier,
   * so the trainer's DropBlock schedule has nothing to set here.
   */
  override setDropBlockRate(_p: number): void {
    // Intentionally nothing to do; see above.
  }

  /** The stem (conv_stem, bn1, act) as one layer, for forwardFrozenUntaped. */
  private get stemLayer(): CheckpointableLayer<tf.Tensor4D, tf.Tensor4D> {
    return { forward: (x) => this.stem(x), trainableParameters: () => [...this.convStem.trainableParameters(), ...this.bn1.trainableParameters()] };
  }

  private stem(x: tf.Tensor4D): tf.Tensor4D {
    return this.act(convBn(this.convStem, this.bn1, x)) as tf.Tensor4D;
  }

  /** Each level is the output of the last block stage before a downsampling one (timm's feature_info). */
  protected computeFeatures(x: tf.Tensor4D, indices: readonly number[]): tf.Tensor4D[] {
    const wanted = new Set(indices.map((i) => this.featureStage[i]));
    const lastStage = this.featureStage[indices[indices.length - 1]];
    const byStage = new Map<number, tf.Tensor4D>();
    // A frozen stem and frozen stages keep nothing on a gradient tape.
    let y = forwardFrozenUntaped(this.stemLayer, x);
    for (let s = 0; s <= lastStage; s++) {
      y = forwardFrozenUntaped(this.stages[s], y as tf.Tensor4D) as tf.Tensor4D;
      if (wanted.has(s)) byStage.set(s, y);
    }
    return indices.map((i) => byStage.get(this.featureStage[i])!);
  }

  /** Stem, blocks, head conv: timm's forward_features, [N, H/32, W/32, numFeatures]. */
  forwardHead(x: tf.Tensor4D): tf.Tensor4D {
    const convHead = this.convHead;
    const bn2 = this.bn2;
    if (!convHead || !bn2) throw new Error('EfficientNet.forwardHead: built with featuresOnly, so it has no head conv; use forwardFeatures(x, levels)');
    return tf.tidy(() => {
      const y = this.blocks.forward(this.stem(x)) as tf.Tensor4D;
      return this.act(convBn(convHead, bn2, y)) as tf.Tensor4D;
    });
  }

  /** Pooled features before the classifier: [N, numFeatures]. */
  forwardPooled(x: tf.Tensor4D): tf.Tensor2D {
    return tf.tidy(() => this.pool.forward(this.forwardHead(x)));
  }

  forward(x: tf.Tensor4D): tf.Tensor2D {
    if (!this.classifier) throw this.noClassifierError();
    return tf.tidy(() => {
      let y = this.forwardPooled(x);
      if (this.dropout) y = this.dropout.forward(y) as tf.Tensor2D;
      return this.classifier!.forward(y);
    });
  }
}

const PYTORCH_STYLE = { padding: 'pytorch', bnEps: 1e-5, bnMomentum: 0.1 } as const;
const TF_STYLE = { padding: 'same', bnEps: 1e-3, bnMomentum: 0.1 } as const;

/** Width and depth multipliers per variant (timm's registrations, the paper's table). */
const SCALES: Record<string, EfficientNetScale> = {
  b0: { channelMultiplier: 1.0, depthMultiplier: 1.0 },
  b1: { channelMultiplier: 1.0, depthMultiplier: 1.1 },
  b2: { channelMultiplier: 1.1, depthMultiplier: 1.2 },
  b3: { channelMultiplier: 1.2, depthMultiplier: 1.4 },
  b4: { channelMultiplier: 1.4, depthMultiplier: 1.8 },
  b5: { channelMultiplier: 1.6, depthMultiplier: 2.2 },
  b6: { channelMultiplier: 1.8, depthMultiplier: 2.6 },
  b7: { channelMultiplier: 2.0, depthMultiplier: 3.1 },
};

/**
 * Dropout before the classifier used to train each variant (the paper; timm's notes). Not a
 * default: timm builds every variant with drop_rate 0 unless asked, and so do we; pass it as
 * `dropRate` when training from scratch.
 */
export const EFFICIENTNET_TRAIN_DROP_RATE: Record<string, number> = { b0: 0.2, b1: 0.2, b2: 0.3, b3: 0.3, b4: 0.4, b5: 0.4, b6: 0.5, b7: 0.5 };

/** Registered variants: `efficientnet_bN` and `tf_efficientnet_bN`. */
export const EFFICIENTNET_VARIANTS: Record<string, EfficientNetArgs> = Object.fromEntries(
  Object.entries(SCALES).flatMap(([b, scale]) => [
    [`efficientnet_${b}`, { ...scale, ...PYTORCH_STYLE }],
    [`tf_efficientnet_${b}`, { ...scale, ...TF_STYLE }],
  ]),
);

for (const [name, args] of Object.entries(EFFICIENTNET_VARIANTS)) {
  const meta = TIMM_CFGS[name];
  if (!meta) throw new Error(`efficientnet.ts: no timm cfg for ${name} (regenerate timm-cfgs.ts)`);
  registerModel({ name, family: 'efficientnet', params: meta.params, defaultCfg: meta.cfg, create: (options) => new EfficientNet(args, options, meta.cfg) });
}
