/**
 * Detector checkpoints in torchvision's detection layout (torchvision 0.14
 * `models/detection/{faster,mask}_rcnn.py`): `backbone.body.*` (the backbone's own names; for
 * ResNet-50 these are torchvision's, for other backbones timm's, as torchvision's
 * BackboneWithFPN over a timm body names them), `backbone.fpn.*`, `rpn.head.*`,
 * `roi_heads.box_head.*`, `roi_heads.box_predictor.*`, `roi_heads.mask_head.*`,
 * `roi_heads.mask_predictor.*`, PyTorch layouts. GeneralizedRcnn's module names are these
 * names, so loading is one strict state-dict load plus the adaptations torchvision's own
 * loading makes:
 * - FrozenBatchNorm2d has no `num_batches_tracked` (torchvision's COCO files lack it): absent
 *   ones keep their value and are listed in `defaulted`.
 * - `frozenBnEps: 'torchvision-coco'`: torchvision builds fasterrcnn/maskrcnn_resnet50_fpn with
 *   FrozenBatchNorm2d eps 1e-5 and then, when its COCO_V1 weights load, calls
 *   `overwrite_eps(model, 0.0)`; its COCO numbers are with eps 0. eps is not in the file, so
 *   the option sets it on every BatchNorm of `backbone.body` (only FrozenBN backbones, as
 *   torchvision's v2 presets keep 1e-5).
 * - `classifier: 'auto'`: fine-tuning to another class count drops the checkpoint's
 *   class-dependent tensors (box_predictor.cls_score/bbox_pred, mask_predictor.mask_fcn_logits)
 *   and keeps ours; everything else, conv5_mask included, loads (detectron2 keeps it too;
 *   torchvision's tutorial replaces the whole predictor).
 * Export writes every parameter and buffer under the same names, `num_batches_tracked`
 * included, so a file loads strictly into torchvision's model built with nn.BatchNorm2d and,
 * since FrozenBatchNorm2d discards that key on load, with FrozenBatchNorm2d too.
 */
import {
  BatchNorm2d,
  loadStateDict,
  readSafetensors,
  stateDictToTensorMap,
  torchShapeOf,
  writeSafetensors,
  type LoadStateDictResult,
  type SafetensorsMetadata,
  type StateDictExportOptions,
  type TensorMap,
} from '@tfvision/nn';
import type { GeneralizedRcnn } from './generalized-rcnn.js';

export interface LoadDetectorCheckpointOptions {
  /** Names the file in errors and notes (default: the path, or "checkpoint"). */
  source?: string;
  /** Default true: any missing, unexpected or mismatched key throws and nothing is assigned. */
  strict?: boolean;
  /**
   * 'torchvision-coco': eps 0 on every backbone BatchNorm, as torchvision sets it when its
   * COCO_V1 Faster/Mask R-CNN weights load (needs a frozen_bn backbone). Default: keep eps.
   */
  frozenBnEps?: 'torchvision-coco';
  /**
   * The class-dependent tensors (CLASS_DEPENDENT_KEYS): 'keep' (default) loads them and a
   * class count that differs is a mismatch; 'auto' drops them when their shape differs from the
   * model's (fine-tuning to new classes: ours keep their initialisation); 'drop' always drops them.
   */
  classifier?: 'keep' | 'auto' | 'drop';
}

export interface LoadDetectorCheckpointResult extends LoadStateDictResult {
  /** Checkpoint keys left out on purpose (a classifier of another class count). */
  dropped: string[];
  /** One line per adaptation made (prefix stripped, classifier dropped, eps set). */
  notes: string[];
}

/** Tensors whose shape depends on the class count, in torchvision's names. */
export const CLASS_DEPENDENT_KEYS: readonly string[] = [
  'roi_heads.box_predictor.cls_score.weight',
  'roi_heads.box_predictor.cls_score.bias',
  'roi_heads.box_predictor.bbox_pred.weight',
  'roi_heads.box_predictor.bbox_pred.bias',
  'roi_heads.mask_predictor.mask_fcn_logits.weight',
  'roi_heads.mask_predictor.mask_fcn_logits.bias',
];

/** Wrappers training scripts put around a whole model's names (DDP's `module.`, `model.`). */
const WRAPPERS = ['module.', 'model.'];

/** The class count (background included) of a torchvision-layout detector file, from its class-logits layer. */
export function checkpointNumClasses(tensors: TensorMap): number | undefined {
  for (const [k, t] of tensors) {
    if (k === 'roi_heads.box_predictor.cls_score.weight' || WRAPPERS.some((w) => k === `${w}roi_heads.box_predictor.cls_score.weight`)) return t.shape[0];
  }
  return undefined;
}

function stripWrapper(tensors: TensorMap): { tensors: TensorMap; wrapper: string } {
  const keys = [...tensors.keys()];
  const wrapper = WRAPPERS.find((w) => keys.length > 0 && keys.every((k) => k.startsWith(w)));
  if (!wrapper) return { tensors, wrapper: '' };
  return { tensors: new Map([...tensors].map(([k, t]) => [k.slice(wrapper.length), t])), wrapper };
}

/**
 * Why a checkpoint does not fit, beyond the key lists: the most common causes (another detector
 * type, another backbone, another class count), so the one-line error says what to do.
 */
function diagnose(model: GeneralizedRcnn, tensors: TensorMap): string[] {
  const ours = model.stateDict();
  const theirs = [...tensors.keys()];
  const hints: string[] = [];
  const hasMask = (keys: Iterable<string>) => [...keys].some((k) => k.startsWith('roi_heads.mask_'));
  if (hasMask(theirs) && !hasMask(ours.keys())) hints.push('the checkpoint is a Mask R-CNN\'s (it has roi_heads.mask_*), the model a Faster R-CNN: use the maskrcnn_* preset');
  if (!hasMask(theirs) && hasMask(ours.keys())) hints.push('the checkpoint is a Faster R-CNN\'s (no roi_heads.mask_*), the model a Mask R-CNN: use the fasterrcnn_* preset');
  const body = (k: string) => k.startsWith('backbone.body.');
  const ourBody = [...ours.keys()].filter(body);
  const theirBody = theirs.filter(body);
  const shared = theirBody.filter((k) => ours.has(k)).length;
  if (theirBody.length > 0 && (shared < ourBody.length || shared < theirBody.length)) {
    hints.push(`backbone.body: ${shared} of the checkpoint's ${theirBody.length} keys are among the ${ourBody.length} of this model's backbone (${model.config.backbone.name}): the checkpoint is for another backbone`);
  }
  const k = checkpointNumClasses(tensors);
  if (k !== undefined && k !== model.config.numClasses) {
    hints.push(`the checkpoint has ${k} classes (background included), the model ${model.config.numClasses}: build it with numClasses ${k}, or pass classifier 'auto' to fine-tune to new classes`);
  }
  return hints;
}

/**
 * Loads a torchvision-layout state dict (a safetensors path or a TensorMap) into a detector
 * built by createDetector. Strict by default: throws one line listing missing, unexpected and
 * mismatched keys by name (first 20 of each, with counts) and the likely cause; returns what
 * was loaded, defaulted, dropped and adapted.
 */
export function loadDetectorCheckpoint(model: GeneralizedRcnn, checkpoint: string | TensorMap, options: LoadDetectorCheckpointOptions = {}): LoadDetectorCheckpointResult {
  const source = options.source ?? (typeof checkpoint === 'string' ? checkpoint : 'checkpoint');
  const mode = options.classifier ?? 'keep';
  if (!['keep', 'auto', 'drop'].includes(mode)) throw new Error(`loadDetectorCheckpoint: classifier must be 'keep', 'auto' or 'drop', got ${JSON.stringify(options.classifier)}`);
  if (options.frozenBnEps !== undefined && options.frozenBnEps !== 'torchvision-coco') {
    throw new Error(`loadDetectorCheckpoint: frozenBnEps must be 'torchvision-coco', got ${JSON.stringify(options.frozenBnEps)}`);
  }
  const norm = model.config.backbone.options?.norm ?? 'bn';
  if (options.frozenBnEps && norm !== 'frozen_bn') {
    throw new Error(`loadDetectorCheckpoint: frozenBnEps 'torchvision-coco' is torchvision's rule for FrozenBatchNorm backbones (the v1 presets); this model's backbone norm is "${norm}"`);
  }
  const raw = typeof checkpoint === 'string' ? readSafetensors(checkpoint).tensors : checkpoint;
  const { tensors, wrapper } = stripWrapper(raw);
  const notes: string[] = [];
  if (wrapper) notes.push(`stripped the "${wrapper}" prefix from every key`);

  const ours = model.stateDict();
  const dropped: string[] = [];
  const kept: TensorMap = new Map(tensors);
  for (const key of CLASS_DEPENDENT_KEYS) {
    const t = tensors.get(key);
    const mine = ours.get(key);
    if (!t || !mine) continue;
    const expected = torchShapeOf(mine.shape);
    const same = t.shape.length === expected.length && t.shape.every((d, i) => d === expected[i]);
    if (mode === 'drop' || (mode === 'auto' && !same)) {
      kept.delete(key);
      dropped.push(key);
    }
  }
  if (dropped.length > 0) {
    const k = checkpointNumClasses(tensors);
    notes.push(`dropped the checkpoint's class-dependent layers (${dropped.join(', ')})${k !== undefined ? `: it has ${k} classes, the model ${model.config.numClasses}` : ''}; the model's own are kept`);
  }

  const droppedSet = new Set(dropped);
  let result: LoadStateDictResult;
  try {
    result = loadStateDict(model, kept, { strict: options.strict ?? true, source, keepIfAbsent: (name) => droppedSet.has(name) });
  } catch (err) {
    const hints = diagnose(model, tensors);
    throw new Error(hints.length > 0 ? `${(err as Error).message}; ${hints.join('; ')}` : (err as Error).message);
  }

  if (options.frozenBnEps) {
    let n = 0;
    for (const [, m] of model.backbone.body.namedModules()) {
      if (m instanceof BatchNorm2d) {
        m.eps = 0;
        n++;
      }
    }
    notes.push(`set eps 0 on the ${n} FrozenBatchNorm layers of backbone.body (torchvision's overwrite_eps for its COCO_V1 weights)`);
  }
  // Inference caches (BatchNorm folded into convolutions) were computed from the old values.
  for (const [, m] of model.namedModules()) m.releaseInferenceCache();
  return { ...result, dropped, notes };
}

/** Every parameter and buffer of a detector under torchvision's names, in PyTorch layouts and dtypes. */
export async function detectorStateDict(model: GeneralizedRcnn, options: StateDictExportOptions = {}): Promise<TensorMap> {
  return stateDictToTensorMap(model, options);
}

/**
 * Writes a detector as a torchvision-layout safetensors file (atomically) that
 * loadDetectorCheckpoint and torchvision's `load_state_dict` both read; `metadata` gets
 * `format: "pt"` unless given.
 */
export async function exportDetectorCheckpoint(model: GeneralizedRcnn, path: string, metadata: SafetensorsMetadata = {}, options: StateDictExportOptions = {}): Promise<void> {
  writeSafetensors(path, await detectorStateDict(model, options), { format: 'pt', ...metadata });
}
