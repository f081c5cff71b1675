import * as tf from '@tensorflow/tfjs-core';
import { AvgPool2d, BatchNorm2d, Conv2d, DropBlock, DropPath, Identity, Layer, SelectiveKernel, ConvNormAct, Sequential, SplitAttn, SqueezeExcite, convBn, forwardFolded } from '@tfvision/nn';

type L4 = Layer<tf.Tensor4D, tf.Tensor4D>;

/** Everything a ResNet stage passes to each of its blocks (timm's make_blocks kwargs). */
export interface BlockArgs {
  inplanes: number;
  planes: number;
  stride: number;
  downsample?: Sequential;
  cardinality: number;
  baseWidth: number;
  dilation: number;
  firstDilation: number;
  /** Squeeze-excitation on the block output ('se' in timm). */
  se: boolean;
  /** DropBlock for this stage (stages 3 and 4), or undefined. */
  dropBlock?: () => DropBlock;
  dropPathRate: number;
  sk?: { rdRatio?: number; rdDivisor?: number; splitInput?: boolean };
  resnest?: { radix: number; avd: boolean; avdFirst: boolean; isFirst: boolean };
  /** Bottleneck only: the stride on conv1 (1x1) instead of conv2 (3x3), detectron2's STRIDE_IN_1X1. */
  strideIn1x1?: boolean;
}

export interface BlockType {
  expansion: number;
  create(a: BlockArgs): ResidualBlock;
}

/** A residual block: branch(x) + shortcut(x), then ReLU; knows its last BN for zero-init. */
export abstract class ResidualBlock extends Layer<tf.Tensor4D, tf.Tensor4D> {
  downsample?: Sequential;
  dropPath?: DropPath;
  abstract lastBn(): BatchNorm2d;
  protected abstract branch(x: tf.Tensor4D): tf.Tensor4D;

  protected initCommon(a: BlockArgs): void {
    if (a.downsample) this.downsample = this.registerModule('downsample', a.downsample);
    // Registered so train()/eval() reach it (stochastic depth is off at inference).
    if (a.dropPathRate > 0) this.dropPath = this.registerModule('drop_path', new DropPath(a.dropPathRate));
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      let y = this.branch(x);
      if (this.dropPath) y = this.dropPath.forward(y) as tf.Tensor4D;
      const shortcut = this.downsample ? forwardFolded(this.downsample.layers, x) : x;
      return tf.relu(tf.add(y, shortcut)) as tf.Tensor4D;
    });
  }

  /** DropBlock layers inside this block (their rate is set from the model). */
  dropBlocks(): DropBlock[] {
    return this.namedModules().map(([, m]) => m).filter((m): m is DropBlock => m instanceof DropBlock);
  }
}

function conv(inChannels: number, outChannels: number, kernelSize: number, o: { stride?: number; dilation?: number; groups?: number; padding?: number } = {}): Conv2d {
  return new Conv2d({ inChannels, outChannels, kernelSize, stride: o.stride, dilation: o.dilation, groups: o.groups, padding: o.padding ?? Math.floor(((o.dilation ?? 1) * (kernelSize - 1)) / 2) });
}

function maybe(drop: (() => DropBlock) | undefined): L4 {
  return drop ? drop() : (new Identity() as L4);
}

/** timm BasicBlock (+ optional SE): conv3x3-bn-(dropblock)-relu-conv3x3-bn-(se). */
export class BasicBlock extends ResidualBlock {
  static readonly expansion = 1;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly dropBlock: L4;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly se?: SqueezeExcite;

  constructor(a: BlockArgs) {
    super();
    if (a.cardinality !== 1 || a.baseWidth !== 64) throw new Error('BasicBlock supports only cardinality 1 and base width 64');
    const out = a.planes;
    this.conv1 = this.registerModule('conv1', conv(a.inplanes, a.planes, 3, { stride: a.stride, dilation: a.firstDilation }));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d({ numFeatures: a.planes }));
    this.dropBlock = a.dropBlock ? this.registerModule('drop_block', a.dropBlock()) : (new Identity() as L4);
    this.conv2 = this.registerModule('conv2', conv(a.planes, out, 3, { dilation: a.dilation }));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d({ numFeatures: out }));
    if (a.se) this.se = this.registerModule('se', new SqueezeExcite({ channels: out }));
    this.initCommon(a);
  }

  lastBn(): BatchNorm2d {
    return this.bn2;
  }

  protected branch(x: tf.Tensor4D): tf.Tensor4D {
    let y = convBn(this.conv1, this.bn1, x, 'relu', this.dropBlock);
    y = convBn(this.conv2, this.bn2, y);
    return this.se ? this.se.forward(y) : y;
  }
}

/**
 * timm Bottleneck (ResNet/ResNeXt/SE-ResNeXt): 1x1 → grouped 3x3 (stride) → 1x1, ×4. With
 * strideIn1x1 the stride moves to the first 1x1, as in detectron2's BottleneckBlock
 * (stride_1x1, stride_3x3 = (stride, 1)) and the original MSRA/Caffe ResNet.
 */
export class Bottleneck extends ResidualBlock {
  static readonly expansion = 4;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly dropBlock: L4;
  readonly conv3: Conv2d;
  readonly bn3: BatchNorm2d;
  readonly se?: SqueezeExcite;

  constructor(a: BlockArgs) {
    super();
    const width = Math.floor(a.planes * (a.baseWidth / 64)) * a.cardinality;
    const out = a.planes * 4;
    const [stride1x1, stride3x3] = a.strideIn1x1 ? [a.stride, 1] : [1, a.stride];
    this.conv1 = this.registerModule('conv1', conv(a.inplanes, width, 1, { stride: stride1x1 }));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d({ numFeatures: width }));
    this.conv2 = this.registerModule('conv2', conv(width, width, 3, { stride: stride3x3, dilation: a.firstDilation, groups: a.cardinality }));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d({ numFeatures: width }));
    this.dropBlock = a.dropBlock ? this.registerModule('drop_block', a.dropBlock()) : (new Identity() as L4);
    this.conv3 = this.registerModule('conv3', conv(width, out, 1));
    this.bn3 = this.registerModule('bn3', new BatchNorm2d({ numFeatures: out }));
    if (a.se) this.se = this.registerModule('se', new SqueezeExcite({ channels: out }));
    this.initCommon(a);
  }

  lastBn(): BatchNorm2d {
    return this.bn3;
  }

  protected branch(x: tf.Tensor4D): tf.Tensor4D {
    let y = convBn(this.conv1, this.bn1, x, 'relu');
    y = convBn(this.conv2, this.bn2, y, 'relu', this.dropBlock);
    y = convBn(this.conv3, this.bn3, y);
    return this.se ? this.se.forward(y) : y;
  }
}

/**
 * timm ResNestBottleneck: 1x1 → split-attention 3x3 (radix, cardinality) → 1x1, with the
 * stride moved to a 3x3 average pool (avd) before or after the split-attention conv. With
 * DropBlock (official ResNeSt placement): after bn1, inside split attention after bn0, after bn3.
 */
export class ResNestBottleneck extends ResidualBlock {
  static readonly expansion = 4;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly dropBlock1: L4;
  readonly avdFirst?: AvgPool2d;
  readonly conv2: SplitAttn | Conv2d;
  readonly bn2?: BatchNorm2d;
  readonly avdLast?: AvgPool2d;
  readonly conv3: Conv2d;
  readonly bn3: BatchNorm2d;
  readonly dropBlock3: L4;

  constructor(a: BlockArgs) {
    super();
    const r = a.resnest!;
    const groupWidth = Math.floor(a.planes * (a.baseWidth / 64)) * a.cardinality;
    let stride = a.stride;
    let avdStride = 0;
    if (r.avd && (stride > 1 || r.isFirst)) {
      avdStride = stride;
      stride = 1;
    }
    this.conv1 = this.registerModule('conv1', conv(a.inplanes, groupWidth, 1));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d({ numFeatures: groupWidth }));
    this.dropBlock1 = maybe(a.dropBlock);
    if (avdStride > 0 && r.avdFirst) this.avdFirst = this.registerModule('avd_first', new AvgPool2d({ kernelSize: 3, stride: avdStride, padding: 1 }));
    if (r.radix >= 1) {
      this.conv2 = this.registerModule('conv2', new SplitAttn({ inChannels: groupWidth, outChannels: groupWidth, kernelSize: 3, stride, padding: a.firstDilation, dilation: a.firstDilation, groups: a.cardinality, radix: r.radix, drop: a.dropBlock?.() }));
    } else {
      this.conv2 = this.registerModule('conv2', conv(groupWidth, groupWidth, 3, { stride, dilation: a.firstDilation, groups: a.cardinality }));
      this.bn2 = this.registerModule('bn2', new BatchNorm2d({ numFeatures: groupWidth }));
    }
    if (avdStride > 0 && !r.avdFirst) this.avdLast = this.registerModule('avd_last', new AvgPool2d({ kernelSize: 3, stride: avdStride, padding: 1 }));
    this.conv3 = this.registerModule('conv3', conv(groupWidth, a.planes * 4, 1));
    this.bn3 = this.registerModule('bn3', new BatchNorm2d({ numFeatures: a.planes * 4 }));
    this.dropBlock3 = maybe(a.dropBlock);
    // Registered after the weights so parameter order stays timm's.
    if (!(this.dropBlock1 instanceof Identity)) this.registerModule('drop_block1', this.dropBlock1);
    if (!(this.dropBlock3 instanceof Identity)) this.registerModule('drop_block3', this.dropBlock3);
    this.initCommon(a);
  }

  lastBn(): BatchNorm2d {
    return this.bn3;
  }

  protected branch(x: tf.Tensor4D): tf.Tensor4D {
    let y = convBn(this.conv1, this.bn1, x, 'relu', this.dropBlock1);
    if (this.avdFirst) y = this.avdFirst.forward(y);
    y = this.conv2.forward(y);
    if (this.bn2) y = tf.relu(this.bn2.forward(y)) as tf.Tensor4D;
    if (this.avdLast) y = this.avdLast.forward(y);
    return convBn(this.conv3, this.bn3, y, 'linear', this.dropBlock3);
  }
}

/** timm SelectiveKernelBasic: SK conv (stride) → conv-bn, + optional SE. */
export class SelectiveKernelBasic extends ResidualBlock {
  static readonly expansion = 1;
  readonly conv1: SelectiveKernel;
  readonly conv2: ConvNormAct;

  constructor(a: BlockArgs) {
    super();
    if (a.cardinality !== 1 || a.baseWidth !== 64) throw new Error('SelectiveKernelBasic supports only cardinality 1 and base width 64');
    this.conv1 = this.registerModule('conv1', new SelectiveKernel({ inChannels: a.inplanes, outChannels: a.planes, stride: a.stride, dilation: a.firstDilation, ...a.sk, drop: a.dropBlock }));
    this.conv2 = this.registerModule('conv2', new ConvNormAct({ inChannels: a.planes, outChannels: a.planes, kernelSize: 3, dilation: a.dilation, act: false }));
    this.initCommon(a);
  }

  lastBn(): BatchNorm2d {
    return this.conv2.bn;
  }

  protected branch(x: tf.Tensor4D): tf.Tensor4D {
    return this.conv2.forward(this.conv1.forward(x));
  }
}

/** timm SelectiveKernelBottleneck: 1x1 conv-bn-relu → SK conv (groups, stride) → 1x1 conv-bn. */
export class SelectiveKernelBottleneck extends ResidualBlock {
  static readonly expansion = 4;
  readonly conv1: ConvNormAct;
  readonly conv2: SelectiveKernel;
  readonly conv3: ConvNormAct;

  constructor(a: BlockArgs) {
    super();
    const width = Math.floor(a.planes * (a.baseWidth / 64)) * a.cardinality;
    this.conv1 = this.registerModule('conv1', new ConvNormAct({ inChannels: a.inplanes, outChannels: width, kernelSize: 1 }));
    this.conv2 = this.registerModule('conv2', new SelectiveKernel({ inChannels: width, outChannels: width, stride: a.stride, dilation: a.firstDilation, groups: a.cardinality, ...a.sk, drop: a.dropBlock }));
    this.conv3 = this.registerModule('conv3', new ConvNormAct({ inChannels: width, outChannels: a.planes * 4, kernelSize: 1, act: false }));
    this.initCommon(a);
  }

  lastBn(): BatchNorm2d {
    return this.conv3.bn;
  }

  protected branch(x: tf.Tensor4D): tf.Tensor4D {
    return this.conv3.forward(this.conv2.forward(this.conv1.forward(x)));
  }
}

export const BLOCKS = {
  basic: { expansion: 1, create: (a: BlockArgs) => new BasicBlock(a) },
  bottleneck: { expansion: 4, create: (a: BlockArgs) => new Bottleneck(a) },
  resnest: { expansion: 4, create: (a: BlockArgs) => new ResNestBottleneck(a) },
  skBasic: { expansion: 1, create: (a: BlockArgs) => new SelectiveKernelBasic(a) },
  skBottleneck: { expansion: 4, create: (a: BlockArgs) => new SelectiveKernelBottleneck(a) },
} satisfies Record<string, BlockType>;
export type BlockName = keyof typeof BLOCKS;
