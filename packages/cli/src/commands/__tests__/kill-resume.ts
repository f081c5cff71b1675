/**
 * Test support for kill -9 and --resume of `tfvision train det|seg`: runs the built CLI as a child
 * process, SIGKILLs it once its log.jsonl shows a given step (polled, as an operator's kill lands
 * at an arbitrary point of the next step or of a checkpoint write), resumes it, and reads the log
 * strictly (a torn or duplicated line is a failure here, where the trainer's reader forgives a
 * torn last line).
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../../../../..');

/**
 * The CLI entry: packages/cli/dist/bin.js (built by `npm test` before jest), or TFVISION_TEST_CLI
 * (a bundle of the sources, for running this test without rebuilding dist/). Undefined when
 * neither exists, so the suite skips.
 */
export function cliEntry(): string | undefined {
  const override = process.env.TFVISION_TEST_CLI;
  if (override) return existsSync(override) ? override : undefined;
  const bin = join(ROOT, 'packages/cli/dist/bin.js');
  return existsSync(bin) && existsSync(join(ROOT, 'packages/train/dist/index.js')) ? bin : undefined;
}

export interface ChildExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
  /** The last train step in log.jsonl when the child ended. */
  lastLoggedStep: number;
}

export interface LogRecord {
  type: 'train' | 'eval';
  step: number;
  loss?: number;
  losses?: Record<string, number>;
  lr?: number;
  gradNorm?: number;
  metrics?: Record<string, number>;
}

/** Every line of the log parsed; throws on a line that is not JSON (a torn write that survived). */
export function readLogStrict(path: string): LogRecord[] {
  const text = readFileSync(path, 'utf8');
  if (text !== '' && !text.endsWith('\n')) throw new Error(`${path}: last line is not terminated: ${JSON.stringify(text.slice(-80))}`);
  return text
    .split('\n')
    .filter((l) => l !== '')
    .map((l, i) => {
      try {
        return JSON.parse(l) as LogRecord;
      } catch {
        throw new Error(`${path}:${i + 1}: not JSON: ${JSON.stringify(l.slice(0, 80))}`);
      }
    });
}

/** The last complete train record's step (0 when none); a torn last line is ignored, as it may be mid-write. */
function lastTrainStep(path: string): number {
  if (!existsSync(path)) return 0;
  const lines = readFileSync(path, 'utf8').split('\n');
  for (let i = lines.length - 1; i >= 0; i--) {
    if (!lines[i].startsWith('{"type":"train"')) continue;
    try {
      return (JSON.parse(lines[i]) as LogRecord).step;
    } catch {
      // the line being written
    }
  }
  return 0;
}

/**
 * Runs `tfvision <args>` with `outDir`'s log; with `killAtStep`, sends SIGKILL as soon as the log
 * shows that step (polled every 5 ms). Resolves when the child has exited.
 */
export function runCli(entry: string, args: string[], outDir: string, killAtStep?: number, timeoutMs = 480_000): Promise<ChildExit> {
  const log = join(outDir, 'log.jsonl');
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [entry, ...args], { env: { ...process.env, TFVISION_BACKEND: 'wasm' }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    const poll =
      killAtStep === undefined
        ? undefined
        : setInterval(() => {
            if (lastTrainStep(log) >= killAtStep) child.kill('SIGKILL');
          }, 5);
    const limit = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('error', fail);
    child.on('exit', (code, signal) => {
      clearInterval(poll);
      clearTimeout(limit);
      done({ code, signal, stderr, lastLoggedStep: lastTrainStep(log) });
    });
  });
}

/** What a logged train step computed: everything but timings, for bitwise comparison. */
export function stepNumbers(r: LogRecord): Pick<LogRecord, 'step' | 'loss' | 'losses' | 'lr' | 'gradNorm'> {
  return { step: r.step, loss: r.loss, losses: r.losses, lr: r.lr, gradNorm: r.gradNorm };
}

export interface KillResumeResult {
  /** The uninterrupted run's log and the killed-and-resumed run's, both read strictly. */
  straight: LogRecord[];
  resumed: LogRecord[];
  /** Each killed child's exit and the resume children's stderr. */
  kills: ChildExit[];
  resumes: ChildExit[];
}

/**
 * `tfvision train <task> --config config --steps total` once straight through into dir/straight,
 * and into dir/cut killed once the log shows each of `killAt` (resuming after each kill), then
 * resumed to the end.
 */
export async function killAndResume(entry: string, task: 'det' | 'seg', config: string, dir: string, total: number, killAt: number[]): Promise<KillResumeResult> {
  const args = (out: string, resume: boolean) => ['train', task, '--config', config, '--out', out, '--steps', String(total), ...(resume ? ['--resume'] : [])];
  const straightDir = join(dir, 'straight');
  const straight = await runCli(entry, args(straightDir, false), straightDir);
  if (straight.code !== 0) throw new Error(`the uninterrupted run exited ${straight.code}: ${straight.stderr.slice(-600)}`);
  const cut = join(dir, 'cut');
  const kills: ChildExit[] = [];
  const resumes: ChildExit[] = [];
  for (const [i, k] of killAt.entries()) {
    const r = await runCli(entry, args(cut, i > 0), cut, k);
    if (r.signal !== 'SIGKILL') throw new Error(`the run to be killed at step ${k} ended by itself (code ${r.code}): ${r.stderr.slice(-600)}`);
    (i > 0 ? resumes : []).push(r);
    kills.push(r);
  }
  const last = await runCli(entry, args(cut, true), cut);
  if (last.code !== 0) throw new Error(`the resumed run exited ${last.code}: ${last.stderr.slice(-600)}`);
  resumes.push(last);
  return { straight: readLogStrict(join(straightDir, 'log.jsonl')), resumed: readLogStrict(join(cut, 'log.jsonl')), kills, resumes };
}
