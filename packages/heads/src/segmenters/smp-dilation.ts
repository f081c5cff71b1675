/**
 * segmentation_models.pytorch's encoder dilation rule (encoders/_utils.py
 * `replace_strides_with_dilation`, applied by `EncoderMixin.make_dilated`): every Conv2d of a
 * dilated stage gets stride 1, dilation `rate` and padding (k // 2)·rate, the stage's first block
 * included. torchvision and timm instead keep the previous dilation in a dilated stage's first
 * block (layer4's first 3x3 at dilation 1 for output stride 16), so a zoo backbone built with
 * `outputStride` is re-dilated here the way smp patches torchvision's ResNet. The zoo has no
 * option for this rule, so the stage's convolutions are patched in place, as smp does.
 */
import { Conv2d, type Module } from '@tfvision/nn';

/** smp's `make_dilated`: the stages dilated for an output stride and their rates. */
export function smpDilatedStages(outputStride: 8 | 16): { stage: 'layer3' | 'layer4'; rate: number }[] {
  return outputStride === 16 ? [{ stage: 'layer4', rate: 2 }] : [{ stage: 'layer3', rate: 2 }, { stage: 'layer4', rate: 4 }];
}

/** Sets stride 1, dilation `rate` and padding (k // 2)·rate on every Conv2d under `stage`. */
export function replaceStridesWithDilation(stage: Module, rate: number): void {
  if (!(Number.isInteger(rate) && rate >= 1)) throw new Error(`replaceStridesWithDilation: rate must be a positive integer, got ${rate}`);
  for (const [, m] of stage.namedModules()) {
    if (!(m instanceof Conv2d)) continue;
    const [kh, kw] = m.kernelSize;
    // Conv2d reads these at every forward; its fields are readonly only to callers that build it.
    Object.assign(m, { stride: [1, 1], dilation: [rate, rate], padding: [Math.floor(kh / 2) * rate, Math.floor(kw / 2) * rate] });
    m.releaseInferenceCache();
  }
}
