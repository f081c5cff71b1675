import os from 'node:os';
import { wantedWasmThreads } from './wasm-threads.js';

describe('wantedWasmThreads', () => {
  const saved = { threads: process.env.TFVISION_WASM_THREADS, jest: process.env.JEST_WORKER_ID };
  afterEach(() => {
    for (const [key, value] of [['TFVISION_WASM_THREADS', saved.threads], ['JEST_WORKER_ID', saved.jest]] as const) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  });

  it('gives every core by default and one beside the native kernels, outside jest', () => {
    delete process.env.TFVISION_WASM_THREADS;
    delete process.env.JEST_WORKER_ID;
    const cores = Math.max(1, os.cpus().length);
    expect(wantedWasmThreads()).toBe(cores);
    expect(wantedWasmThreads('all-cores', true)).toBe(cores);
    expect(wantedWasmThreads('one-beside-native', true)).toBe(1);
    // Without the addon XNNPACK runs the convolutions and gets every core.
    expect(wantedWasmThreads('one-beside-native', false)).toBe(cores);
  });

  it('lets TFVISION_WASM_THREADS override the policy, and rejects a bad value by name', () => {
    process.env.TFVISION_WASM_THREADS = '3';
    expect(wantedWasmThreads('one-beside-native', true)).toBe(3);
    process.env.TFVISION_WASM_THREADS = 'two';
    expect(() => wantedWasmThreads()).toThrow('TFVISION_WASM_THREADS: expected a positive integer, got "two"');
  });

  it('stays at one thread under jest', () => {
    delete process.env.TFVISION_WASM_THREADS;
    process.env.JEST_WORKER_ID = '1';
    expect(wantedWasmThreads('all-cores', false)).toBe(1);
  });
});
