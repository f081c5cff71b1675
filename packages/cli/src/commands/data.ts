import { CocoIndex, SYNTH_DEFAULT_SIZE, generateSyntheticCoco, readCocoFile } from '@tfvision/coco';
import { numberFlag, parseArgs, requiredFlag, type ParsedArgs } from '../args.js';
import { UsageError, type Command } from '../command.js';

const HELP = `Usage:
  tfvision data synth --out DIR --images N --seed S [--size ${SYNTH_DEFAULT_SIZE}] [--json]
  tfvision data check FILE [--json]

synth  writes a synthetic COCO instances dataset of coloured shapes (circle, square,
       triangle, hexagon, star): DIR/images/*.png and DIR/annotations.json with boxes,
       polygons, mask areas and a few crowd regions (RLE). The same arguments always give
       the same bytes.
         --out DIR     output folder (created if absent)
         --images N    number of images
         --seed S      integer seed
         --size W      image width in pixels, 32..4096 (height is W or 3/4 of W)
check  reads and validates a COCO instances file and prints its counts; problems are
       listed with their JSON paths and the command exits 1.
--json prints one JSON object instead of text.
`;

function requiredInteger(args: ParsedArgs, flag: string, min: number): number {
  const text = requiredFlag(args, flag, 'synth');
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < min) {
    throw new UsageError(`synth: --${flag} must be an integer${min > Number.MIN_SAFE_INTEGER ? ` >= ${min}` : ''}, got "${text}"`);
  }
  return value;
}

async function synth(argv: string[]): Promise<number> {
  const args = parseArgs(argv, { values: ['out', 'images', 'seed', 'size'], booleans: ['json'] }, 'synth');
  if (args.positional.length > 0) throw new UsageError(`synth: unexpected argument "${args.positional[0]}"`);
  const outDir = requiredFlag(args, 'out', 'synth');
  const images = requiredInteger(args, 'images', 1);
  const seed = requiredInteger(args, 'seed', Number.MIN_SAFE_INTEGER);
  const size = numberFlag(args, 'size', 'synth', SYNTH_DEFAULT_SIZE);
  if (!Number.isInteger(size) || size < 32 || size > 4096) throw new UsageError(`synth: --size must be an integer in 32..4096, got ${size}`);
  const out = await generateSyntheticCoco({ outDir, images, seed, size });
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
