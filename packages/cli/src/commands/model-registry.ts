/**
 * Every registry `tfvision model list/info` shows, as one list: the backbones of
 * @tfvision/backbones, then the models of @tfvision/heads (detectors; segmenters join as one more
 * source). A row carries what every family has (name, family, params) plus a short description.
 */
import { getModelEntry, listModels } from '@tfvision/backbones';
import { UsageError } from '../command.js';

export type ModelKind = 'backbone' | 'detector';

export interface RegistryRow {
  name: string;
  /** The backbone family (resnet, resnest, ...) or the heads family ('detector'). */
  family: string;
  /** Backbones: trainable parameters (timm's counts); detectors: all weights (torchvision's counts). */
  params: number;
  kind: ModelKind;
  /** One line for the text listing (input size and preprocessing, or the reference and body). */
  details: string;
}

function backboneRows(): RegistryRow[] {
  return listModels().map((m) => {
    const c = m.defaultCfg;
    return { name: m.name, family: m.family, params: m.params, kind: 'backbone', details: `${c.inputSize[1]}x${c.inputSize[2]}  crop ${c.cropPct}  ${c.interpolation}` };
  });
}

async function detectorRows(): Promise<RegistryRow[]> {
  const { listDetectors } = await import('@tfvision/heads');
  return listDetectors().map((d) => ({ name: d.name, family: d.family, params: d.params, kind: 'detector', details: `${d.reference}, ${d.backbone} body` }));
}

/** Backbones first, then the heads' registries, each in registration order. */
export async function registryRows(): Promise<RegistryRow[]> {
  return [...backboneRows(), ...(await detectorRows())];
}

/** Names that read as a heads model (the torchvision/detectron2-style prefixes and suffixes). */
const HEADS_NAME = /rcnn|retinanet|deeplab|_fpn(_v2)?$/;

/** Levenshtein distance (names are short: the quadratic table is fine). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j] + 1, row[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length];
}

/** Up to five names within a few edits of `name`, nearest first. */
export function closeNames(name: string, names: readonly string[]): string[] {
  return names
    .map((k) => [k, editDistance(name, k)] as const)
    .filter(([, d]) => d <= Math.max(3, Math.floor(name.length / 4)))
    .sort((a, b) => a[1] - b[1])
    .slice(0, 5)
    .map(([k]) => k);
}

/**
 * Which registry `name` belongs to; an unknown name is a UsageError (exit 2) with the close
 * matches of the registry it resembles.
 */
export async function resolveModelKind(name: string, command: string): Promise<ModelKind> {
  const { hasDetector, listDetectors } = await import('@tfvision/heads');
  if (hasDetector(name)) return 'detector';
  try {
    getModelEntry(name);
    return 'backbone';
  } catch (err) {
    if (!HEADS_NAME.test(name)) throw new UsageError(`${command}: ${(err as Error).message}`);
  }
  const names = listDetectors().map((d) => d.name);
  const near = closeNames(name, names);
  throw new UsageError(`${command}: unknown detector "${name}"${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}; \`tfvision model list --family detector\` shows all ${names.length}`);
}
