/**
 * Importing the checkpoints people already have: timm and torchvision state dicts (from
 * safetensors), renamed to our (timm's) names, with timm's pretrained-loading adaptations —
 * a different classifier size drops the classifier, a different input channel count adapts the
 * first convolution — and every missing or unexpected key reported by name. A `prefix` reads
 * the backbone out of a whole detector or segmenter (torchvision's `backbone.body.`,
 * detectron2's `backbone.bottom_up.`, smp's `encoder.`), as their own loaders select it.
 */
import type * as tf from '@tensorflow/tfjs-core';
import {
  Module,
  loadStateDict,
  readSafetensors,
  stateDictToTensorMap,
  writeSafetensors,
  type StateDictExportOptions,
  type HostTensor,
  type LoadStateDictResult,
  type SafetensorsMetadata,
  type TensorMap,
} from '@tfvision/nn';
import type { Backbone } from './backbone.js';
import { getModelEntry } from './registry.js';

export type CheckpointFormat = 'timm' | 'torchvision';

export interface LoadCheckpointOptions {
  /** Naming of the checkpoint; detected from its keys when absent. */
  from?: CheckpointFormat;
  /** Default true: missing/unexpected/mismatched keys (after the adaptations below) throw. */
  strict?: boolean;
  /**
   * Keep the checkpoint's classifier only when its shape matches (default 'auto'): 'auto' drops
   * a classifier of a different size (fine-tuning to new classes), 'keep' requires it, 'drop'
   * always drops it.
   */
  classifier?: 'auto' | 'keep' | 'drop';
  /** Names the file in errors. */
  source?: string;
  /**
   * Read only the keys under this prefix (e.g. `backbone.body.`, `backbone.bottom_up.`,
   * `encoder.`, `encoder.model.`), stripped; the rest of the file (necks, heads) is ignored.
   * Missing, unexpected and dropped keys are reported under their full names. Without it a
   * wrapper prefix shared by every key (`module.`, `model.`, `backbone.`, `encoder.`) is stripped.
   */
  prefix?: string;
}

export interface LoadCheckpointResult extends LoadStateDictResult {
  format: CheckpointFormat;
  /** Checkpoint keys left out on purpose (a classifier of another size, a wrapper prefix). */
  dropped: string[];
  /** One line per adaptation made (first-conv channels, classifier dropped). */
  notes: string[];
}

/**
 * A model's state under `prefix`, so that a strict load names the checkpoint's own keys
 * (`backbone.body.layer2.0.bn1.running_var`). The view class takes the model's class name
 * because loadStateDict's error names the module it loads into.
 */
function prefixedView(model: Module, prefix: string): Module {
  const name = model.constructor.name;
  const views = {
    [name]: class extends Module {
      override namedParameters(): [string, tf.Variable][] {
        return model.namedParameters().map(([n, v]) => [prefix + n, v]);
      }

      override namedBuffers(): [string, tf.Variable][] {
        return model.namedBuffers().map(([n, v]) => [prefix + n, v]);
      }
    },
  };
  return new views[name]();
}

/** The keys under `prefix`, stripped; throws naming the prefix when there are none. */
export function selectPrefix(tensors: TensorMap, prefix: string, source: string): TensorMap {
  if (typeof prefix !== 'string' || prefix === '') throw new Error(`loadCheckpoint: prefix must be a non-empty string, got ${JSON.stringify(prefix)}`);
  const out: TensorMap = new Map();
  for (const [k, t] of tensors) if (k.startsWith(prefix)) out.set(k.slice(prefix.length), t);
  if (out.size === 0) {
    const heads = [...new Set(keysOf(tensors).map((k) => k.split('.')[0] + '.'))].slice(0, 8);
    throw new Error(`loadCheckpoint: no key of ${source} starts with prefix "${prefix}" (its keys start with ${heads.map((h) => `"${h}"`).join(', ')})`);
  }
  return out;
}

/** Wrappers that training frameworks put around a model's own names. */
const WRAPPER_PREFIXES = ['module.', 'model.', 'backbone.', 'encoder.'];

function keysOf(tensors: TensorMap): string[] {
  return [...tensors.keys()];
}

/** Removes one wrapper prefix shared by every key (DDP's `module.`, detectors' `backbone.`). */
export function stripWrapperPrefix(tensors: TensorMap): { tensors: TensorMap; prefix: string } {
  const keys = keysOf(tensors);
  for (const p of WRAPPER_PREFIXES) {
    if (keys.length > 0 && keys.every((k) => k.startsWith(p))) {
      const out: TensorMap = new Map();
      for (const [k, t] of tensors) out.set(k.slice(p.length), t);
      return { tensors: out, prefix: p };
    }
  }
  return { tensors, prefix: '' };
}

/**
 * The naming of a checkpoint from its keys. torchvision's ResNet/ResNeXt use the same names as
 * timm (timm kept them), so only EfficientNet tells the two apart: `features.0.0.weight` is
 * torchvision, `conv_stem.weight` timm.
 */
export function detectCheckpointFormat(keys: readonly string[]): CheckpointFormat {
  if (keys.some((k) => k.startsWith('features.') && k.includes('.block.'))) return 'torchvision';
  return 'timm';
}

/**
 * torchvision EfficientNet → timm names. torchvision: features.0 stem, features.1..7 the
 * stages of MBConv blocks (`block.N` sub-layers), features.8 head, classifier.1 the Linear.
 * In a stage-1 block (no expansion) block.0 is the depthwise conv, block.1 SE, block.2 the
 * projection; later blocks have the 1x1 expansion first, so everything shifts by one.
 */
function torchvisionEfficientNetName(key: string, lastStage: number): string | null {
  let m = /^features\.0\.([01])\.(.+)$/.exec(key);
  if (m) return `${m[1] === '0' ? 'conv_stem' : 'bn1'}.${m[2]}`;
  m = /^features\.(\d+)\.([01])\.(.+)$/.exec(key);
  if (m && Number(m[1]) === lastStage + 1) return `${m[2] === '0' ? 'conv_head' : 'bn2'}.${m[3]}`;
  m = /^classifier\.1\.(.+)$/.exec(key);
  if (m) return `classifier.${m[1]}`;
  m = /^features\.(\d+)\.(\d+)\.block\.(\d+)\.(.+)$/.exec(key);
  if (!m) return null;
  const stage = Number(m[1]) - 1;
  const sub = Number(m[3]);
  const rest = m[4];
  const prefix = `blocks.${stage}.${m[2]}`;
  const se = (r: string): string => r.replace(/^fc1\./, 'se.conv_reduce.').replace(/^fc2\./, 'se.conv_expand.');
  const convBn = (conv: string, bn: string, r: string): string | null => {
    const cm = /^([01])\.(.+)$/.exec(r);
    return cm ? `${prefix}.${cm[1] === '0' ? conv : bn}.${cm[2]}` : null;
  };
  if (stage === 0) {
    if (sub === 0) return convBn('conv_dw', 'bn1', rest);
    if (sub === 1) return `${prefix}.${se(rest)}`;
    if (sub === 2) return convBn('conv_pw', 'bn2', rest);
    return null;
  }
  if (sub === 0) return convBn('conv_pw', 'bn1', rest);
  if (sub === 1) return convBn('conv_dw', 'bn2', rest);
  if (sub === 2) return `${prefix}.${se(rest)}`;
  if (sub === 3) return convBn('conv_pwl', 'bn3', rest);
  return null;
}

/** Maps a checkpoint key of `format` to our name for model `modelName` (null: not a model key). */
export function checkpointRenamer(format: CheckpointFormat, modelName: string, keys: readonly string[]): (key: string) => string | null {
  if (format === 'timm') return (k) => k;
  const family = getModelEntry(modelName).family;
  if (family !== 'efficientnet') {
    // torchvision's ResNet family already has timm's names.
    return (k) => k;
  }
  if (modelName.startsWith('tf_')) {
    throw new Error(`checkpoint: torchvision weights are for PyTorch-padded EfficientNets; load them into ${modelName.slice(3)} rather than ${modelName}`);
  }
  const stages = keys.map((k) => /^features\.(\d+)\./.exec(k)).filter((m): m is RegExpExecArray => m !== null).map((m) => Number(m[1]));
  const lastStage = Math.max(...stages) - 1;
  return (k) => torchvisionEfficientNetName(k, lastStage);
}

/**
 * timm's adapt_input_conv: a 3-channel RGB first conv becomes a 1-channel one by summing over
 * its input channels, or an N-channel one by repeating RGB and rescaling by 3/N, so activations
 * keep their scale.
 */
export function adaptInputConv(t: HostTensor, inChans: number, where: string): HostTensor {
  const [out, cin, kh, kw] = t.shape;
  if (t.shape.length !== 4) throw new Error(`${where}: expected a 4-D conv weight, got shape [${t.shape.join(', ')}]`);
  if (cin === inChans) return t;
  const src = Float32Array.from(t.data as ArrayLike<number>);
  const hw = kh * kw;
  const dst = new Float32Array(out * inChans * hw);
  for (let o = 0; o < out; o++) {
    for (let c = 0; c < inChans; c++) {
      for (let k = 0; k < hw; k++) {
        let v = 0;
        if (inChans === 1) {
          for (let s = 0; s < cin; s++) v += src[(o * cin + s) * hw + k];
        } else {
          v = (src[(o * cin + (c % cin)) * hw + k] * cin) / inChans;
        }
        dst[(o * inChans + c) * hw + k] = v;
      }
    }
  }
  return { dtype: 'F32', shape: [out, inChans, kh, kw], data: dst };
}

/**
 * Loads a timm or torchvision state dict into a backbone built by createBackbone(modelName).
 * `checkpoint` is a safetensors path or a TensorMap. Throws (strict) with every problem named,
 * or returns what was loaded, defaulted, dropped and adapted.
 */
export function loadCheckpoint(model: Backbone, modelName: string, checkpoint: string | TensorMap, options: LoadCheckpointOptions = {}): LoadCheckpointResult {
  const source = options.source ?? (typeof checkpoint === 'string' ? checkpoint : 'checkpoint');
  const raw = typeof checkpoint === 'string' ? readSafetensors(checkpoint).tensors : checkpoint;
  const given = options.prefix;
  const { tensors, prefix } = given !== undefined ? { tensors: selectPrefix(raw, given, source), prefix: '' } : stripWrapperPrefix(raw);
  const full = (name: string): string => (given ?? '') + name;
  const keys = keysOf(tensors);
  const format = options.from ?? detectCheckpointFormat(keys);
  const rename = checkpointRenamer(format, modelName, keys);
  const cfg = model.pretrainedCfg;
  const ours = model.stateDict();
  const notes: string[] = [];
  const dropped: string[] = [];
  if (prefix) notes.push(`stripped the "${prefix}" prefix from every key`);
  if (given !== undefined) notes.push(`read the ${tensors.size} keys under "${given}"; ignored the other ${raw.size - tensors.size}`);

  const renamed: TensorMap = new Map();
  for (const [key, t] of tensors) {
    const name = rename(key);
    if (name === null) {
      renamed.set(key, t); // reported as unexpected under its own name
      continue;
    }
    renamed.set(name, t);
  }

  // First conv: adapt the input channels as timm does.
  const firstConvKey = `${cfg.firstConv}.weight`;
  const firstConv = renamed.get(firstConvKey);
  const ourFirst = ours.get(firstConvKey);
  // Ours is HWIO: input channels are axis 2.
  const ourInChans = ourFirst?.shape[2];
  if (firstConv && ourInChans !== undefined && firstConv.shape.length === 4 && firstConv.shape[1] !== ourInChans) {
    renamed.set(firstConvKey, adaptInputConv(firstConv, ourInChans, `${source}: ${full(firstConvKey)}`));
    notes.push(`${full(firstConvKey)}: adapted ${firstConv.shape[1]} input channels to ${ourInChans}`);
  }

  // Classifier: drop it when it is absent from the model or of another size (new classes).
  const mode = options.classifier ?? 'auto';
  for (const suffix of ['weight', 'bias']) {
    const key = `${cfg.classifier}.${suffix}`;
    const t = renamed.get(key);
    if (!t) continue;
    const mine = ours.get(key);
    const sameSize = mine !== undefined && t.shape.reduce((a, b) => a * b, 1) === mine.size;
    if (mode === 'drop' || (mode === 'auto' && !sameSize)) {
      renamed.delete(key);
      dropped.push(full(key));
    }
  }
  if (dropped.length > 0) notes.push(`dropped the checkpoint's classifier (${dropped.join(', ')}): the model has ${model.numClasses} classes`);

  const droppedClassifier = new Set(dropped);
  const target = given !== undefined ? prefixedView(model, given) : model;
  const named: TensorMap = given !== undefined ? new Map([...renamed].map(([k, t]) => [full(k), t])) : renamed;
  const result = loadStateDict(target, named, {
    strict: options.strict ?? true,
    source: `${source} (${format} names${given !== undefined ? ` under "${given}"` : ''})`,
    // Our classifier keeps its initialisation when the checkpoint's was dropped.
    keepIfAbsent: (name) => droppedClassifier.has(name),
  });
  return { ...result, format, dropped, notes };
}

/**
 * A backbone's state dict (timm names, PyTorch layouts) with every key under `prefix`: the
 * backbone part of a detector's file (`backbone.body.`) or any wrapper's.
 */
export async function prefixedStateDict(model: Backbone, prefix: string, options: StateDictExportOptions = {}): Promise<TensorMap> {
  const out: TensorMap = new Map();
  for (const [k, t] of await stateDictToTensorMap(model, options)) out.set(prefix + k, t);
  return out;
}

/**
 * Writes a backbone as a timm-named PyTorch-layout safetensors file (loads with timm's
 * load_state_dict), optionally with every key under `prefix`.
 */
export async function exportCheckpoint(model: Backbone, path: string, metadata: SafetensorsMetadata = {}, options: StateDictExportOptions & { prefix?: string } = {}): Promise<void> {
  const { prefix = '', ...exportOptions } = options;
  writeSafetensors(path, await prefixedStateDict(model, prefix, exportOptions), { format: 'pt', ...metadata });
}
