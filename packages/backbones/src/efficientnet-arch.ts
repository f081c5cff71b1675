/**
 * EfficientNet architecture as data: the B0 block table in timm's block-string notation and
 * the compound scaling rules (Tan & Le, 2019) that derive B1-B7 from it.
 */
import { makeDivisible } from '@tfvision/nn';

export type MobileBlockType = 'ds' | 'ir';

/** One row of an architecture table: `repeats` blocks of one kind (timm's decoded block string). */
export interface BlockDef {
  type: MobileBlockType;
  repeats: number;
  kernelSize: number;
  /** Stride of the first block of the row; the others have stride 1. */
  stride: number;
  expRatio: number;
  outChannels: number;
  /** SE width as a fraction of the block input channels; 0 = no SE. */
  seRatio: number;
  noskip: boolean;
}

/** EfficientNet-B0, one row per stage (timm's `_gen_efficientnet` arch_def). */
export const EFFICIENTNET_B0_ARCH: readonly string[] = [
  'ds_r1_k3_s1_e1_c16_se0.25',
  'ir_r2_k3_s2_e6_c24_se0.25',
  'ir_r2_k5_s2_e6_c40_se0.25',
  'ir_r3_k3_s2_e6_c80_se0.25',
  'ir_r3_k5_s1_e6_c112_se0.25',
  'ir_r4_k5_s2_e6_c192_se0.25',
  'ir_r1_k3_s1_e6_c320_se0.25',
];

const INT_FIELDS: Record<string, keyof BlockDef> = { r: 'repeats', k: 'kernelSize', s: 'stride', c: 'outChannels' };

/**
 * Parses a block string such as `ir_r2_k3_s2_e6_c24_se0.25` (type, then r repeats, k kernel,
 * s stride, e expansion, c output channels, se ratio, optional `noskip`). Bad strings throw
 * naming the string and the field.
 */
export function parseBlockString(s: string): BlockDef {
  const [type, ...ops] = s.split('_');
  if (type !== 'ds' && type !== 'ir') throw new Error(`block "${s}": unknown block type "${type}" (known: ds, ir)`);
  const def: Partial<BlockDef> = { type, expRatio: 1, seRatio: 0, noskip: false };
  for (const op of ops) {
    if (op === 'noskip') {
      def.noskip = true;
      continue;
    }
    const m = /^([a-z]+)(\d+(?:\.\d+)?)$/.exec(op);
    if (!m) throw new Error(`block "${s}": cannot parse "${op}" (expected a letter code and a number, e.g. k3)`);
    const [, key, num] = m;
    const value = Number(num);
    if (key === 'e') def.expRatio = value;
    else if (key === 'se') def.seRatio = value;
    else if (INT_FIELDS[key]) {
      if (!Number.isInteger(value) || value < 1) throw new Error(`block "${s}": ${key} must be a positive integer, got ${num}`);
      (def as Record<string, unknown>)[INT_FIELDS[key]] = value;
    } else throw new Error(`block "${s}": unknown option "${key}" (known: r, k, s, e, c, se, noskip)`);
  }
  for (const [key, field] of Object.entries(INT_FIELDS)) {
    if (def[field] === undefined) throw new Error(`block "${s}": missing "${key}" (${field})`);
  }
  if (def.stride !== 1 && def.stride !== 2) throw new Error(`block "${s}": stride must be 1 or 2, got ${def.stride}`);
  if (type === 'ds' && def.expRatio !== 1) throw new Error(`block "${s}": a ds block has no expansion, got e${def.expRatio}`);
  return def as BlockDef;
}

/** timm's round_channels: width × multiplier to a multiple of `divisor`, never 10% below. */
export function roundChannels(channels: number, multiplier: number, divisor = 8): number {
  if (!multiplier) return channels;
  return makeDivisible(channels * multiplier, divisor, undefined, 0.9);
}

/** EfficientNet's depth scaling: every stage's repeats × multiplier, rounded up. */
export function scaleRepeats(repeats: number, multiplier: number): number {
  return Math.ceil(repeats * multiplier);
}

/** Compound scaling coefficients of one variant (width, depth; the paper's phi table). */
export interface EfficientNetScale {
  channelMultiplier: number;
  depthMultiplier: number;
}

/**
 * The B0 table scaled: repeats rounded up by the depth multiplier, output widths rounded by
 * the channel multiplier. Stem (32) and head (1280) widths scale with the same rule.
 */
export function scaleArch(arch: readonly string[], scale: EfficientNetScale): { stages: BlockDef[]; stemChannels: number; headChannels: number } {
  const stages = arch.map(parseBlockString).map((d) => ({
    ...d,
    repeats: scaleRepeats(d.repeats, scale.depthMultiplier),
    outChannels: roundChannels(d.outChannels, scale.channelMultiplier),
  }));
  return { stages, stemChannels: roundChannels(32, scale.channelMultiplier), headChannels: roundChannels(1280, scale.channelMultiplier) };
}
