import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { CocoIndex, SYNTH_DEFAULT_RANDOM_OCCLUSION, SYNTH_DEFAULT_SIZE, generateSyntheticCoco, readCocoFile } from '@tfvision/coco';
import { numberFlag, parseArgs, requiredFlag, stringFlag, type ParsedArgs } from '../args.js';
import { UsageError, type Command } from '../command.js';

/** About 1 ms an image at 32 px and 10 ms at 128: a million is hours of work and 10^6 files. */
const SYNTH_MAX_IMAGES = 1_000_000;
/** Counts from which generation takes long enough (seconds) to show progress. */
const SYNTH_PROGRESS_FROM = 1000;
const PROGRESS_EVERY_MS = 1000;

const HELP = `Usage:
  tfvision data synth --out DIR --images N --seed S [--size ${SYNTH_DEFAULT_SIZE}] [--colors category|random] [--max-occlusion F] [--json]
  tfvision data check FILE [--json]

synth  writes a synthetic COCO instances dataset of coloured shapes (circle, square,
       triangle, hexagon, star): DIR/images/*.png and DIR/annotations.json with boxes,
       polygons, mask areas and a few crowd regions (RLE). The same arguments always give
       the same bytes.
         --out DIR     output folder (created if absent)
         --images N    number of images, 1..${SYNTH_MAX_IMAGES} (progress on stderr from ${SYNTH_PROGRESS_FROM})
         --seed S      integer seed
         --size W      image width in pixels, 32..4096 (height is W or 3/4 of W)
         --colors C    category (default): one colour per category; random: a random
                       colour per instance, so the class is the shape alone
         --max-occlusion F
                       largest fraction of an instance later shapes may cover, 0..0.9
                       (default 0 with category colours, ${SYNTH_DEFAULT_RANDOM_OCCLUSION} with random);
                       occluded instances are annotated by their visible pixels (RLE)
check  reads and validates a COCO instances file and prints its counts; problems are
       listed with their JSON paths and the command exits 1.
--json prints one JSON object instead of text.
`;

function requiredInteger(args: ParsedArgs, flag: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const text = requiredFlag(args, flag, 'synth');
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    const range = max < Number.MAX_SAFE_INTEGER ? ` in ${min}..${max}` : min > Number.MIN_SAFE_INTEGER ? ` >= ${min}` : '';
    throw new UsageError(`synth: --${flag} must be an integer${range}, got "${text}"`);
  }
  return value;
}

/**
 * Images written so far, found by binary search over the file names the generator writes in
 * order (images/000001.png, ...): a few stat calls, where listing the folder would read 10^6
 * entries. The generator has no progress callback to use instead.
 */
function imagesWritten(imageDir: string, total: number): number {
  const digits = Math.max(6, String(total).length);
  const exists = (i: number) => existsSync(join(imageDir, `${String(i).padStart(digits, '0')}.png`));
  let [lo, hi] = [0, total];
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (exists(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Prints `synth: N/M images` to stderr every second until stopped (one line each off a terminal). */
function startProgress(imageDir: string, total: number): () => void {
  const started = Date.now();
  const tty = process.stderr.isTTY === true;
  const timer = setInterval(() => {
    const done = imagesWritten(imageDir, total);
    const rate = done / ((Date.now() - started) / 1000);
    const eta = rate > 0 ? ` ETA ${Math.ceil((total - done) / rate)} s` : '';
    process.stderr.write(`synth: ${done}/${total} images (${((100 * done) / total).toFixed(0)}%, ${rate.toFixed(0)}/s${eta})${tty ? '\r' : '\n'}`);
  }, PROGRESS_EVERY_MS);
  return () => {
    clearInterval(timer);
    if (tty) process.stderr.write('\n');
  };
}

async function synth(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['out', 'images', 'seed', 'size', 'colors', 'max-occlusion'], booleans: ['json'] }, 'synth');
  if (args.positional.length > 0) throw new UsageError(`synth: unexpected argument "${args.positional[0]}"`);
  const outDir = requiredFlag(args, 'out', 'synth');
  const images = requiredInteger(args, 'images', 1, SYNTH_MAX_IMAGES);
  const seed = requiredInteger(args, 'seed', Number.MIN_SAFE_INTEGER);
  const size = numberFlag(args, 'size', 'synth', SYNTH_DEFAULT_SIZE);
  if (!Number.isInteger(size) || size < 32 || size > 4096) throw new UsageError(`synth: --size must be an integer in 32..4096, got ${size}`);
  const colors = stringFlag(args, 'colors') ?? 'category';
  if (colors !== 'category' && colors !== 'random') throw new UsageError(`synth: --colors must be "category" or "random", got "${colors}"`);
  const maxOcclusion = stringFlag(args, 'max-occlusion') !== undefined ? numberFlag(args, 'max-occlusion', 'synth', 0) : undefined;
  if (maxOcclusion !== undefined && !(maxOcclusion >= 0 && maxOcclusion <= 0.9)) throw new UsageError(`synth: --max-occlusion must be in 0..0.9, got ${stringFlag(args, 'max-occlusion')}`);
  const stop = images >= SYNTH_PROGRESS_FROM ? startProgress(join(outDir, 'images'), images) : () => undefined;
  let out;
  try {
    out = await generateSyntheticCoco({ outDir, images, seed, size, colors, maxOcclusion });
  } finally {
    stop();
  }
  const summary = {
    annotationFile: out.annotationFile,
    imageDir: out.imageDir,
    images: out.dataset.images.length,
    annotations: out.dataset.annotations.length,
    crowd: out.dataset.annotations.filter((a) => a.iscrowd === 1).length,
    categories: out.dataset.categories.length,
  };
  if (args.flags.has('json')) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    process.stdout.write(
      `wrote ${summary.images} images (${summary.imageDir}) and ${summary.annotations} annotations ` +
        `(${summary.crowd} crowd, ${summary.categories} categories) to ${summary.annotationFile}\n`,
    );
  }
  return 0;
}

async function check(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: [], booleans: ['json'] }, 'check');
  if (args.positional.length !== 1) throw new UsageError('check: expected one FILE');
  const dataset = await readCocoFile(args.positional[0]);
  const index = new CocoIndex(dataset);
  const perCategory: Record<string, number> = {};
  for (const cat of dataset.categories) perCategory[cat.name] = index.getAnnIds({ catIds: cat.id }).length;
  const summary = {
    file: args.positional[0],
    images: dataset.images.length,
    annotations: dataset.annotations.length,
    crowd: index.getAnnIds({ iscrowd: true }).length,
    categories: dataset.categories.length,
    imagesWithoutAnnotations: dataset.images.filter((img) => !index.imgToAnns.has(img.id)).length,
    annotationsPerCategory: perCategory,
  };
  if (args.flags.has('json')) process.stdout.write(`${JSON.stringify(summary)}\n`);
  else {
    const width = Math.max(0, ...Object.keys(perCategory).map((k) => k.length));
    process.stdout.write(
      [
        `${summary.file}: valid COCO instances file`,
        `  images       ${summary.images} (${summary.imagesWithoutAnnotations} without annotations)`,
        `  annotations  ${summary.annotations} (${summary.crowd} crowd)`,
        `  categories   ${summary.categories}`,
        ...Object.entries(perCategory).map(([name, n]) => `    ${name.padEnd(width)}  ${n}`),
        '',
      ].join('\n'),
    );
  }
  return 0;
}

export const dataCommand: Command = {
  name: 'data',
  summary: 'generate and inspect datasets (synthetic COCO)',
  help: HELP,
  async run(argv: string[]): Promise<number> {
    const [sub, ...rest] = argv;
    if (sub === 'synth') return synth(rest);
    if (sub === 'check') return check(rest);
    throw new UsageError(sub === undefined ? 'expected a subcommand: synth or check' : `unknown subcommand "${sub}" (known: synth, check)`);
  },
};
