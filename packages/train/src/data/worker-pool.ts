/**
 * Worker threads that build batches from slots: each rebuilds the recipe from a factory module
 * (closures cannot cross threads) and receives jobs least-loaded first. A worker holds the event
 * loop only while it has jobs, so a loader that is never closed does not keep a process alive.
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { RecipeFactorySpec, Slot } from './batch-recipe.js';
import type { BatchWorkerInit, BatchWorkerJob, BatchWorkerReply } from './batch-worker.js';

interface Pending {
  resolve: (b: unknown) => void;
  reject: (e: Error) => void;
}

interface WorkerHandle {
  worker: Worker;
  pending: Map<number, Pending>;
}

/**
 * The JavaScript file a worker thread must load for module `name` (relative to `fromUrl`, a
 * module's import.meta.url): the file itself when running compiled, or its twin in the package's
 * dist/ when running from src/ (jest): worker threads cannot load TypeScript.
 */
export function compiledModule(fromUrl: string, name: string, who: string): string {
  const beside = fileURLToPath(new URL(name, fromUrl));
  if (existsSync(beside)) return beside;
  const root = fileURLToPath(new URL('..', import.meta.url));
  const built = join(root, '..', 'dist', relative(root, beside));
  if (existsSync(built)) return built;
  throw new Error(`${who}: worker module not found at ${beside} or ${built}; build the package (npx nx run @tfvision/train:build) or use workers: 0`);
}

export class WorkerPool {
  private handles: Promise<WorkerHandle[]> | undefined;
  private nextJob = 0;
  private closed = false;

  /** `name` starts every error (the loader's class); `expectedLength` is the main thread's dataset size. */
  constructor(
    private readonly name: string,
    private readonly count: number,
    private readonly factory: RecipeFactorySpec,
    private readonly expectedLength: number,
  ) {}

  async run(slots: Slot[]): Promise<unknown> {
    const handles = await this.start();
    // Least-loaded worker; ties go to the lowest index.
    let h = handles[0];
    for (const c of handles) if (c.pending.size < h.pending.size) h = c;
    const id = this.nextJob++;
    return new Promise<unknown>((resolve, reject) => {
      if (h.pending.size === 0) h.worker.ref();
      h.pending.set(id, { resolve, reject });
      h.worker.postMessage({ id, slots } satisfies BatchWorkerJob);
    });
  }

  private start(): Promise<WorkerHandle[]> {
    if (this.closed) return Promise.reject(new Error(`${this.name}: closed`));
    if (!this.handles) {
      const script = compiledModule(import.meta.url, './batch-worker.js', this.name);
      const init: BatchWorkerInit = { factory: this.factory };
      this.handles = Promise.all(Array.from({ length: this.count }, (_, k) => this.startWorker(script, init, k)));
      this.handles.catch(() => undefined);
    }
    return this.handles;
  }

  private startWorker(script: string, init: BatchWorkerInit, k: number): Promise<WorkerHandle> {
    return new Promise<WorkerHandle>((resolve, reject) => {
      const worker = new Worker(script, { workerData: init });
      const handle: WorkerHandle = { worker, pending: new Map() };
      const settle = (): void => {
        if (handle.pending.size === 0) worker.unref();
      };
      const failAll = (e: Error): void => {
        for (const p of handle.pending.values()) p.reject(e);
        handle.pending.clear();
        settle();
        reject(e);
      };
      worker.on('message', (m: BatchWorkerReply) => {
        if (m.type === 'ready') {
          if (m.length !== this.expectedLength) {
            failAll(new Error(`${this.name}: worker ${k}'s dataset has ${m.length} samples, the main thread's has ${this.expectedLength}; the worker factory must build the same dataset`));
            return;
          }
          settle();
          resolve(handle);
        } else if (m.type === 'init-error') {
          failAll(new Error(`${this.name}: worker ${k} could not build its dataset/transform: ${m.message}`));
        } else {
          const p = handle.pending.get(m.id);
          if (!p) return;
          handle.pending.delete(m.id);
          settle();
          if (m.type === 'error') p.reject(new Error(m.message));
          else p.resolve(m.batch);
        }
      });
      worker.on('error', (e) => failAll(new Error(`${this.name}: worker ${k} failed: ${e.message}`)));
      worker.on('exit', (code) => {
        if (!this.closed) failAll(new Error(`${this.name}: worker ${k} exited with code ${code}`));
      });
    });
  }

  /** Stops the worker threads; safe to call more than once. */
  async close(): Promise<void> {
    this.closed = true;
    const started = this.handles;
    this.handles = undefined;
    if (!started) return;
    const handles = await started.catch(() => [] as WorkerHandle[]);
    await Promise.all(
      handles.map(async (h) => {
        for (const p of h.pending.values()) p.reject(new Error(`${this.name}: closed`));
        h.pending.clear();
        await h.worker.terminate();
      }),
    );
  }
}
