/**
 * Classification data as the engine's StepSource: an epoch holds floor(batchesPerEpoch /
 * accumulate) optimiser steps, so the step count alone fixes the epoch and the batch within it,
 * and a resume at step s restarts the loader at exactly that batch (the loader's order depends
 * on (seed, epoch) only). The last batches of an epoch that do not fill a step are skipped.
 */
import type { Batch } from '../data/index.js';
import type { DataPosition, StepSource } from '../engine/index.js';
import type { BatchSource } from './batch-source.js';

export class EpochSteps implements StepSource<Batch> {
  readonly stepsPerEpoch: number;

  constructor(
    private readonly data: BatchSource,
    readonly accumulate: number,
  ) {
    if (!Number.isInteger(accumulate) || accumulate < 1) throw new Error(`trainer: accumulate must be a positive integer, got ${accumulate}`);
    this.stepsPerEpoch = Math.floor(data.batchesPerEpoch() / accumulate);
    if (this.stepsPerEpoch < 1) throw new Error(`trainer: an epoch has ${data.batchesPerEpoch()} batches, fewer than accumulate = ${accumulate}`);
  }

  position(step: number): DataPosition {
    return { epoch: Math.floor(step / this.stepsPerEpoch), batchInEpoch: step % this.stepsPerEpoch };
  }

  async *steps(from: number, to: number): AsyncGenerator<{ step: number; batches: Batch[] }> {
    let step = from;
    while (step < to) {
      const { epoch, batchInEpoch } = this.position(step);
      const it = this.data.epoch(epoch, batchInEpoch * this.accumulate)[Symbol.asyncIterator]();
      let batches: Batch[] = [];
      let endedEarly = true;
      try {
        for (let r = await it.next(); !r.done; r = await it.next()) {
          batches.push(r.value);
          if (batches.length < this.accumulate) continue;
          yield { step, batches };
          step++;
          batches = [];
          if (step >= to || step % this.stepsPerEpoch === 0) {
            endedEarly = false;
            break;
          }
        }
      } finally {
        await it.return?.();
      }
      if (endedEarly) throw new Error(`trainer: the training data of epoch ${epoch} ended before its ${this.stepsPerEpoch * this.accumulate} batches (batchesPerEpoch() disagrees with epoch())`);
    }
  }
}
