/**
 * Worker-thread side of DataLoader: rebuilds the dataset and transform from the factory module
 * named in workerData, then answers batch jobs with normalised NHWC batches (buffers transferred).
 */
import { isAbsolute } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parentPort, workerData } from 'node:worker_threads';
import { assembleBatch } from './assemble.js';
import type { LoaderSource, LoaderSourceFactory, WorkerFactorySpec } from './types.js';

export interface WorkerInit {
  factory: WorkerFactorySpec;
  seed: number;
  mean: number[];
  std: number[];
}

export interface WorkerJob {
  id: number;
  epoch: number;
  indices: Int32Array;
}

export type WorkerReply =
  | { type: 'ready'; length: number }
  | { type: 'init-error'; message: string }
  | { type: 'batch'; id: number; images: Float32Array; labels: Int32Array; indices: Int32Array; n: number; height: number; width: number; channels: number }
  | { type: 'error'; id: number; message: string };

async function loadSource(spec: WorkerFactorySpec): Promise<LoaderSource> {
  const url = isAbsolute(spec.module) ? pathToFileURL(spec.module).href : spec.module;
  const mod = (await import(url)) as Record<string, unknown>;
  const name = spec.exportName ?? 'createLoaderSource';
  const factory = mod[name];
  if (typeof factory !== 'function') throw new Error(`worker factory: ${spec.module} has no exported function '${name}'`);
  return (factory as LoaderSourceFactory)(spec.args);
}

async function main(): Promise<void> {
  const port = parentPort;
  if (!port) throw new Error('loader-worker: must run in a worker thread');
  const init = workerData as WorkerInit;
  let source: LoaderSource;
  try {
    source = await loadSource(init.factory);
  } catch (err) {
    port.postMessage({ type: 'init-error', message: (err as Error).message } satisfies WorkerReply);
    return;
  }
  port.on('message', (job: WorkerJob) => {
    assembleBatch(source.dataset, source.transform, init.seed, job.epoch, job.indices, init.mean, init.std).then(
      (b) => {
        const reply: WorkerReply = { type: 'batch', id: job.id, ...b };
        port.postMessage(reply, [b.images.buffer as ArrayBuffer, b.labels.buffer as ArrayBuffer]);
      },
      (err: unknown) => port.postMessage({ type: 'error', id: job.id, message: (err as Error).message } satisfies WorkerReply),
    );
  });
  port.postMessage({ type: 'ready', length: source.dataset.length } satisfies WorkerReply);
}

void main();
