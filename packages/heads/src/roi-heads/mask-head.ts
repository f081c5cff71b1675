import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, ConvTranspose2d, Module, ReLU, Sequential, type Layer } from '@tfvision/nn';

/**
 * torchvision's MaskRCNNHeads: four 3x3 convs + ReLU over the 14x14 pooled features (`{i}.0`;
 * v2: no bias, BatchNorm at `{i}.1`). Kaiming-normal fan-out init, bias 0, as torchvision.
 */
export class MaskRcnnHeads extends Module {
  readonly blocks: Sequential[];
  readonly outChannels: number;

  constructor(o: { inChannels: number; layers?: number[]; norm?: 'none' | 'bn' }) {
    super();
    const layers = o.layers ?? [256, 256, 256, 256];
    const norm = o.norm ?? 'none';
    let c = o.inChannels;
    this.blocks = layers.map((out, i) => {
      const parts: Layer[] = [new Conv2d({ inChannels: c, outChannels: out, kernelSize: 3, bias: norm === 'none' })];
      if (norm === 'bn') parts.push(new BatchNorm2d({ numFeatures: out }));
      parts.push(new ReLU());
      c = out;
      return this.registerModule(String(i), new Sequential(parts));
    });
    this.outChannels = c;
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => {
      let y = x;
      for (const b of this.blocks) y = b.forward(y) as tf.Tensor4D;
      return y;
    });
  }
}

/** torchvision's MaskRCNNPredictor: ConvTranspose 2x2 stride 2 + ReLU (`conv5_mask`), 1x1 to one logit map per class (`mask_fcn_logits`): [K, 2h, 2w, numClasses]. */
export class MaskRcnnPredictor extends Module {
  readonly conv5Mask: ConvTranspose2d;
  readonly maskFcnLogits: Conv2d;

  constructor(o: { inChannels: number; dimReduced?: number; numClasses: number }) {
    super();
    const dim = o.dimReduced ?? 256;
    this.conv5Mask = this.registerModule('conv5_mask', new ConvTranspose2d({ inChannels: o.inChannels, outChannels: dim, kernelSize: 2, stride: 2 }));
    this.maskFcnLogits = this.registerModule('mask_fcn_logits', new Conv2d({ inChannels: dim, outChannels: o.numClasses, kernelSize: 1, bias: true }));
  }

  forward(x: tf.Tensor4D): tf.Tensor4D {
    return tf.tidy(() => this.maskFcnLogits.forward(tf.relu(this.conv5Mask.forward(x))));
  }
}
