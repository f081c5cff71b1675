/** Reads the committed eval-cls fixture (packages/train/tools/make_eval_folder.py). */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const EVAL_FIXTURE_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'fixtures', 'eval-cls');

export interface ExpectedCrop {
  shape: [number, number, number];
  channelSums: [number, number, number];
  samples: number[];
}

export interface EvalFixture {
  sampleStride: number;
  models: Record<string, {
    dataConfig: { inputSize: [number, number, number]; interpolation: string; cropPct: number; mean: number[]; std: number[]; cropMode: string };
    images: Record<string, ExpectedCrop>;
  }>;
  accuracy: { model: string; top1: number; top5: number; images: Record<string, { label: number; top5: number[]; top5Logits: number[] }> };
}

export function readEvalFixture(dir = EVAL_FIXTURE_DIR): EvalFixture {
  return JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as EvalFixture;
}
