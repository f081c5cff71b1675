/**
 * Worker-thread side of the step loader: rebuilds the batch recipe from the factory module named
 * in workerData, then answers each job (a list of slots) with `assembleBatch`, the function the
 * main thread runs when it loads in-process.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { assembleBatch, importFactory, type BatchRecipe, type RecipeFactory, type RecipeFactorySpec, type Slot } from './batch-recipe.js';

export interface BatchWorkerInit {
  factory: RecipeFactorySpec;
}

export interface BatchWorkerJob {
  id: number;
  slots: Slot[];
}

export type BatchWorkerReply =
  | { type: 'ready'; length: number }
  | { type: 'init-error'; message: string }
  | { type: 'batch'; id: number; batch: unknown }
  | { type: 'error'; id: number; message: string };

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('batch-worker: must run in a worker thread');
  const { factory } = workerData as BatchWorkerInit;
  let recipe: BatchRecipe<unknown, unknown, unknown>;
  try {
    recipe = await (await importFactory<RecipeFactory>(factory))(factory.args);
  } catch (err) {
    port.postMessage({ type: 'init-error', message: (err as Error).message } satisfies BatchWorkerReply);
    return;
  }
  port.on('message', (job: BatchWorkerJob) => {
    assembleBatch(recipe, job.slots).then(
      (batch) => port.postMessage({ type: 'batch', id: job.id, batch } satisfies BatchWorkerReply, recipe.transfer?.(batch) ?? []),
      (err: unknown) => port.postMessage({ type: 'error', id: job.id, message: (err as Error).message } satisfies BatchWorkerReply),
    );
  });
  port.postMessage({ type: 'ready', length: recipe.dataset.length } satisfies BatchWorkerReply);
}

void main();
