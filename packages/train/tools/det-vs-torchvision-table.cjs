// @ts-check
/* global module */
/**
 * The side-by-side table of the detection-training comparison against torchvision (issue #17),
 * rendered from its results JSON (det-vs-torchvision.mjs writes both), and the README section
 * between the marker comments that holds it. CommonJS so that the ESM driver and the jest test
 * (which re-renders the committed JSON and compares it with the README) load the same code.
 *
 * Acceptance (issue #17): our mean final bbox AP is within 2 points of torchvision's mean, or
 * within the range of torchvision's seeds.
 */

const START = '<!-- det-vs-torchvision:start (written by packages/train/tools/det-vs-torchvision.mjs; do not edit) -->';
const END = '<!-- det-vs-torchvision:end -->';
const TOLERANCE_POINTS = 2;

/**
 * @typedef {{ AP: number, AP50: number, AP75: number, wallSeconds: number }} SideResult
 * @typedef {{ seed: number, ours: SideResult, torchvision: SideResult }} SeedResult
 * @typedef {{ seed: number, ours: SideResult, torchvision: SideResult, crossEval?: { AP: number } }} SeedResultWithCross
 * @typedef {{ commands: { all: string, ours: string, torchvision: string, render: string, crossEval?: string },
 *   load: { before: string, after: string }, seeds: SeedResult[], config: string, iterations: number }} ComparisonResults
 * @typedef {{ mean: number, std: number, min: number, max: number }} Spread
 */

/** @param {number[]} v @returns {Spread} */
function spread(v) {
  if (v.length === 0) throw new Error('det-vs-torchvision-table: no seeds');
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  // Sample standard deviation (n - 1), 0 for one seed.
  const std = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0;
  return { mean, std, min: Math.min(...v), max: Math.max(...v) };
}

/** AP in points (COCO's 0..1 times 100). @param {number} x */
const pts = (x) => (x * 100).toFixed(2);

/**
 * The verdict numbers: AP spreads in points of both sides and whether the acceptance holds.
 * @param {ComparisonResults} r
 */
function verdict(r) {
  const ours = spread(r.seeds.map((s) => s.ours.AP * 100));
  const tv = spread(r.seeds.map((s) => s.torchvision.AP * 100));
  const difference = ours.mean - tv.mean;
  const withinTolerance = Math.abs(difference) <= TOLERANCE_POINTS;
  const withinSeedRange = ours.mean >= tv.min && ours.mean <= tv.max;
  return { ours, torchvision: tv, difference, withinTolerance, withinSeedRange, pass: withinTolerance || withinSeedRange };
}

/** @param {ComparisonResults} r @returns {string} */
function renderTable(r) {
  const v = verdict(r);
  const ap50 = { ours: spread(r.seeds.map((s) => s.ours.AP50 * 100)), torchvision: spread(r.seeds.map((s) => s.torchvision.AP50 * 100)) };
  const f = (/** @type {number} */ x) => x.toFixed(2);
  const lines = [
    `Faster R-CNN over \`resnet18\` (plain BatchNorm in training mode, nothing frozen), \`${r.config}\`, ${r.iterations} iterations, the same initial weights, batches and learning rates on both sides; final bbox AP on the synthetic validation images, both sides scored by @tfvision/eval.`,
    '',
    '```',
    r.commands.all,
    `# per seed, ours:        ${r.commands.ours}`,
    `# per seed, torchvision: ${r.commands.torchvision}`,
    `# table and plot only:   ${r.commands.render}`,
    ...(r.commands.crossEval ? [`# our weights, torchvision's inference: ${r.commands.crossEval}`] : []),
    '```',
    '',
    '| seed | ours AP | ours AP50 | torchvision AP | torchvision AP50 | ours wall s | torchvision wall s |',
    '|---|---|---|---|---|---|---|',
    ...r.seeds.map((s) => `| ${s.seed} | ${pts(s.ours.AP)} | ${pts(s.ours.AP50)} | ${pts(s.torchvision.AP)} | ${pts(s.torchvision.AP50)} | ${s.ours.wallSeconds.toFixed(0)} | ${s.torchvision.wallSeconds.toFixed(0)} |`),
    `| mean ± std | ${f(v.ours.mean)} ± ${f(v.ours.std)} | ${f(ap50.ours.mean)} ± ${f(ap50.ours.std)} | ${f(v.torchvision.mean)} ± ${f(v.torchvision.std)} | ${f(ap50.torchvision.mean)} ± ${f(ap50.torchvision.std)} | | |`,
    `| min – max | ${f(v.ours.min)} – ${f(v.ours.max)} | ${f(ap50.ours.min)} – ${f(ap50.ours.max)} | ${f(v.torchvision.min)} – ${f(v.torchvision.max)} | ${f(ap50.torchvision.min)} – ${f(ap50.torchvision.max)} | | |`,
    '',
    `Ours minus torchvision, mean bbox AP: ${v.difference >= 0 ? '+' : ''}${f(v.difference)} points; ` +
      `within ${TOLERANCE_POINTS} points: ${v.withinTolerance ? 'yes' : 'no'}; within torchvision's seed range: ${v.withinSeedRange ? 'yes' : 'no'} ` +
      `(acceptance: either): **${v.pass ? 'pass' : 'fail'}**. Wall times are under load (2 shared cores; load average ${r.load.before} before, ${r.load.after} after).`,
    ...crossEvalLines(r),
    '',
    `![loss curves of the ${r.seeds.length * 2} runs, ours in blues, torchvision's in oranges](tools/det-vs-torchvision.png)`,
  ];
  return lines.join('\n');
}

/**
 * Our final weights through torchvision's inference, when the JSON has it: equal APs put any
 * difference in training, not in inference or scoring.
 * @param {ComparisonResults} r
 */
function crossEvalLines(r) {
  const seeds = /** @type {SeedResultWithCross[]} */ (r.seeds);
  if (!seeds.every((s) => s.crossEval)) return [];
  const same = seeds.every((s) => s.crossEval && s.crossEval.AP === s.ours.AP);
  return [
    '',
    `Our final weights through torchvision's inference, scored the same way: bbox AP ${seeds.map((s) => pts(s.crossEval ? s.crossEval.AP : NaN)).join(' / ')} ` +
      `against our own evaluation's ${seeds.map((s) => pts(s.ours.AP)).join(' / ')} (seeds ${seeds.map((s) => s.seed).join(', ')}): ${same ? 'identical' : 'different'}.`,
  ];
}

/** The README text between the markers, markers included. @param {ComparisonResults} r */
function renderSection(r) {
  return `${START}\n${renderTable(r)}\n${END}`;
}

/**
 * The section as it stands in `readme` (markers included), or undefined when the markers are absent.
 * @param {string} readme
 */
function readSection(readme) {
  const a = readme.indexOf(START);
  const b = readme.indexOf(END);
  if (a < 0 || b < a) return undefined;
  return readme.slice(a, b + END.length);
}

/**
 * `readme` with its section replaced by the rendering of `r` (appended under `heading` when absent).
 * @param {string} readme @param {ComparisonResults} r @param {string} heading
 */
function replaceSection(readme, r, heading) {
  const current = readSection(readme);
  if (current !== undefined) return readme.replace(current, () => renderSection(r));
  return `${readme.replace(/\n*$/, '\n')}\n${heading}\n\n${renderSection(r)}\n`;
}

module.exports = { START, END, TOLERANCE_POINTS, spread, verdict, renderTable, renderSection, readSection, replaceSection };
