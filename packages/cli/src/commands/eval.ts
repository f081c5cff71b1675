import { CocoValidationError, readCocoFile, readCocoResultsFile, readJsonFile, type CocoDataset } from '@tfvision/coco';
import { evaluateCoco, parseParamsOverrides, type CocoEvalParams, type IouType, type ParamsOverrides } from '@tfvision/eval';
import { parseArgs, requiredFlag, stringFlag } from '../args.js';
import { UsageError, type Command } from '../command.js';
import { checkNotDirectory } from '../checks.js';
import { EVAL_CLS_HELP, runEvalCls } from './eval-cls.js';
import { EVAL_SEG_HELP, evalSeg } from './eval-seg.js';

const HELP = `Usage:
  tfvision eval coco --gt GT.json --dt DT.json --iou-type bbox|segm [--params P.json] [--json]

Evaluates COCO results exactly as pycocotools' COCOeval (loadRes, evaluate, accumulate,
summarize) and prints the 12-line summary and a per-category AP table.
  --gt FILE        COCO instances file (ground truth)
  --dt FILE        COCO results file: [{image_id, category_id, score, bbox|segmentation}]
  --iou-type T     bbox or segm
  --params FILE    JSON object of Params fields to override: iouThrs, recThrs, maxDets,
                   areaRng, areaRngLbl, useCats, imgIds, catIds (absent fields keep defaults)
  --json           print one JSON object: {"stats": [12 numbers], "perCategoryAP": {"<catId>": AP}}
                   (per category: mean of the valid precision entries over IoU thresholds and
                   recall levels, area "all", the last maxDets; -1 where none; key "-1" when
                   useCats is 0)
Results on images not in GT are an error; detections of categories absent from GT are dropped.
iouThrs and recThrs must lie in [0, 1]. Exit codes: 0 done, 1 a bad GT or results file,
2 usage or a bad --params file.
`;

/** The validator lists every problem on its own line; the CLI reports the first on one line. */
function oneLine(err: unknown): never {
  if (err instanceof CocoValidationError) {
    const first = err.problems[0];
    const more = err.problemCount > 1 ? ` (and ${err.problemCount - 1} more problem${err.problemCount > 2 ? 's' : ''})` : '';
    throw new Error(first ? `${err.source}: ${first.path}: ${first.message}${more}` : err.message.split('\n')[0]);
  }
  throw err;
}

/** Thresholds are IoUs and recalls: outside [0, 1] they match nothing or everything, silently. */
function checkUnitInterval(values: number[] | undefined, field: string, path: string): void {
  values?.forEach((v, i) => {
    if (v < 0 || v > 1) throw new UsageError(`${path}: ${field}[${i}] must be within [0, 1], got ${v}`);
  });
}

/** A bad params file is a usage error naming the file, then the field: `P.json: maxDets[0]: ...`. */
async function readParams(path: string | undefined): Promise<ParamsOverrides> {
  if (path === undefined) return {};
  checkNotDirectory(path, 'params', 'coco', 'a JSON object of Params fields');
  const raw = await readJsonFile(path);
  let overrides: ParamsOverrides;
  try {
    overrides = parseParamsOverrides(raw, path);
  } catch (err) {
    // parseParamsOverrides joins source and field with a dot (P.json.maxDets); split them as every other file error does.
    const message = (err as Error).message;
    throw new UsageError(message.startsWith(`${path}.`) ? `${path}: ${message.slice(path.length + 1)}` : message);
  }
  checkUnitInterval(overrides.iouThrs, 'iouThrs', path);
  checkUnitInterval(overrides.recThrs, 'recThrs', path);
  return overrides;
}

/** Names the slice perCategoryAP averages, from the Params the evaluation used (they may be overridden). */
function categoryTitle(p: CocoEvalParams): string {
  const thrs = p.iouThrs;
  const iou = thrs.length === 0 ? 'none' : thrs.length === 1 ? thrs[0].toFixed(2) : `${thrs[0].toFixed(2)}:${thrs[thrs.length - 1].toFixed(2)}`;
  const allIdx = p.areaRngLbl.indexOf('all');
  const area = allIdx >= 0 && allIdx < p.areaRng.length ? 'all' : (p.areaRngLbl[0] ?? 'all');
  return `Per-category AP (IoU=${iou}, area=${area}, maxDets=${p.maxDets[p.maxDets.length - 1]})`;
}

function categoryTable(gt: CocoDataset, perCategoryAP: Record<string, number>): string[] {
  const names = new Map(gt.categories.map((c) => [String(c.id), c.name]));
  const rows = Object.entries(perCategoryAP).map(([id, ap]) => [id, names.get(id) ?? (id === '-1' ? '(all categories)' : ''), ap.toFixed(3)]);
  const w0 = Math.max(2, ...rows.map((r) => r[0].length));
  const w1 = Math.max(8, ...rows.map((r) => r[1].length));
  return [`${'id'.padStart(w0)}  ${'category'.padEnd(w1)}  AP`, ...rows.map(([id, name, ap]) => `${id.padStart(w0)}  ${name.padEnd(w1)}  ${ap}`)];
}

async function coco(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['gt', 'dt', 'iou-type', 'params'], booleans: ['json'] }, 'coco');
  if (args.positional.length > 0) throw new UsageError(`coco: unexpected argument "${args.positional[0]}"`);
  const gtPath = requiredFlag(args, 'gt', 'coco');
  const dtPath = requiredFlag(args, 'dt', 'coco');
  const iouType = requiredFlag(args, 'iou-type', 'coco');
  if (iouType !== 'bbox' && iouType !== 'segm') throw new UsageError(`coco: --iou-type must be bbox or segm, got "${iouType}"`);
  const paramsPath = stringFlag(args, 'params');
  checkNotDirectory(gtPath, 'gt', 'coco', 'a COCO instances JSON file');
  checkNotDirectory(dtPath, 'dt', 'coco', 'a COCO results JSON file');

  const gt = await readCocoFile(gtPath).catch(oneLine);
  const results = await readCocoResultsFile(dtPath, { groundTruth: gt }).catch(oneLine);
  const overrides = await readParams(paramsPath);
  const out = evaluateCoco(gt, results, iouType as IouType, overrides, { results: dtPath, params: paramsPath });
  if (args.flags.has('json')) {
    process.stdout.write(`${JSON.stringify({ stats: out.stats, perCategoryAP: out.perCategoryAP })}\n`);
  } else {
    process.stdout.write(`${out.summary}\n\n${categoryTitle(out.eval.params)}\n${categoryTable(gt, out.perCategoryAP).join('\n')}\n`);
  }
  return 0;
}

export const evalCommand: Command = {
  name: 'eval',
  summary: 'evaluate COCO results (bbox/segm) exactly as pycocotools',
  help: `${HELP}\n${EVAL_CLS_HELP}\n${EVAL_SEG_HELP}`,
  async run(argv: string[]): Promise<number> {
    const [sub, ...rest] = argv;
    if (sub === 'coco') return coco(rest);
    if (sub === 'cls') return runEvalCls(rest);
    if (sub === 'seg') return evalSeg(rest);
    throw new UsageError(sub === undefined ? 'expected a subcommand: coco' : `unknown subcommand "${sub}" (known: coco)`);
  },
};
