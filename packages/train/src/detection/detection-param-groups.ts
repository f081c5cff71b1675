/**
 * Weight decay per parameter as detectron2's get_default_optimizer_params (solver/build.py):
 * WEIGHT_DECAY on every trainable weight, WEIGHT_DECAY_NORM (0 in the recipes) on normalisation
 * scales and shifts (BatchNorm, GroupNorm), WEIGHT_DECAY_BIAS (= WEIGHT_DECAY by default) on the
 * biases of convolutions and linear layers. Frozen parameters (frozen BN, frozen stages) are not
 * trainable and are left out, so they are never updated or decayed. Then the config's per-name
 * rules (param-group-rules.ts, detectron2's `overrides`): the first matching rule sets the
 * parameter's lr multiplier and, when it gives one, its weight decay; a rule that matches no
 * parameter of the model (frozen ones included) is an error naming it, since it is a typo or a
 * rule for another architecture.
 */
import { BatchNorm2d, GroupNorm, type Module } from '@tfvision/nn';
import { ConfigError } from '../config/schema.js';
import type { ParamEntry } from '../optim/index.js';
import { firstMatchingRule, globRegExp, type ParamGroupRule } from './param-group-rules.js';

export interface DetectionDecayOptions {
  weightDecay: number;
  /** Decay of norm layers' parameters. Default 0. */
  weightDecayNorm?: number;
  /** Decay of conv/linear biases. Default weightDecay. */
  weightDecayBias?: number;
  /** Per-name rules, first match wins (config optimizer.paramGroups). */
  paramGroups?: readonly ParamGroupRule[];
  /** Named in rule errors: the config file. Default 'config'. */
  source?: string;
}

/** A parameter with its decay and its learning-rate multiplier (1 unless a rule says otherwise). */
export interface DetectionParamEntry extends ParamEntry {
  lrMult: number;
}

/** A few distinct name prefixes (two components), to show what names look like in an error. */
function namePrefixes(names: readonly string[]): string {
  const prefixes = [...new Set(names.map((n) => n.split('.').slice(0, 2).join('.')))];
  return `${prefixes.slice(0, 8).map((p) => `${p}.*`).join(', ')}${prefixes.length > 8 ? ', ...' : ''}`;
}

export function detectionParamGroups(model: Module, o: DetectionDecayOptions): DetectionParamEntry[] {
  const normParams = new Set<string>();
  for (const [prefix, m] of model.namedModules()) {
    if (m instanceof BatchNorm2d || m instanceof GroupNorm) for (const [n] of m.namedParameters(prefix)) normParams.add(n);
  }
  const wdNorm = o.weightDecayNorm ?? 0;
  const wdBias = o.weightDecayBias ?? o.weightDecay;
  const all = model.namedParameters();
  const rules = o.paramGroups ?? [];
  const ruleOf = firstMatchingRule(
    all.map(([n]) => n),
    rules,
  );
  const decided = new Set(ruleOf);
  rules.forEach((r, i) => {
    if (decided.has(i)) return;
    const where = `${o.source ?? 'config'}: optimizer.paramGroups[${i}].match`;
    const names = all.map(([n]) => n);
    if (names.some((n) => globRegExp(r.match).test(n))) throw new ConfigError(`${where}: every parameter "${r.match}" matches is taken by an earlier rule (the first match wins)`);
    throw new ConfigError(`${where}: "${r.match}" matches no parameter of the model (names begin ${namePrefixes(names)})`);
  });
  const out: DetectionParamEntry[] = [];
  all.forEach(([name, variable], k) => {
    if (!variable.trainable) return;
    const rule = ruleOf[k] >= 0 ? rules[ruleOf[k]] : undefined;
    const recipe = normParams.has(name) ? wdNorm : name === 'bias' || name.endsWith('.bias') ? wdBias : o.weightDecay;
    out.push({ name, variable, weightDecay: rule?.weightDecay ?? recipe, lrMult: rule?.lrMult ?? 1 });
  });
  return out;
}
