/**
 * Per-parameter optimiser rules by name, detectron2's get_default_optimizer_params `overrides`
 * (solver/build.py) and mmcv's paramwise_cfg.custom_keys in config form:
 * `{ "match": "backbone.body.*", "lrMult": 0.1, "weightDecay": 0 }`. `match` is a glob on the
 * dotted parameter name, anchored at both ends: `*` is any run of characters (dots included, so
 * `backbone.body.*` covers every backbone weight), `?` one character. The first rule that matches
 * a name decides for it; a name no rule matches keeps the defaults (lrMult 1, the recipe's decay).
 */
import { ConfigError } from '../config/schema.js';

export interface ParamGroupRule {
  /** Glob on dotted parameter names (`*` any characters including dots, `?` one character). */
  match: string;
  /** Multiplies the scheduled learning rate for the matched parameters. Default 1. */
  lrMult?: number;
  /** Replaces the matched parameters' weight decay (norm and bias rules included). Default: the recipe's. */
  weightDecay?: number;
}

const RULE_KEYS = ['match', 'lrMult', 'weightDecay'];

/** Throws ConfigError `${source}: ${path}[i].key: ...` unless `value` is a list of well-formed rules. */
export function checkParamGroupRules(value: unknown, path: string, source: string): asserts value is ParamGroupRule[] {
  const fail = (where: string, msg: string): never => {
    throw new ConfigError(`${source}: ${where}: ${msg}`);
  };
  if (!Array.isArray(value)) fail(path, `expected an array of { match, lrMult?, weightDecay? }, got ${value === null ? 'null' : typeof value}`);
  (value as unknown[]).forEach((rule, i) => {
    const at = `${path}[${i}]`;
    if (typeof rule !== 'object' || rule === null || Array.isArray(rule)) fail(at, `expected an object { match, lrMult?, weightDecay? }, got ${JSON.stringify(rule)}`);
    const r = rule as Record<string, unknown>;
    for (const key of Object.keys(r)) if (!RULE_KEYS.includes(key)) fail(at, `unknown key "${key}" (known: ${RULE_KEYS.join(', ')})`);
    if (typeof r.match !== 'string' || r.match.length === 0) fail(`${at}.match`, `expected a non-empty glob string, got ${JSON.stringify(r.match)}`);
    if (r.lrMult !== undefined && !(typeof r.lrMult === 'number' && Number.isFinite(r.lrMult) && r.lrMult >= 0)) fail(`${at}.lrMult`, `must be a number >= 0, got ${JSON.stringify(r.lrMult)}`);
    if (r.weightDecay !== undefined && !(typeof r.weightDecay === 'number' && Number.isFinite(r.weightDecay) && r.weightDecay >= 0)) fail(`${at}.weightDecay`, `must be a number >= 0, got ${JSON.stringify(r.weightDecay)}`);
  });
}

/** The glob as an anchored regular expression. */
export function globRegExp(glob: string): RegExp {
  const body = [...glob].map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${body}$`);
}

/** For each name, the index of the first rule matching it, or -1. */
export function firstMatchingRule(names: readonly string[], rules: readonly ParamGroupRule[]): Int32Array {
  const patterns = rules.map((r) => globRegExp(r.match));
  return Int32Array.from(names, (n) => patterns.findIndex((p) => p.test(n)));
}
