/**
 * The samples `tfvision eval cls` reads: an ImageNet-style folder (DIR/<class>/<files>, classes
 * in sorted order as torchvision's ImageFolder, or in the order of a classes file) or a flat
 * folder whose labels come from a file of `NAME INDEX` lines (ImageNet val kept flat).
 * Files that fail to decode are not fatal: the dataset returns them with the label
 * `classes.length` (CORRUPT), a 1x1 black image, and the CLI lists and counts them.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ImageU8 } from '../augment/image.js';
import { IMG_EXTENSIONS } from '../data/image-folder.js';
import type { ClassificationDataset, ClassificationSample, LoaderSource, WorkerFactorySpec } from '../data/types.js';
import { decodePilRgb } from './pil-decode.js';
import { timmEvalCrop, type EvalTransformConfig } from './timm-eval-transform.js';

export interface EvalSample {
  path: string;
  label: number;
}

export interface EvalListing {
  classes: string[];
  samples: EvalSample[];
}

function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function isImageFile(name: string): boolean {
  const lower = name.toLowerCase();
  return IMG_EXTENSIONS.some((e) => lower.endsWith(e));
}

function isDir(p: string): boolean {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
}

function walk(dir: string, out: string[]): void {
  const subdirs: string[] = [];
  for (const name of readdirSync(dir).sort(byCodePoint)) {
    const p = join(dir, name);
    if (isDir(p)) subdirs.push(p);
    else if (isImageFile(name)) out.push(p);
  }
  for (const s of subdirs) walk(s, out);
}

/** One class name per non-empty line, order = class index. */
export function readClassesFile(path: string): string[] {
  const names = readFileSync(path, 'utf8').split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  if (names.length === 0) throw new Error(`eval cls: --classes ${path} lists no classes`);
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n)) throw new Error(`eval cls: --classes ${path} lists "${n}" twice`);
    seen.add(n);
  }
  return names;
}

/** DIR/<class>/... ; with `classes` given, every folder must be one of them (others are an error). */
export function listClassFolder(root: string, classes?: string[]): EvalListing {
  if (!isDir(root)) throw new Error(`eval cls: --data ${root} is not a folder`);
  const folders = readdirSync(root).filter((n) => isDir(join(root, n))).sort(byCodePoint);
  if (folders.length === 0) throw new Error(`eval cls: --data ${root} has no class folders (use --labels for a flat folder)`);
  const names = classes ?? folders;
  const index = new Map(names.map((n, i) => [n, i]));
  const samples: EvalSample[] = [];
  for (const folder of folders) {
    const label = index.get(folder);
    if (label === undefined) throw new Error(`eval cls: class folder "${folder}" in ${root} is not in the classes file`);
    const files: string[] = [];
    walk(join(root, folder), files);
    if (files.length === 0) throw new Error(`eval cls: class folder ${join(root, folder)} has no images`);
    for (const path of files) samples.push({ path, label });
  }
  return { classes: names, samples };
}

/**
 * A flat folder of images and a labels file of `NAME INDEX` lines (NAME a file name in the
 * folder, INDEX a class index). Images without a label are an error, as are labels naming
 * missing files; class names come from `classes` or are the indices themselves.
 */
export function listLabelledFolder(root: string, labelsPath: string, numClasses: number, classes?: string[]): EvalListing {
  if (!isDir(root)) throw new Error(`eval cls: --data ${root} is not a folder`);
  const labels = new Map<string, number>();
  readFileSync(labelsPath, 'utf8').split(/\r?\n/).forEach((line, i) => {
    const t = line.trim();
    if (t === '' || t.startsWith('#')) return;
    const m = /^(\S+)\s+(\d+)$/.exec(t);
    if (!m) throw new Error(`eval cls: --labels ${labelsPath}:${i + 1}: expected "NAME INDEX", got "${t}"`);
    const idx = Number(m[2]);
    if (idx >= numClasses) throw new Error(`eval cls: --labels ${labelsPath}:${i + 1}: class index ${idx} is out of range for ${numClasses} classes`);
    labels.set(basename(m[1]), idx);
  });
  const files = readdirSync(root).filter((n) => isImageFile(n) && !isDir(join(root, n))).sort(byCodePoint);
  if (files.length === 0) throw new Error(`eval cls: --data ${root} has no images`);
  const samples: EvalSample[] = [];
  for (const f of files) {
    const label = labels.get(f);
    if (label === undefined) throw new Error(`eval cls: ${join(root, f)} has no line in --labels ${labelsPath}`);
    samples.push({ path: join(root, f), label });
  }
  for (const name of labels.keys()) if (!existsSync(join(root, name))) throw new Error(`eval cls: --labels ${labelsPath} names ${name}, which is not in ${root}`);
  return { classes: classes ?? Array.from({ length: numClasses }, (_, i) => String(i)), samples };
}

const BLANK: ImageU8 = { data: new Uint8Array(3), height: 1, width: 1, channels: 3 };

/** Decodes with PIL semantics; undecodable files come back as label `classes.length`. */
export class EvalDataset implements ClassificationDataset {
  readonly length: number;
  constructor(readonly listing: EvalListing) {
    this.length = listing.samples.length;
  }

  get classes(): string[] {
    return this.listing.classes;
  }

  /** The label that marks a file that could not be decoded. */
  get corruptLabel(): number {
    return this.listing.classes.length;
  }

  async get(i: number): Promise<ClassificationSample> {
    const s = this.listing.samples[i];
    try {
      return { image: await decodePilRgb(s.path), label: s.label };
    } catch {
      return { image: BLANK, label: this.corruptLabel };
    }
  }
}

export interface EvalSourceSpec {
  listing: EvalListing;
  transform: EvalTransformConfig;
}

/** Worker factory entry point: the dataset and the timm eval crop. */
export function createEvalLoaderSource(spec: EvalSourceSpec): LoaderSource {
  const cfg = spec.transform;
  return { dataset: new EvalDataset(spec.listing), transform: (img) => timmEvalCrop(img, cfg) };
}

/** The worker factory for `spec`, or undefined when the compiled module is not built. */
export function evalWorkerFactory(spec: EvalSourceSpec): WorkerFactorySpec | undefined {
  let module = fileURLToPath(new URL('./eval-dataset.js', import.meta.url));
  // From src/ (tests, ts runners) the workers still need the compiled module in dist/.
  if (!existsSync(module)) module = fileURLToPath(new URL('../../dist/eval-transform/eval-dataset.js', import.meta.url));
  if (!existsSync(module)) return undefined;
  return { module, exportName: 'createEvalLoaderSource', args: structuredClone(spec) };
}
