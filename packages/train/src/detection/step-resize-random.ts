/**
 * The samplers' permutations and the multi-scale resize's draws, each a stream fixed by
 * (seed, step). The model transforms draw one uniform per training image in batch order
 * (torchvision's torch_choice, detectron2's ResizeShortestEdge); torch's generator state is not
 * ours to checkpoint, but a stream per step needs no state, so a resumed run resizes each image
 * to the size an uninterrupted run would. The trainer's `setStep` restarts both streams.
 */
import { Rng } from '../rng.js';
import { StepRandperm } from './step-randperm.js';

/** Fork id of the resize stream: any constant apart from the permutation streams' (step ids of the root). */
const RESIZE_STREAM = 0x5e512e;

export class StepRandomSources extends StepRandperm {
  private readonly resizeRoot: Rng;
  private resizeRng: Rng;

  constructor(seed: number) {
    super(seed);
    this.resizeRoot = new Rng(seed).fork(RESIZE_STREAM);
    this.resizeRng = this.resizeRoot.fork(0);
  }

  override setStep(step: number): void {
    super.setStep(step);
    this.resizeRng = this.resizeRoot.fork(step);
  }

  /** Uniform in [0, 1): the transforms' `random` option. */
  readonly resizeRandom = (): number => this.resizeRng.next();
}
