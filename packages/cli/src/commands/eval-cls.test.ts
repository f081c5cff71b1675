import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { runModelExport } from './model-export.js';
import { runEvalCls } from './eval-cls.js';

// The committed fixture of packages/train/tools/make_eval_folder.py (timm's numbers).
const EVAL_FIXTURE_DIR = join(__dirname, '..', '..', '..', 'train', 'fixtures', 'eval-cls');
interface EvalFixture {
  models: Record<string, { images: Record<string, unknown> }>;
  accuracy: { top1: number; top5: number; images: Record<string, { label: number; top5: number[] }> };
}
function readEvalFixture(): EvalFixture {
  return JSON.parse(readFileSync(join(EVAL_FIXTURE_DIR, 'expected.json'), 'utf8')) as EvalFixture;
}

const fixture = readEvalFixture();
const folder = join(EVAL_FIXTURE_DIR, 'folder');
const classes = join(EVAL_FIXTURE_DIR, 'classes.txt');
let dir = '';
let weights = '';

interface Out { images: number; top1: number; top5: number; corrupt: { count: number; files: string[] }; worst: { name: string; images: number }[] }
interface Pred { file: string; label: number; top5: number[] }

async function evalCls(...args: string[]): Promise<{ out: Out; preds: Pred[] }> {
  const chunks: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => { chunks.push(String(s)); return true; });
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  const predictions = join(dir, 'preds.json');
  try {
    await runEvalCls(['--model', 'resnest50d', '--weights', weights, '--workers', '0', '--backend', 'wasm', '--json', '--predictions', predictions, ...args]);
  } finally {
    spy.mockRestore();
    err.mockRestore();
  }
  return { out: JSON.parse(chunks.join('')) as Out, preds: JSON.parse(readFileSync(predictions, 'utf8')) as Pred[] };
}

function refOf(file: string): { label: number; top5: number[] } {
  return fixture.accuracy.images[file.split('/').pop()!.replace(/\.JPEG$/, '')];
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'eval-cls-test-'));
  weights = join(dir, 'resnest50d.safetensors');
  const err = jest.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    await runModelExport(['resnest50d', '--out', weights, '--backend', 'wasm']);
  } finally {
    err.mockRestore();
  }
}, 120000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tfvision eval cls', () => {
  it('folder layout with --classes: each image\'s top-5 is timm\'s, the corrupt file is listed, not fatal', async () => {
    // 13 files (12 JPEGs + corrupt.JPEG); --limit 5 takes listing positions 0, 2, 5, 7, 10.
    const { out, preds } = await evalCls('--data', folder, '--classes', classes, '--limit', '5', '--batch', '3');
    expect(out.images + out.corrupt.count).toBe(5);
    expect(preds).toHaveLength(out.images);
    let hit1 = 0, hit5 = 0;
    for (const p of preds) {
      const ref = refOf(p.file);
      expect([p.label, p.top5]).toEqual([ref.label, ref.top5]);
      if (ref.top5[0] === ref.label) hit1++;
      if (ref.top5.includes(ref.label)) hit5++;
    }
    expect(out.top1).toBeCloseTo((100 * hit1) / preds.length, 9);
    expect(out.top5).toBeCloseTo((100 * hit5) / preds.length, 9);
    expect(out.worst.reduce((s, c) => s + c.images, 0)).toBe(out.images);
  }, 120000);

  it('lists and counts an undecodable file and evaluates the rest', async () => {
    const root = join(dir, 'with-corrupt');
    mkdirSync(join(root, 'c0898'), { recursive: true });
    for (const f of ['corrupt.JPEG', 'tiny_61x47.JPEG']) copyFileSync(join(folder, 'c0898', f), join(root, 'c0898', f));
    const before = tf.memory().numTensors;
    const { out, preds } = await evalCls('--data', root, '--classes', classes);
    expect(tf.memory().numTensors).toBe(before); // the model and every batch's tensors are disposed
    expect(out.corrupt).toEqual({ count: 1, files: [join(root, 'c0898', 'corrupt.JPEG')] });
    expect(out.images).toBe(1);
    expect(preds[0].top5).toEqual(refOf('tiny_61x47').top5);
  }, 120000);

  it('flat layout with --labels gives the same labels and predictions', async () => {
    const flat = join(dir, 'flat');
    mkdirSync(flat);
    const names = ['gray_260x200', 'cmyk_310x240'];
    for (const cls of readdirSync(folder)) for (const f of readdirSync(join(folder, cls))) if (names.includes(f.replace(/\.JPEG$/, ''))) copyFileSync(join(folder, cls, f), join(flat, f));
    writeFileSync(join(dir, 'labels.txt'), names.map((n) => `${n}.JPEG ${fixture.accuracy.images[n].label}`).join('\n'));
    const { out, preds } = await evalCls('--data', flat, '--labels', join(dir, 'labels.txt'));
    expect(out.images).toBe(2);
    for (const p of preds) expect([p.label, p.top5]).toEqual([refOf(p.file).label, refOf(p.file).top5]);
  }, 120000);

  it('a class count that differs from the checkpoint\'s is a one-line error naming both', async () => {
    await expect(evalCls('--data', folder)).rejects.toThrow(`eval cls: ${folder} has 3 class folders but ${weights} has 1000 classes (pass --classes FILE to name all 1000)`);
    const few = join(dir, 'few.txt');
    writeFileSync(few, 'a\nb\n');
    await expect(evalCls('--data', folder, '--classes', few)).rejects.toThrow(`eval cls: --classes ${few} lists 2 classes but ${weights} has 1000`);
  });

  it('an empty class folder is a one-line error naming it', async () => {
    const root = join(dir, 'empty-class');
    mkdirSync(join(root, 'c0001'), { recursive: true });
    await expect(evalCls('--data', root, '--classes', classes)).rejects.toThrow(`eval cls: class folder ${join(root, 'c0001')} has no images`);
  });

  it('rejects bad options by name', async () => {
    await expect(evalCls('--data', folder, '--interpolation', 'nearest')).rejects.toThrow('eval cls: --interpolation must be bilinear or bicubic, got "nearest"');
    await expect(evalCls('--data', folder, '--batch', '0')).rejects.toThrow('eval cls: --batch must be an integer >= 1, got 0');
    await expect(evalCls('--data', folder, '--crop-pct', '-1')).rejects.toThrow('eval cls: --crop-pct must be in (0, 4], got "-1"');
  });
});
