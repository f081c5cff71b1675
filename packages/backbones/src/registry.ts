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

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = cur;
  }
  return prev[b.length];
}

/** The registered names nearest to a misspelt one (edit distance), best first. */
function closeNames(name: string): string[] {
  return [...registry.keys()]
    .map((k) => [k, editDistance(name, k)] as const)
    .filter(([, d]) => d <= Math.max(3, Math.floor(name.length / 3)))
    .sort((a, b) => a[1] - b[1])
    .slice(0, 5)
    .map(([k]) => k);
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
  checkOptionKeys(`createBackbone("${name}")`, options);
  return entry.create(options);
}
