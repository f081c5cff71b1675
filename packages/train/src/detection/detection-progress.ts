/** The detection progress line: step, epoch, each loss, lr, steps/s, images/s and ETA, on stderr. */
import { formatDuration } from '../trainer/progress.js';

export interface DetectionProgressInfo {
  step: number;
  totalSteps: number;
  epoch: number;
  loss: number;
  losses: Record<string, number>;
  lr: number;
  stepsPerSecond: number;
  imagesPerSecond: number;
}

/** torchvision's loss names, shortened for one line. */
const SHORT: Record<string, string> = { loss_objectness: 'obj', loss_rpn_box_reg: 'rpn_box', loss_classifier: 'cls', loss_box_reg: 'box', loss_mask: 'mask' };

export function formatDetectionProgress(p: DetectionProgressInfo): string {
  const width = 20;
  const filled = Math.min(width, Math.round((p.step / p.totalSteps) * width));
  const parts = Object.entries(p.losses).map(([k, v]) => `${SHORT[k] ?? k} ${v.toFixed(3)}`).join(' ');
  const eta = p.stepsPerSecond > 0 ? (p.totalSteps - p.step) / p.stepsPerSecond : NaN;
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] step ${p.step}/${p.totalSteps} ep ${p.epoch} loss ${p.loss.toFixed(4)} (${parts}) lr ${p.lr.toExponential(3)} ${p.stepsPerSecond.toFixed(2)} it/s ${p.imagesPerSecond.toFixed(1)} img/s ETA ${formatDuration(eta)}`;
}

/** Redrawn in place on a terminal (a few times a second), one line every `intervalMs` otherwise. */
export class DetectionProgress {
  private last = -Infinity;
  private drawn = false;

  constructor(
    private readonly out: { write(s: string): unknown; isTTY?: boolean } = process.stderr,
    private readonly intervalMs = out.isTTY ? 250 : 10_000,
  ) {}

  update(p: DetectionProgressInfo, force = false): void {
    const t = Date.now();
    if (!force && t - this.last < this.intervalMs) return;
    this.last = t;
    const line = formatDetectionProgress(p);
    if (this.out.isTTY) {
      this.out.write(`\r${line}\x1b[K`);
      this.drawn = true;
    } else this.out.write(`${line}\n`);
  }

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
