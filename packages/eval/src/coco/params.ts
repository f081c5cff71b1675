/**
 * COCOeval parameters with pycocotools' defaults. Thresholds are numpy linspaces (start +
 * i*step in float64, last point exactly `stop`), never i/100: the difference moves AP.
 */

export type IouType = 'bbox' | 'segm';

export interface CocoEvalParams {
  iouType: IouType;
  /** Image ids to evaluate; the evaluator uses them sorted and deduplicated. Default: every GT image. */
  imgIds: number[];
  /** Category ids; sorted and deduplicated when useCats is on. Default: every GT category. */
  catIds: number[];
  /** IoU thresholds (T), default linspace(0.5, 0.95, 10). */
  iouThrs: number[];
  /** Recall levels (R), default linspace(0, 1, 101). */
  recThrs: number[];
  /** Detections kept per image (and category), sorted ascending before use. Default [1, 10, 100]. */
  maxDets: number[];
  /** Closed GT-area ranges [lo, hi]; default all, small, medium, large. */
  areaRng: [number, number][];
  areaRngLbl: string[];
  /** Off: categories are ignored and pooled as one category with id -1 (proposal scoring). */
  useCats: boolean;
}

/** numpy.linspace(start, stop, num) with endpoint=True, bit for bit. */
export function linspace(start: number, stop: number, num: number): number[] {
  if (num <= 0) return [];
  if (num === 1) return [start];
  const div = num - 1;
  const delta = stop - start;
  const step = delta / div;
  const out = new Array<number>(num);
  for (let i = 0; i < num; i++) out[i] = step === 0 ? (i / div) * delta + start : i * step + start;
  out[num - 1] = stop;
  return out;
}

export const DEFAULT_AREA_RANGES: [number, number][] = [
  [0, 1e10],
  [0, 32 ** 2],
  [32 ** 2, 96 ** 2],
  [96 ** 2, 1e10],
];
export const DEFAULT_AREA_LABELS = ['all', 'small', 'medium', 'large'];

/** Defaults for bbox/segm; imgIds and catIds are filled from the ground truth by the evaluator. */
export function defaultParams(iouType: IouType = 'bbox'): CocoEvalParams {
  return {
    iouType,
    imgIds: [],
    catIds: [],
    iouThrs: linspace(0.5, 0.95, Math.round((0.95 - 0.5) / 0.05) + 1),
    recThrs: linspace(0.0, 1.0, Math.round((1.0 - 0.0) / 0.01) + 1),
    maxDets: [1, 10, 100],
    areaRng: DEFAULT_AREA_RANGES.map((r) => [r[0], r[1]]),
    areaRngLbl: [...DEFAULT_AREA_LABELS],
    useCats: true,
  };
}

const OVERRIDABLE = ['iouThrs', 'recThrs', 'maxDets', 'areaRng', 'areaRngLbl', 'useCats', 'imgIds', 'catIds'] as const;
export type ParamsOverrides = Partial<Pick<CocoEvalParams, (typeof OVERRIDABLE)[number]>>;

function numberList(value: unknown, where: string, check?: (n: number) => string | undefined): number[] {
  if (!Array.isArray(value)) throw new Error(`${where}: expected a list of numbers, got ${JSON.stringify(value)}`);
  return value.map((v, i) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw new Error(`${where}[${i}]: expected a number, got ${JSON.stringify(v)}`);
    const problem = check?.(v);
    if (problem) throw new Error(`${where}[${i}]: ${problem}, got ${JSON.stringify(v)}`);
    return v;
  });
}

/**
 * Validates a plain object of parameter overrides (e.g. a params JSON file). Unknown keys
 * are an error naming the key, so a typo never silently keeps a default.
 */
export function parseParamsOverrides(raw: unknown, source = 'params'): ParamsOverrides {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`${source}: expected a JSON object of COCOeval Params fields`);
  const out: ParamsOverrides = {};
  for (const [key, value] of Object.entries(raw as Record<string, unknown>)) {
    const where = `${source}.${key}`;
    switch (key) {
      case 'iouThrs':
        out.iouThrs = numberList(value, where);
        break;
      case 'recThrs':
        out.recThrs = numberList(value, where);
        break;
      case 'maxDets':
        out.maxDets = numberList(value, where, (n) => (!Number.isInteger(n) || n < 0 ? 'expected a non-negative integer' : undefined));
        break;
      case 'imgIds':
        out.imgIds = numberList(value, where);
        break;
      case 'catIds':
        out.catIds = numberList(value, where);
        break;
      case 'areaRng': {
        if (!Array.isArray(value)) throw new Error(`${where}: expected a list of [lo, hi] pairs, got ${JSON.stringify(value)}`);
        out.areaRng = value.map((r, i) => {
          const pair = numberList(r, `${where}[${i}]`);
          if (pair.length !== 2) throw new Error(`${where}[${i}]: expected [lo, hi], got ${JSON.stringify(r)}`);
          return [pair[0], pair[1]];
        });
        break;
      }
      case 'areaRngLbl':
        if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) throw new Error(`${where}: expected a list of strings, got ${JSON.stringify(value)}`);
        out.areaRngLbl = value as string[];
        break;
      case 'useCats':
        if (value !== 0 && value !== 1 && value !== true && value !== false) throw new Error(`${where}: expected 0, 1, true or false, got ${JSON.stringify(value)}`);
        out.useCats = Boolean(value);
        break;
      default:
        throw new Error(`${source}: unknown Params field "${key}" (known: ${OVERRIDABLE.join(', ')})`);
    }
  }
  return out;
}

/** Checks what summarize() needs (pycocotools would raise IndexError on these). */
export function checkSummarizable(p: CocoEvalParams, source = 'params'): void {
  if (p.maxDets.length < 3) throw new Error(`${source}.maxDets: summarize() needs 3 values (it reads maxDets[0..2]), got ${JSON.stringify(p.maxDets)}`);
  p.areaRngLbl.forEach((label, idx) => {
    if (['all', 'small', 'medium', 'large'].includes(label) && idx >= p.areaRng.length) {
      throw new Error(`${source}.areaRng: summarize() reads the "${label}" range at index ${idx} (areaRngLbl), but only ${p.areaRng.length} ranges are given`);
    }
  });
}
