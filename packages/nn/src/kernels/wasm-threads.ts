import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Worker as NodeWorker } from 'node:worker_threads';

/**
 * Multi-threaded tfjs-backend-wasm under Node.
 *
 * tfjs 4.22 ships a threaded SIMD build but disables it in Node (flag
 * WASM_HAS_MULTITHREAD_SUPPORT is false when IS_NODE, tfjs issue #3830) because its loader
 * hands Emscripten's pthread workers `blob:` URLs, which Node's worker_threads cannot start,
 * and its XNNPACK thread pool is sized from os.cpus().length / 2 (one thread on a 2-core
 * machine) regardless of setThreadsCount. While the backend initialises this shim:
 *  - records the text of the two Blobs the loader makes (worker bootstrap, module factory) and
 *    writes them to files, returning file paths from URL.createObjectURL;
 *  - gives the factory file the module-scope names the bundled factory refers to;
 *  - makes `Worker` a worker_threads Worker that turns a posted Blob into that file's path;
 *  - reports 2x the wanted thread count as logical cores;
 *  - lets `unrefWasmWorkers` detach the pool from the event loop afterwards.
 * Everything is restored afterwards except the Worker class (pool threads may start later).
 */
export interface WasmThreadsShim {
  /** Restores Blob, URL.createObjectURL and os.cpus. */
  restore(): void;
}

class RecordingBlob extends Blob {
  readonly sourceText: string;
  constructor(...args: ConstructorParameters<typeof Blob>) {
    super(...args);
    this.sourceText = (args[0] ?? []).map((p) => (typeof p === 'string' ? p : '')).join('');
  }
}

// The bundled factory (tf-backend-wasm.node.js) refers to these module-scope names.
const FACTORY_PRELUDE =
  "var require$$0=require('fs'),require$$1=require('path'),require$$3=require('perf_hooks'),require$$4=require('os');var commonjsGlobal=globalThis;";

let directory: string | undefined;
const files = new Map<string, string>();

function fileFor(blob: RecordingBlob): string {
  const known = files.get(blob.sourceText);
  if (known) return known;
  if (!directory) {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'tfvision-wasm-'));
    directory = dir;
    process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  }
  const file = path.join(directory, `part${files.size}.cjs`);
  const isFactory = blob.sourceText.startsWith('var WasmBackendModuleThreadedSimd');
  const prelude = isFactory ? `${FACTORY_PRELUDE}var __filename=${JSON.stringify(file)},__dirname=${JSON.stringify(directory)},_scriptDir=__filename;\n` : '';
  writeFileSync(file, prelude + blob.sourceText);
  files.set(blob.sourceText, file);
  return file;
}

const workers = new Set<NodeWorker>();

class FileWorker extends NodeWorker {
  constructor(...args: ConstructorParameters<typeof NodeWorker>) {
    super(...args);
    workers.add(this);
    this.once('exit', () => workers.delete(this));
  }

  override postMessage(message: unknown, transfer?: readonly (ArrayBuffer | import('node:worker_threads').MessagePort)[]): void {
    const m = message as { urlOrBlob?: unknown } | null;
    if (m && m.urlOrBlob instanceof RecordingBlob) message = { ...m, urlOrBlob: fileFor(m.urlOrBlob) };
    super.postMessage(message, transfer as never);
  }
}

export function installWasmThreadsShim(threads: number): WasmThreadsShim {
  const g = globalThis as unknown as { Blob: typeof Blob };
  const originalBlob = g.Blob;
  const originalCreate = URL.createObjectURL.bind(URL);
  const originalCpus = os.cpus;
  g.Blob = RecordingBlob;
  URL.createObjectURL = (obj: Blob) => (obj instanceof RecordingBlob ? fileFor(obj) : originalCreate(obj));
  // Emscripten assigns the global Worker itself; the accessor keeps ours in place.
  Object.defineProperty(globalThis, 'Worker', { get: () => FileWorker, set: () => undefined, configurable: true });
  const cpu = originalCpus()[0];
  (os as { cpus: () => os.CpuInfo[] }).cpus = () => Array.from({ length: 2 * threads }, () => cpu);
  return {
    restore() {
      g.Blob = originalBlob;
      URL.createObjectURL = originalCreate;
      (os as { cpus: () => os.CpuInfo[] }).cpus = originalCpus;
    },
  };
}

/**
 * Emscripten refs a worker while its thread runs, and XNNPACK's pool threads run (idle on a
 * futex) for the life of the process, which would then never exit. Called after the backend
 * has started its pool; the threads keep working, they just do not hold the process open.
 */
export function unrefWasmWorkers(): void {
  for (const w of workers) w.unref();
}

/**
 * How many threads the wasm backend gets when TFVISION_WASM_THREADS is unset. 'all-cores': every
 * core. 'one-beside-native': one thread where @tfvision/native's kernels take the convolutions,
 * else every core. With the convolutions on OpenBLAS's threads, XNNPACK's pool is left the
 * elementwise kernels, and its workers, which spin between kernels, take a core from OpenBLAS:
 * a Mask R-CNN (resnest14d) training step at 64x96 took 0.39 s with 2 wasm threads and 0.33 s
 * with 1 on a 2-core AMD EPYC (a 2x3 3x3 conv 0.85 ms instead of 0.04 ms). Models with depthwise
 * convolutions, which stay on XNNPACK, keep every core (efficientnet_b0 trains 12% faster so).
 */
export type WasmThreadsPolicy = 'all-cores' | 'one-beside-native';

/**
 * Threads wanted for wasm: TFVISION_WASM_THREADS if set (1 = the single-threaded build),
 * otherwise as `policy` says (every core by default), except under jest (1), whose sandboxed
 * globals the shim should not patch. `nativeKernels`: whether @tfvision/native will register.
 */
export function wantedWasmThreads(policy: WasmThreadsPolicy = 'all-cores', nativeKernels = false): number {
  const raw = process.env.TFVISION_WASM_THREADS;
  if (raw !== undefined && raw !== '') {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1) throw new Error(`TFVISION_WASM_THREADS: expected a positive integer, got "${raw}"`);
    return n;
  }
  if (process.env.JEST_WORKER_ID !== undefined) return 1;
  if (policy === 'one-beside-native' && nativeKernels) return 1;
  return Math.max(1, os.cpus().length);
}
