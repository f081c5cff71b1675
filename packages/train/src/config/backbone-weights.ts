/**
 * Where a detection or segmentation config's backbone checkpoint (model.backbone.weights) is:
 * resolved against the working directory and checked to exist, so a wrong path stops with one
 * line naming the config file and field before a model is built.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BackboneConfig } from './common-specs.js';
import { ConfigError } from './schema.js';

/** The absolute path of model.backbone.weights, or undefined when the config names none. */
export function backboneWeightsPath(c: { model: { backbone: BackboneConfig } }, source: string, cwd = process.cwd()): string | undefined {
  const given = c.model.backbone.weights;
  if (given === undefined) return undefined;
  const path = resolve(cwd, given);
  if (!existsSync(path)) throw new ConfigError(`${source}: model.backbone.weights: ${path} does not exist`);
  return path;
}
