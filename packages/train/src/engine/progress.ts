/** The progress line on stderr: step, epoch, the loss and each loss of the dict, lr, steps/s, images/s, ETA. */

export interface ProgressInfo {
  step: number;
  totalSteps: number;
  epoch: number;
  loss: number;
  /** Shown one by one when the dict has more than one loss. */
  losses: Record<string, number>;
  lr: number;
  stepsPerSecond: number;
  imagesPerSecond: number;
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(r).padStart(2, '0')}s`;
}

/** `labels` shortens loss names for one line (default: the name without its "loss_" prefix). */
export function formatProgress(p: ProgressInfo, labels: Readonly<Record<string, string>> = {}): string {
  const width = 20;
  const filled = Math.min(width, Math.round((p.step / p.totalSteps) * width));
  const bar = `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`;
  const names = Object.keys(p.losses);
  const parts = names.length > 1 ? ` (${names.map((k) => `${labels[k] ?? k.replace(/^loss_/, '')} ${p.losses[k].toFixed(3)}`).join(' ')})` : '';
  const eta = p.stepsPerSecond > 0 ? (p.totalSteps - p.step) / p.stepsPerSecond : NaN;
  return `[${bar}] step ${p.step}/${p.totalSteps} ep ${p.epoch} loss ${p.loss.toFixed(4)}${parts} lr ${p.lr.toExponential(3)} ${p.stepsPerSecond.toFixed(2)} it/s ${p.imagesPerSecond.toFixed(1)} img/s ETA ${formatDuration(eta)}`;
}

/**
 * A progress line on a stream, redrawn in place on a terminal at most every `intervalMs`
 * (a few times per second) and printed as separate lines less often when not a terminal.
 */
export class ProgressLine {
  private last = -Infinity;
  private drawn = false;

  constructor(
    private readonly out: { write(s: string): unknown; isTTY?: boolean } = process.stderr,
    private readonly intervalMs = out.isTTY ? 250 : 10_000,
    private readonly now: () => number = () => Date.now(),
    private readonly labels: Readonly<Record<string, string>> = {},
  ) {}

  update(p: ProgressInfo, force = false): void {
    const t = this.now();
    if (!force && t - this.last < this.intervalMs) return;
    this.last = t;
    const line = formatProgress(p, this.labels);
    if (this.out.isTTY) {
      this.out.write(`\r${line}\x1b[K`);
      this.drawn = true;
    } else {
      this.out.write(`${line}\n`);
    }
  }

  /** Prints a message on its own line (ends an in-place line first). */
  message(text: string): void {
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
    this.out.write(`${text}\n`);
  }

  end(): void {
    if (this.drawn) this.out.write('\n');
    this.drawn = false;
  }
}
