/** detectron2's HookBase: code run before and after training and around each step, in registration order. */
import type { TrainerBase } from './train-loop.js';

/** What hooks see of the trainer (its batch type does not matter to them). */
export type HookTrainer = TrainerBase<unknown>;

export interface Hook {
  beforeTrain?(t: HookTrainer): void | Promise<void>;
  /** `t.step` is the 0-based index of the step about to run. */
  beforeStep?(t: HookTrainer): void | Promise<void>;
  /** `t.step` is the number of steps completed; `t.last` holds the step's losses. */
  afterStep?(t: HookTrainer): void | Promise<void>;
  /** Runs also when training stops on an error. */
  afterTrain?(t: HookTrainer): void | Promise<void>;
}
