/** The engine's view of training data: the micro-batches of each optimiser step, a function of the step. */

/** Where an optimiser step's first micro-batch lies in the data. */
export interface DataPosition {
  epoch: number;
  batchInEpoch: number;
}

export interface StepSource<B> {
  /** Micro-batches per optimiser step. */
  readonly accumulate: number;
  /** Position of step `step` (0-based); with the step count alone it fixes where a resume restarts. */
  position(step: number): DataPosition;
  /** The micro-batches of steps from..to-1, in order. */
  steps(from: number, to: number): AsyncIterable<{ step: number; batches: B[] }>;
}
