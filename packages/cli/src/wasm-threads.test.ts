import { wasmThreadsFor } from './wasm-threads.js';

describe('wasmThreadsFor', () => {
  it('keeps every core for depthwise (EfficientNet) backbones and one thread beside the native convolutions for the rest', () => {
    expect(wasmThreadsFor('efficientnet_b0')).toBe('all-cores');
    for (const name of ['resnest14d', 'resnet50', 'resnext50_32x4d', 'seresnet50', 'skresnet18']) expect(wasmThreadsFor(name)).toBe('one-beside-native');
  });

  it('leaves an unknown name to the config check (default policy)', () => {
    expect(wasmThreadsFor('resnest15x')).toBe('all-cores');
  });
});
