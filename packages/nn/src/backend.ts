import * as tf from '@tensorflow/tfjs-core';
import { installWasmThreadsShim, unrefWasmWorkers, wantedWasmThreads, type WasmThreadsPolicy } from './kernels/wasm-threads.js';
import { registerTfvisionKernels } from './kernels/register.js';

/** Backends in the order `initBackend` tries them. */
export const BACKEND_ORDER = ['tensorflow', 'webgpu', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_ORDER)[number];

export interface BackendChoice {
  name: BackendName;
  /** What provided it, e.g. "@tensorflow/tfjs-node-gpu" or "@tensorflow/tfjs-backend-wasm". */
  provider: string;
  /** Why each earlier backend in the order was skipped. */
  skipped: { name: BackendName; reason: string }[];
  /** wasm only: whether @tfvision/native's OpenBLAS convolutions replaced XNNPACK's, or why not. */
  native?: { active: boolean; detail: string };
}

export interface InitBackendOptions {
  /** Force one backend; defaults to the TFVISION_BACKEND environment variable. */
  backend?: string;
  /** Print the choice once to stderr (default true). */
  report?: boolean;
  /**
   * wasm: use @tfvision/native's convolutions when that optional package is installed and
   * built (default true; TFVISION_NATIVE=0 turns it off).
   */
  native?: boolean;
  /**
   * wasm: threads when TFVISION_WASM_THREADS is unset (default 'all-cores'; see
   * WasmThreadsPolicy). Callers that know their model has no depthwise convolutions pass
   * 'one-beside-native'.
   */
  wasmThreads?: WasmThreadsPolicy;
}

interface NativeModule {
  loadNativeAddon(): { addon?: unknown };
  registerNativeWasmKernels(threads?: number, wasmThreads?: number): { registered: boolean; reason?: string; threads?: number; origin?: 'prebuild' | 'build' };
}

/** Registers the optional native convolutions on wasm; never fails the backend choice. */
function nativeWanted(options: InitBackendOptions): boolean {
  return options.native ?? process.env.TFVISION_NATIVE !== '0';
}

/** Whether attachNative will find an addon to register (loading it is cached for attachNative). */
async function nativeAddonLoads(): Promise<boolean> {
  try {
    return ((await importOptional('@tfvision/native')) as NativeModule).loadNativeAddon().addon !== undefined;
  } catch {
    return false;
  }
}

async function attachNative(wanted: boolean): Promise<{ active: boolean; detail: string }> {
  if (!wanted) return { active: false, detail: 'off (TFVISION_NATIVE=0 or native: false)' };
  let mod: NativeModule;
  try {
    mod = (await importOptional('@tfvision/native')) as NativeModule;
  } catch {
    return { active: false, detail: '@tfvision/native is not installed' };
  }
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  const r = mod.registerNativeWasmKernels(undefined, wasm.getThreadsCount());
  const from = r.origin === 'prebuild' ? 'prebuilt addon' : r.origin === 'build' ? 'addon built from source' : 'addon';
  return r.registered ? { active: true, detail: `native OpenBLAS convolutions (${from}), ${r.threads} threads` } : { active: false, detail: r.reason ?? 'not registered' };
}

let current: BackendChoice | undefined;

function message(err: unknown): string {
  return err instanceof Error ? err.message.split('\n')[0] : String(err);
}

// Optional peers are imported by a computed specifier so bundlers and tsc never require them.
async function importOptional(specifier: string): Promise<unknown> {
  return import(/* webpackIgnore: true */ specifier);
}

type Attempt = (options: InitBackendOptions) => Promise<string>;

const attempts: Record<BackendName, Attempt> = {
  async tensorflow() {
    const errors: string[] = [];
    for (const pkg of ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node']) {
      try {
        await importOptional(pkg);
        // tfjs-node registers with its own copy of tfjs-core; it must be the same copy as ours.
        if (!tf.findBackend('tensorflow')) throw new Error(`${pkg} loaded but registered no "tensorflow" backend with this copy of @tensorflow/tfjs-core (version mismatch?)`);
        if (!(await tf.setBackend('tensorflow'))) throw new Error(`${pkg}: backend failed to initialise`);
        return pkg;
      } catch (err) {
        errors.push(`${pkg}: ${message(err)}`);
      }
    }
    throw new Error(errors.join('; '));
  },
  async webgpu() {
    const gpuHost = globalThis as { navigator?: { gpu?: unknown } };
    if (!gpuHost.navigator?.gpu) {
      const mod = (await importOptional('webgpu')) as { create: (flags: string[]) => unknown; globals: Record<string, unknown> };
      Object.assign(globalThis, mod.globals);
      const gpu = mod.create([]);
      if (!gpuHost.navigator) Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
      else Object.defineProperty(gpuHost.navigator, 'gpu', { value: gpu, configurable: true });
    }
    const gpu = gpuHost.navigator?.gpu as { requestAdapter(): Promise<unknown> } | undefined;
    const adapter = await gpu?.requestAdapter();
    if (!adapter) throw new Error('no WebGPU adapter (no GPU, or no Vulkan driver)');
    await import('@tensorflow/tfjs-backend-webgpu');
    if (!(await tf.setBackend('webgpu'))) throw new Error('tfjs webgpu backend failed to initialise');
    return 'webgpu (Dawn)';
  },
  async wasm(options) {
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    const policy = options.wasmThreads ?? 'all-cores';
    const threads = wantedWasmThreads(policy, policy === 'one-beside-native' && nativeWanted(options) && (await nativeAddonLoads()));
    // Thread settings only apply while the backend initialises (once per process).
    if (threads > 1 && !tf.engine().registry.wasm) {
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
      wasm.setThreadsCount(threads);
      const shim = installWasmThreadsShim(threads);
      let threaded = false;
      try {
        threaded = await tf.setBackend('wasm');
      } finally {
        shim.restore();
      }
      if (threaded) {
        unrefWasmWorkers();
        return `@tensorflow/tfjs-backend-wasm, ${wasm.getThreadsCount()} threads`;
      }
      tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
    }
    if (!(await tf.setBackend('wasm'))) throw new Error('tfjs wasm backend failed to initialise');
    return `@tensorflow/tfjs-backend-wasm, ${wasm.getThreadsCount()} thread${wasm.getThreadsCount() === 1 ? '' : 's'}`;
  },
  async cpu() {
    await import('@tensorflow/tfjs-backend-cpu');
    if (!(await tf.setBackend('cpu'))) throw new Error('tfjs cpu backend failed to initialise');
    // The cpu backend prints a banner about tfjs-node on first use; we already reported our choice.
    (tf.backend() as unknown as { firstUse?: boolean }).firstUse = false;
    return '@tensorflow/tfjs-backend-cpu';
  },
};

/** Hooks run after a backend is chosen (custom kernels register here per backend). */
const onReady: ((name: BackendName) => void)[] = [];
export function onBackendReady(hook: (name: BackendName) => void): void {
  onReady.push(hook);
}

/**
 * Chooses the first backend that works: tensorflow (tfjs-node-gpu, then tfjs-node), webgpu,
 * wasm, cpu. `TFVISION_BACKEND` (or `options.backend`) forces one and fails with a clear
 * message when it cannot be had. Reports the choice once on stderr.
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendChoice> {
  const forced = options.backend ?? process.env.TFVISION_BACKEND;
  if (current && (!forced || forced === current.name)) return current;
  const skipped: BackendChoice['skipped'] = [];
  let order: readonly BackendName[] = BACKEND_ORDER;
  if (forced) {
    if (!(BACKEND_ORDER as readonly string[]).includes(forced)) {
      throw new Error(`TFVISION_BACKEND/--backend: unknown backend "${forced}" (known: ${BACKEND_ORDER.join(', ')})`);
    }
    order = [forced as BackendName];
  }
  for (const name of order) {
    try {
      const provider = await attempts[name](options);
      current = { name, provider, skipped };
      registerTfvisionKernels();
      if (name === 'wasm') current.native = await attachNative(nativeWanted(options));
      for (const hook of onReady) hook(name);
      if (options.report !== false) {
        const extra = current.native?.active ? ` + ${current.native.detail}` : '';
        process.stderr.write(`tfvision: backend ${name} (${provider}${extra})\n`);
      }
      return current;
    } catch (err) {
      if (forced) throw new Error(`backend "${forced}" is not available: ${message(err)}`);
      skipped.push({ name, reason: message(err) });
    }
  }
  throw new Error(`no TensorFlow.js backend could start: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`);
}

/** The backend chosen by `initBackend`, if any. */
export function currentBackend(): BackendChoice | undefined {
  return current;
}
