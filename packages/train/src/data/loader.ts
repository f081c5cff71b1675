/**
 * Epoch-based batch loader with optional worker threads and prefetch. Batch b of epoch e holds
 * the samples epochOrder(seed, e)[b*B .. b*B+B), each augmented with sampleRng(seed, e, index),
 * so the batches are the same for any worker count and when resuming at any batch.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { assembleBatch, checkNormalization } from './assemble.js';
import type { WorkerInit, WorkerJob, WorkerReply } from './loader-worker.js';
import { epochOrder } from './sampling.js';
import type { Batch, ClassificationDataset, LoaderOptions } from './types.js';

interface Pending {
  resolve: (b: Batch) => void;
  reject: (e: Error) => void;
}

interface WorkerHandle {
  worker: Worker;
  pending: Map<number, Pending>;
}

/** The compiled worker script: beside this file in dist/, or dist/ when running from src/ (tests). */
export function loaderWorkerScript(): string {
  const beside = fileURLToPath(new URL('./loader-worker.js', import.meta.url));
  if (existsSync(beside)) return beside;
  const built = fileURLToPath(new URL('../../dist/data/loader-worker.js', import.meta.url));
  if (existsSync(built)) return built;
  throw new Error(`DataLoader: worker script not found at ${beside} or ${built}; build the package (npx nx run @tfvision/train:build) or use workers: 0`);
}

export class DataLoader {
  private readonly opts: Required<Omit<LoaderOptions, 'workerFactory'>> & Pick<LoaderOptions, 'workerFactory'>;
  private workers: Promise<WorkerHandle[]> | undefined;
  private nextJob = 0;
  private closed = false;

  constructor(private readonly ds: ClassificationDataset, o: LoaderOptions) {
    if (!Number.isInteger(o.batchSize) || o.batchSize < 1) throw new Error(`DataLoader: batchSize must be a positive integer, got ${o.batchSize}`);
    if (!Number.isInteger(o.seed) || o.seed < 0) throw new Error(`DataLoader: seed must be an integer >= 0, got ${o.seed}`);
    const workers = o.workers ?? 0;
    if (!Number.isInteger(workers) || workers < 0) throw new Error(`DataLoader: workers must be an integer >= 0, got ${workers}`);
    const prefetch = o.prefetch ?? Math.max(2, 2 * workers);
    if (!Number.isInteger(prefetch) || prefetch < 1) throw new Error(`DataLoader: prefetch must be an integer >= 1, got ${prefetch}`);
    if (typeof o.transform !== 'function') throw new Error('DataLoader: transform must be a function (img, rng) => img');
    checkNormalization(o.mean, o.std);
    if (workers > 0 && !o.workerFactory) {
      throw new Error('DataLoader: workers > 0 needs options.workerFactory (a JS module the worker threads import to rebuild the dataset and transform; closures cannot cross threads)');
    }
    if (ds.length === 0) throw new Error('DataLoader: the dataset is empty');
    this.opts = { ...o, workers, prefetch, workerFactory: o.workerFactory };
  }

  batchesPerEpoch(): number {
    const n = this.ds.length;
    const b = this.opts.batchSize;
    return this.opts.dropLast ? Math.floor(n / b) : Math.ceil(n / b);
  }

  /** Batches of `epoch` from `startBatch` on; the iteration may be abandoned at any point. */
  epoch(epoch: number, startBatch = 0): AsyncIterable<Batch> {
    if (this.closed) throw new Error('DataLoader: epoch() after close()');
    if (!Number.isInteger(epoch) || epoch < 0) throw new Error(`DataLoader: epoch must be an integer >= 0, got ${epoch}`);
    const total = this.batchesPerEpoch();
    if (!Number.isInteger(startBatch) || startBatch < 0 || startBatch > total) {
      throw new Error(`DataLoader: startBatch must be an integer in 0..${total}, got ${startBatch}`);
    }
    return { [Symbol.asyncIterator]: () => this.run(epoch, startBatch, total) };
  }

  private async *run(epoch: number, startBatch: number, total: number): AsyncGenerator<Batch> {
    const { batchSize, shuffle, seed, prefetch } = this.opts;
    const order = epochOrder(this.ds.length, seed, epoch, shuffle);
    const indicesOf = (b: number): Int32Array => order.subarray(b * batchSize, Math.min((b + 1) * batchSize, order.length));
    const queue: Promise<Batch>[] = [];
    let next = startBatch;
    const fill = (): void => {
      while (queue.length < prefetch && next < total) {
        const p = this.load(epoch, indicesOf(next++));
        p.catch(() => undefined); // an abandoned iteration must not leave unhandled rejections
        queue.push(p);
      }
    };
    fill();
    while (queue.length > 0) {
      const batch = await queue.shift()!;
      fill();
      yield batch;
    }
  }

  private async load(epoch: number, indices: Int32Array): Promise<Batch> {
    const { transform, seed, mean, std, workers } = this.opts;
    if (workers === 0) return assembleBatch(this.ds, transform, seed, epoch, indices, mean, std);
    const handles = await this.startWorkers();
    // Least-loaded worker; ties go to the lowest index.
    let h = handles[0];
    for (const c of handles) if (c.pending.size < h.pending.size) h = c;
    const id = this.nextJob++;
    return new Promise<Batch>((resolve, reject) => {
      h.pending.set(id, { resolve, reject });
      const job: WorkerJob = { id, epoch, indices: Int32Array.from(indices) };
      h.worker.postMessage(job);
    });
  }

  private startWorkers(): Promise<WorkerHandle[]> {
    if (this.closed) return Promise.reject(new Error('DataLoader: closed'));
    if (!this.workers) {
      const { workers, workerFactory, seed, mean, std } = this.opts;
      const script = loaderWorkerScript();
      const init: WorkerInit = { factory: workerFactory!, seed, mean, std };
      this.workers = Promise.all(Array.from({ length: workers }, (_, k) => this.startWorker(script, init, k)));
      this.workers.catch(() => undefined);
    }
    return this.workers;
  }

  private startWorker(script: string, init: WorkerInit, k: number): Promise<WorkerHandle> {
    return new Promise<WorkerHandle>((resolve, reject) => {
      const worker = new Worker(script, { workerData: init });
      const handle: WorkerHandle = { worker, pending: new Map() };
      const failAll = (e: Error): void => {
        for (const p of handle.pending.values()) p.reject(e);
        handle.pending.clear();
        reject(e);
      };
      worker.on('message', (m: WorkerReply) => {
        if (m.type === 'ready') {
          if (m.length !== this.ds.length) {
            failAll(new Error(`DataLoader: worker ${k}'s dataset has ${m.length} samples, the main thread's has ${this.ds.length}; workerFactory must build the same dataset`));
            return;
          }
          resolve(handle);
        } else if (m.type === 'init-error') {
          failAll(new Error(`DataLoader: worker ${k} could not build its dataset/transform: ${m.message}`));
        } else {
          const p = handle.pending.get(m.id);
          if (!p) return;
          handle.pending.delete(m.id);
          if (m.type === 'error') p.reject(new Error(m.message));
          else p.resolve({ images: m.images, labels: m.labels, indices: m.indices, n: m.n, height: m.height, width: m.width, channels: m.channels });
        }
      });
      worker.on('error', (e) => failAll(new Error(`DataLoader: worker ${k} failed: ${e.message}`)));
      worker.on('exit', (code) => {
        if (!this.closed) failAll(new Error(`DataLoader: worker ${k} exited with code ${code}`));
      });
    });
  }

  /** Stops the worker threads; safe to call more than once. */
  async close(): Promise<void> {
    this.closed = true;
    const started = this.workers;
    this.workers = undefined;
    if (!started) return;
    const handles = await started.catch(() => [] as WorkerHandle[]);
    await Promise.all(handles.map(async (h) => {
      for (const p of h.pending.values()) p.reject(new Error('DataLoader: closed'));
      h.pending.clear();
      await h.worker.terminate();
    }));
  }
}
