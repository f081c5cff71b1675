import * as tf from '@tensorflow/tfjs-core';
import { leanGradients } from './grad/lean-tape.js';

/**
 * Activation (gradient) checkpointing, as torch.utils.checkpoint and timm's
 * set_grad_checkpointing: the layer's forward pass runs without recording its intermediates;
 * the backward pass runs it again under a tape of its own and backpropagates through that.
 *
 * Why it matters here: tfjs keeps every intermediate of the forward pass and the gradient of
 * every intermediate alive until the whole backward pass ends, so ResNeXt-50 training at
 * 224x224 needed ~0.7 GB per image, and batch 8 did not fit the 4 GB wasm32 heap. With each
 * residual block checkpointed, only block inputs are kept, and one block's intermediates at a
 * time. The cost is one more forward pass of the checkpointed layers.
 *
 * Recomputation must replay the forward pass exactly: Math.random draws (tfjs seeds dropout,
 * DropBlock and drop-path masks from it) are recorded and replayed, and BatchNorm skips its
 * running-statistics update while `isRecomputing()`.
 */

let recomputeDepth = 0;

/** True while a checkpointed layer's forward pass is being run again for its gradients. */
export function isRecomputing(): boolean {
  return recomputeDepth > 0;
}

interface EngineState {
  state: { activeTape: unknown[] | null; gradientDepth: number };
}

/** Runs a synchronous `body` with Math.random replaced by `source` (tfjs seeds unseeded random ops from it). */
export function withMathRandom<T>(source: () => number, body: () => T): T {
  const original = Math.random;
  Math.random = source;
  try {
    return body();
  } finally {
    Math.random = original;
  }
}

/** True when tfjs is recording a tape (inside tf.grads / variableGrads / minimize). */
export function tapeIsOn(): boolean {
  return (tf.engine() as unknown as EngineState).state.gradientDepth > 0;
}

/**
 * What checkpoint needs of a layer: Layer satisfies it. Structural, so that module.ts (whose
 * Sequential checkpoints its children) and this file do not import each other.
 */
export interface CheckpointableLayer<I extends tf.Tensor, O extends tf.Tensor> {
  forward(x: I): O;
  trainableParameters(): tf.Variable[];
}

/**
 * `layer.forward(x)`, checkpointed when a gradient is being recorded. Gradients flow to `x` and
 * to the layer's trainable parameters.
 */
export function checkpoint<I extends tf.Tensor, O extends tf.Tensor>(layer: CheckpointableLayer<I, O>, x: I): O {
  if (!tapeIsOn()) return layer.forward(x);
  const params = layer.trainableParameters();
  const draws: number[] = [];
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as I;
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const original = Math.random;
    const value = withMathRandom(() => {
      const r = original();
      draws.push(r);
      return r;
    }, () => layer.forward(input));
    save([input]);
    const gradFunc = (dy: O, saved: tf.Tensor[]): tf.Tensor[] => {
      const [xs] = saved;
      let next = 0;
      const replay = () => {
        if (next >= draws.length) throw new Error(`checkpoint: the recomputed forward pass of ${layer.constructor.name} drew more random numbers (${next + 1}) than the original (${draws.length})`);
        return draws[next++];
      };
      // tf.grads nested in a backward pass replaces the engine's active tape with its own and
      // sets it to null when done, which breaks the outer pass's clean-up: keep and restore it.
      const engine = tf.engine() as unknown as EngineState;
      const outerTape = engine.state.activeTape;
      recomputeDepth++;
      try {
        return withMathRandom(replay, () => tf.tidy(() => {
          // allowNoGradients: a parameter the output does not depend on (a frozen path) gets zeros.
          const { value, grads } = leanGradients(() => layer.forward(xs as I), [xs, ...params], dy, true);
          value.dispose();
          return grads.map((g, i) => g ?? tf.zerosLike(i === 0 ? xs : params[i - 1]));
        }));
      } finally {
        recomputeDepth--;
        engine.state.activeTape = outerTape;
      }
    };
    return { value, gradFunc };
  });
  return op(x, ...params) as O;
}

/**
 * `layer.forward(x)`, as a checkpoint while a tape records and the layer has nothing to train:
 * a frozen stem or frozen stages (detection fine-tuning's frozenStages) then keep only their
 * input instead of every intermediate at the network's largest resolutions. On the input image
 * the backward pass never reaches them, so nothing is recomputed; after a trainable layer their
 * input gradient is computed by running them again.
 */
export function forwardFrozenUntaped<I extends tf.Tensor, O extends tf.Tensor>(layer: CheckpointableLayer<I, O>, x: I): O {
  return tapeIsOn() && layer.trainableParameters().length === 0 ? checkpoint(layer, x) : layer.forward(x);
}
