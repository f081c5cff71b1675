/**
 * Segmenter checkpoints in the layout of the reference each preset follows (DESIGN.md):
 * torchvision 0.14 `models/segmentation/deeplabv3.py` for `deeplabv3_*` (`backbone.*`,
 * `classifier.*`, `aux_classifier.*`) and segmentation_models.pytorch's `DeepLabV3Plus` for
 * `deeplabv3plus_*` (`encoder.*` / `encoder.model.*`, `decoder.*`, `segmentation_head.*`).
 * The segmenters' module names are these names, so loading is one strict state-dict load
 * (@tfvision/nn's loadStateDict: PyTorch layouts converted, missing/unexpected keys named),
 * plus a hint when the file is of the other layout, another backbone or another class count.
 * Export writes every parameter and buffer under the same names (`num_batches_tracked`
 * included), so `model.load_state_dict(load_file(path))` works in torchvision and smp.
 */
import {
  loadStateDict,
  readSafetensors,
  stateDictToTensorMap,
  writeSafetensors,
  type LoadStateDictResult,
  type SafetensorsMetadata,
  type StateDictExportOptions,
  type TensorMap,
} from '@tfvision/nn';
import type { SegmenterConfig } from './segmenter-config.js';
import type { Segmenter } from './segmenter.js';

export interface LoadSegmenterCheckpointOptions {
  /** Names the file in errors (default: the path, or "checkpoint"). */
  source?: string;
  /** Default true: any missing, unexpected or mismatched key throws and nothing is assigned. */
  strict?: boolean;
}

export interface LoadSegmenterCheckpointResult extends LoadStateDictResult {
  /** One line per adaptation made (a DDP `module.` prefix stripped). */
  notes: string[];
}

/** The final 1x1 convolution of each layout: its output channels are the class count. */
const CLASS_LOGITS: Record<SegmenterConfig['type'], string> = {
  deeplabv3: 'classifier.4.weight',
  deeplabv3plus: 'segmentation_head.0.weight',
};

const TOP_LEVEL: Record<SegmenterConfig['type'], string[]> = {
  deeplabv3: ['backbone', 'classifier', 'aux_classifier'],
  deeplabv3plus: ['encoder', 'decoder', 'segmentation_head'],
};

/** Which layout a file has, from its top-level module names (undefined: neither). */
export function segmenterCheckpointLayout(tensors: TensorMap): SegmenterConfig['type'] | undefined {
  const tops = new Set([...tensors.keys()].map((k) => k.split('.')[0]));
  if (tops.has('classifier') || tops.has('backbone')) return 'deeplabv3';
  if (tops.has('segmentation_head') || tops.has('encoder')) return 'deeplabv3plus';
  return undefined;
}

/**
 * What a checkpoint says about the model it was saved from: the class count (its class-logits
 * conv) and, for torchvision's layout, whether it has the auxiliary head. The CLI builds the
 * preset with these so a fine-tuned file loads without flags.
 */
export function segmenterCheckpointShape(tensors: TensorMap, type: SegmenterConfig['type']): { numClasses?: number; aux?: boolean } {
  const { tensors: t } = stripDdpPrefix(tensors);
  const logits = t.get(CLASS_LOGITS[type]);
  const out: { numClasses?: number; aux?: boolean } = {};
  if (logits) out.numClasses = logits.shape[0];
  if (type === 'deeplabv3' && segmenterCheckpointLayout(t) === 'deeplabv3') out.aux = [...t.keys()].some((k) => k.startsWith('aux_classifier.'));
  return out;
}

function stripDdpPrefix(tensors: TensorMap): { tensors: TensorMap; stripped: boolean } {
  const keys = [...tensors.keys()];
  if (keys.length === 0 || !keys.every((k) => k.startsWith('module.'))) return { tensors, stripped: false };
  return { tensors: new Map([...tensors].map(([k, v]) => [k.slice('module.'.length), v])), stripped: true };
}

/** DeepLabV3 and DeepLabV3Plus both keep their validated config. */
function configOf(model: Segmenter): SegmenterConfig {
  const config = (model as unknown as { config?: SegmenterConfig }).config;
  if (!config || (config.type !== 'deeplabv3' && config.type !== 'deeplabv3plus')) throw new Error(`loadSegmenterCheckpoint: ${model.constructor.name} has no DeepLab config (build it with createSegmenter)`);
  return config;
}

/** The likely cause of a failed strict load, so the one-line error says what to do. */
function diagnose(model: Segmenter, config: SegmenterConfig, tensors: TensorMap): string[] {
  const type = config.type;
  const hints: string[] = [];
  const layout = segmenterCheckpointLayout(tensors);
  if (layout && layout !== type) {
    hints.push(layout === 'deeplabv3'
      ? `the checkpoint has torchvision's DeepLabV3 layout (${TOP_LEVEL.deeplabv3.join('.*, ')}.*), the model is smp's DeepLabV3+: use the deeplabv3_* preset`
      : `the checkpoint has smp's DeepLabV3+ layout (${TOP_LEVEL.deeplabv3plus.join('.*, ')}.*), the model is torchvision's DeepLabV3: use the deeplabv3plus_* preset`);
    return hints;
  }
  const { numClasses, aux } = segmenterCheckpointShape(tensors, type);
  if (numClasses !== undefined && numClasses !== model.numClasses) hints.push(`the checkpoint has ${numClasses} classes, the model ${model.numClasses}: build it with numClasses ${numClasses}`);
  if (config.type === 'deeplabv3' && aux !== undefined && aux !== config.aux) {
    hints.push(aux ? 'the checkpoint has aux_classifier.*, the model no auxiliary head: build it with aux true' : 'the checkpoint has no aux_classifier.*, the model an auxiliary head: build it with aux false');
  }
  const bodyPrefix = type === 'deeplabv3' ? 'backbone.' : 'encoder.';
  const ours = [...model.stateDict().keys()].filter((k) => k.startsWith(bodyPrefix));
  const theirs = [...tensors.keys()].filter((k) => k.startsWith(bodyPrefix));
  const oursSet = new Set(ours);
  const shared = theirs.filter((k) => oursSet.has(k)).length;
  if (theirs.length > 0 && (shared < ours.length || shared < theirs.length)) {
    hints.push(`${bodyPrefix}*: ${shared} of the checkpoint's ${theirs.length} keys are among the ${ours.length} of this model's (${config.backbone}${config.type === 'deeplabv3plus' ? `, encoder ${config.encoder}` : ''}): the checkpoint is for another backbone or encoder`);
  }
  return hints;
}

/**
 * Loads a reference-layout state dict (a safetensors path or a TensorMap) into a segmenter from
 * createSegmenter. Strict by default: throws one line listing missing, unexpected and mismatched
 * keys by name, and the likely cause; returns what was loaded and defaulted.
 */
export function loadSegmenterCheckpoint(model: Segmenter, checkpoint: string | TensorMap, options: LoadSegmenterCheckpointOptions = {}): LoadSegmenterCheckpointResult {
  const source = options.source ?? (typeof checkpoint === 'string' ? checkpoint : 'checkpoint');
  const raw = typeof checkpoint === 'string' ? readSafetensors(checkpoint).tensors : checkpoint;
  const { tensors, stripped } = stripDdpPrefix(raw);
  const notes = stripped ? ['stripped the "module." prefix from every key'] : [];
  let result: LoadStateDictResult;
  try {
    result = loadStateDict(model, tensors, { strict: options.strict ?? true, source });
  } catch (err) {
    const hints = diagnose(model, configOf(model), tensors);
    throw new Error(hints.length > 0 ? `${(err as Error).message}; ${hints.join('; ')}` : (err as Error).message);
  }
  // Inference caches (BatchNorm folded into convolutions) were computed from the old values.
  for (const [, m] of model.namedModules()) m.releaseInferenceCache();
  return { ...result, notes };
}

/** Every parameter and buffer of a segmenter under the reference's names, PyTorch layouts and dtypes. */
export async function segmenterStateDict(model: Segmenter, options: StateDictExportOptions = {}): Promise<TensorMap> {
  return stateDictToTensorMap(model, options);
}

/** Writes a segmenter as a reference-layout safetensors file (atomically); `metadata` gets `format: "pt"` unless given. */
export async function exportSegmenterCheckpoint(model: Segmenter, path: string, metadata: SafetensorsMetadata = {}, options: StateDictExportOptions = {}): Promise<void> {
  writeSafetensors(path, await segmenterStateDict(model, options), { format: 'pt', ...metadata });
}
