/**
 * timm names → torchvision names, the inverse of the torchvision importer in
 * @tfvision/backbones (checkpointRenamer), so `model export --layout torchvision` writes a file
 * that torchvision's `load_state_dict` takes. torchvision's ResNet and ResNeXt already use
 * timm's names; its EfficientNet nests stages as features.1..S, blocks as `block.N`
 * sub-layers, with features.0 the stem, features.S+1 the head and classifier.1 the Linear.
 */

/** Models torchvision builds with the same architecture (tf_ EfficientNets pad as TF does). */
export const TORCHVISION_MODELS: readonly string[] = [
  'resnet18', 'resnet34', 'resnet50', 'resnet101', 'resnet152', 'resnext50_32x4d', 'resnext101_32x8d',
  ...Array.from({ length: 8 }, (_, i) => `efficientnet_b${i}`),
];

const STAGE0_SUBLAYER: Record<string, string> = { conv_dw: '0.0', bn1: '0.1', conv_pw: '2.0', bn2: '2.1' };
const MBCONV_SUBLAYER: Record<string, string> = { conv_pw: '0.0', bn1: '0.1', conv_dw: '1.0', bn2: '1.1', conv_pwl: '3.0', bn3: '3.1' };

/** Maps one timm EfficientNet key to torchvision's; `stages` is the number of block stages (7). */
export function torchvisionEfficientNetKey(key: string, stages: number): string {
  let m = /^(conv_stem|bn1)\.(.+)$/.exec(key);
  if (m) return `features.0.${m[1] === 'conv_stem' ? 0 : 1}.${m[2]}`;
  m = /^(conv_head|bn2)\.(.+)$/.exec(key);
  if (m) return `features.${stages + 1}.${m[1] === 'conv_head' ? 0 : 1}.${m[2]}`;
  m = /^classifier\.(.+)$/.exec(key);
  if (m) return `classifier.1.${m[1]}`;
  m = /^blocks\.(\d+)\.(\d+)\.(.+)$/.exec(key);
  if (!m) throw new Error(`torchvision names: no torchvision name for EfficientNet key "${key}"`);
  const stage = Number(m[1]);
  const head = `features.${stage + 1}.${m[2]}.block`;
  const se = /^se\.conv_(reduce|expand)\.(.+)$/.exec(m[3]);
  if (se) return `${head}.${stage === 0 ? 1 : 2}.${se[1] === 'reduce' ? 'fc1' : 'fc2'}.${se[2]}`;
  const layer = /^([a-z_0-9]+)\.(.+)$/.exec(m[3]);
  const sub = layer ? (stage === 0 ? STAGE0_SUBLAYER : MBCONV_SUBLAYER)[layer[1]] : undefined;
  if (!layer || sub === undefined) throw new Error(`torchvision names: no torchvision name for EfficientNet key "${key}"`);
  return `${head}.${sub}.${layer[2]}`;
}

/** Renames a timm-named state dict of `modelName` to torchvision's names (identity for ResNets). */
export function toTorchvisionNames<T>(modelName: string, tensors: Map<string, T>): Map<string, T> {
  if (!modelName.startsWith('efficientnet_')) return tensors;
  const stages = 1 + Math.max(...[...tensors.keys()].map((k) => /^blocks\.(\d+)\./.exec(k)).filter((m): m is RegExpExecArray => m !== null).map((m) => Number(m[1])));
  return new Map([...tensors].map(([k, t]) => [torchvisionEfficientNetKey(k, stages), t]));
}
