import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '@tfvision/nn';

/** One line of the training log. */
export type LogRecord =
  | { type: 'train'; step: number; epoch: number; loss: number; lr: number; imagesPerSecond: number; time: string }
  | { type: 'eval'; step: number; epoch: number; top1: number; top5: number; loss: number; samples: number; time: string };

/** Reads a JSONL log, skipping a torn last line (a run killed mid-write). */
export function readLog(path: string): LogRecord[] {
  if (!existsSync(path)) return [];
  const out: LogRecord[] = [];
  const lines = readFileSync(path, 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    try {
      out.push(JSON.parse(line) as LogRecord);
    } catch (err) {
      if (i < lines.length - 1 && lines.slice(i + 1).some((l) => l.trim() !== '')) throw new Error(`${path}:${i + 1}: not JSON (${(err as Error).message})`);
    }
  });
  return out;
}

/** Append-only JSONL log of train and eval records. */
export class JsonlLog {
  readonly records: LogRecord[];

  /** On resume from `resumeStep`, records written after it by the interrupted run are dropped. */
  constructor(readonly path: string, resumeStep?: number) {
    const old = resumeStep === undefined ? [] : readLog(path).filter((r) => r.step <= resumeStep);
    this.records = old;
    writeFileAtomic(path, [new TextEncoder().encode(old.map((r) => `${JSON.stringify(r)}\n`).join(''))]);
  }

  write(r: LogRecord): void {
    this.records.push(r);
    appendFileSync(this.path, `${JSON.stringify(r)}\n`);
  }
}
