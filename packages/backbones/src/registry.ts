import type { Backbone, BackboneOptions, PretrainedCfg } from './backbone.js';
import { checkOptionKeys } from './backbone.js';

export type ModelFamily = 'resnet' | 'resnext' | 'seresnet' | 'skresnet' | 'resnest' | 'efficientnet';

/** A registered variant: a few lines of arguments plus metadata, as timm registers models. */
export interface ModelEntry {
  name: string;
  family: ModelFamily;
  /** Trainable parameters at the default (1000-class) configuration, as timm counts them. */
  params: number;
  defaultCfg: PretrainedCfg;
  /** Builds the model; options are already validated. */
  create(options: BackboneOptions): Backbone;
}

const registry = new Map<string, ModelEntry>();

export function registerModel(entry: ModelEntry): void {
  if (registry.has(entry.name)) throw new Error(`model "${entry.name}" is registered twice`);
  registry.set(entry.name, entry);
}

export function listModels(): ModelEntry[] {
  return [...registry.values()];
}

function closeNames(name: string): string[] {
  const stem = name.replace(/[^a-z]/g, '').slice(0, 5);
  return [...registry.keys()].filter((k) => k.startsWith(name.slice(0, 4)) || k.replace(/[^a-z]/g, '').startsWith(stem)).slice(0, 8);
}

export function getModelEntry(name: string): ModelEntry {
  const entry = registry.get(name);
  if (!entry) {
    const near = closeNames(name);
    throw new Error(`unknown model "${name}"${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}; \`tfvision model list\` shows all ${registry.size}`);
  }
  return entry;
}

/** Builds a registered model by name: `createBackbone('resnest50d', { numClasses: 10 })`. */
export function createBackbone(name: string, options: BackboneOptions = {}): Backbone {
  const entry = getModelEntry(name);
  checkOptionKeys(name, options);
  return entry.create(options);
}
