/**
 * detectron2 checkpoint layout <-> CascadeRcnn's module names, in one place (as the backbones'
 * timm and torchvision adapters): detectron2's names are
 * - `backbone.bottom_up.*`: for `resnet50` detectron2's ResNet (`stem.conv1(.norm)`,
 *   `res{2..5}.{b}.conv{1..3}(.norm)`, `.shortcut(.norm)`), otherwise the backbone's own (timm) names;
 * - `backbone.fpn_lateral{2..5}`, `backbone.fpn_output{2..5}`;
 * - `proposal_generator.rpn_head.{conv, objectness_logits, anchor_deltas}`;
 * - `roi_heads.box_head.{k}.fc{1,2}`, `roi_heads.box_predictor.{k}.{cls_score, bbox_pred}`;
 * - `roi_heads.mask_head.{mask_fcn1..4, deconv, predictor}`.
 * FrozenBatchNorm2d has no num_batches_tracked, so ours is dropped on export and kept on load.
 * Loading lists missing and unexpected keys by detectron2's names; a strict load throws one
 * error naming them and assigns nothing.
 */
import { loadStateDict, stateDictToTensorMap, type HostTensor, type LoadStateDictResult, type TensorMap } from '@tfvision/nn';
import type { CascadeRcnn } from './cascade-rcnn.js';

/** detectron2's ResNet names for a torchvision/timm ResNet state-dict name (below the body). */
function resnetToDetectron2(name: string): string {
  let m = /^conv1\.(.+)$/.exec(name);
  if (m) return `stem.conv1.${m[1]}`;
  m = /^bn1\.(.+)$/.exec(name);
  if (m) return `stem.conv1.norm.${m[1]}`;
  m = /^layer(\d)\.(\d+)\.(.+)$/.exec(name);
  if (!m) return name;
  const stage = `res${Number(m[1]) + 1}.${m[2]}`;
  const rest = m[3];
  let r = /^conv(\d)\.(.+)$/.exec(rest);
  if (r) return `${stage}.conv${r[1]}.${r[2]}`;
  r = /^bn(\d)\.(.+)$/.exec(rest);
  if (r) return `${stage}.conv${r[1]}.norm.${r[2]}`;
  r = /^downsample\.0\.(.+)$/.exec(rest);
  if (r) return `${stage}.shortcut.${r[1]}`;
  r = /^downsample\.1\.(.+)$/.exec(rest);
  if (r) return `${stage}.shortcut.norm.${r[1]}`;
  return `${stage}.${rest}`;
}

/** The detectron2 name of one of our state-dict names (`backbone` is the model's backbone, `inFeatures` its FPN inputs). */
export function detectron2NameOf(ourName: string, backbone: string, inFeatures: readonly string[]): string {
  let m = /^backbone\.body\.(.+)$/.exec(ourName);
  if (m) return `backbone.bottom_up.${backbone === 'resnet50' ? resnetToDetectron2(m[1]) : m[1]}`;
  m = /^backbone\.fpn\.(inner|layer)_blocks\.(\d+)\.0\.(.+)$/.exec(ourName);
  if (m) {
    const level = /^c(\d+)$/.exec(inFeatures[Number(m[2])] ?? '')?.[1] ?? m[2];
    return `backbone.fpn_${m[1] === 'inner' ? 'lateral' : 'output'}${level}.${m[3]}`;
  }
  m = /^proposal_generator\.rpn_head\.(conv\.0\.0|cls_logits|bbox_pred)\.(.+)$/.exec(ourName);
  if (m) return `proposal_generator.rpn_head.${{ 'conv.0.0': 'conv', cls_logits: 'objectness_logits', bbox_pred: 'anchor_deltas' }[m[1]]}.${m[2]}`;
  m = /^roi_heads\.box_head\.(\d+)\.fc([67])\.(.+)$/.exec(ourName);
  if (m) return `roi_heads.box_head.${m[1]}.fc${Number(m[2]) - 5}.${m[3]}`;
  m = /^roi_heads\.mask_head\.(\d+)\.0\.(.+)$/.exec(ourName);
  if (m) return `roi_heads.mask_head.mask_fcn${Number(m[1]) + 1}.${m[2]}`;
  m = /^roi_heads\.mask_predictor\.(conv5_mask|mask_fcn_logits)\.(.+)$/.exec(ourName);
  if (m) return `roi_heads.mask_head.${m[1] === 'conv5_mask' ? 'deconv' : 'predictor'}.${m[2]}`;
  return ourName;
}

/** Both directions for one model: ours -> detectron2's and back (null for a name that is not ours). */
export function detectron2Names(model: CascadeRcnn): { toDetectron2: (ourName: string) => string; fromDetectron2: (key: string) => string | null } {
  const { backbone, neck } = model.config;
  const forward = new Map<string, string>();
  const backward = new Map<string, string>();
  for (const name of model.stateDict().keys()) {
    const d2 = detectron2NameOf(name, backbone.name, neck.inFeatures);
    forward.set(name, d2);
    backward.set(d2, name);
  }
  return {
    toDetectron2: (n) => forward.get(n) ?? detectron2NameOf(n, backbone.name, neck.inFeatures),
    fromDetectron2: (k) => backward.get(k) ?? null,
  };
}

/** Keys of detectron2 checkpoints that hold no weights of ours (model-zoo bookkeeping and non-persistent buffers of old versions). */
function isBookkeeping(key: string): boolean {
  return key === '__author__' || key === 'matching_heuristics' || /(^|\.)pixel_(mean|std)$/.test(key) || /anchor_generator\.cell_anchors\./.test(key);
}

export interface Detectron2LoadOptions {
  /** Default true: any missing, unexpected or mismatched key throws and nothing is assigned. */
  strict?: boolean;
  /** Names the checkpoint in errors. */
  source?: string;
}

/** Result of a load, with missing and unexpected keys under detectron2's names. */
export type Detectron2LoadResult = LoadStateDictResult;

/** Loads a detectron2-layout state dict (e.g. from tools/convert/detectron2_to_safetensors.py) into a CascadeRcnn. */
export function loadDetectron2StateDict(model: CascadeRcnn, tensors: TensorMap | Record<string, HostTensor>, options: Detectron2LoadOptions = {}): Detectron2LoadResult {
  const source = options.source ?? 'detectron2 checkpoint';
  const { toDetectron2, fromDetectron2 } = detectron2Names(model);
  const unknown: string[] = [];
  const result = loadStateDict(model, tensors, {
    strict: false,
    source,
    rename: (key) => {
      if (isBookkeeping(key)) return null;
      const ours = fromDetectron2(key);
      if (ours === null) unknown.push(key);
      return ours ?? key;
    },
  });
  const named: Detectron2LoadResult = {
    ...result,
    missing: result.missing.map(toDetectron2),
    unexpected: result.unexpected.map((k) => (unknown.includes(k) ? k : toDetectron2(k))),
    mismatched: result.mismatched.map((m) => ({ ...m, name: toDetectron2(m.name) })),
  };
  if ((options.strict ?? true) && (named.missing.length > 0 || named.unexpected.length > 0 || named.mismatched.length > 0)) {
    const list = (xs: string[]) => (xs.length > 10 ? `${xs.slice(0, 10).join(', ')}, ... ${xs.length - 10} more` : xs.join(', '));
    const parts: string[] = [];
    if (named.missing.length) parts.push(`${named.missing.length} missing [${list(named.missing)}]`);
    if (named.unexpected.length) parts.push(`${named.unexpected.length} unexpected [${list(named.unexpected)}]`);
    if (named.mismatched.length) parts.push(`${named.mismatched.length} mismatched [${list(named.mismatched.map((m) => m.reason))}]`);
    throw new Error(`${source}: does not match ${model.config.type} over ${model.config.backbone.name} (strict load): ${parts.join('; ')}`);
  }
  return named;
}

/** The model's weights under detectron2's names and layouts (PyTorch OIHW), without num_batches_tracked. */
export async function exportDetectron2StateDict(model: CascadeRcnn): Promise<TensorMap> {
  const { toDetectron2 } = detectron2Names(model);
  const ours = await stateDictToTensorMap(model);
  const out: TensorMap = new Map();
  for (const [name, t] of ours) if (!name.endsWith('num_batches_tracked')) out.set(toDetectron2(name), t);
  return out;
}
