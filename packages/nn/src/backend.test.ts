import { initBackend } from './backend.js';

describe('initBackend', () => {
  it('rejects an unknown forced backend with the known names', async () => {
    await expect(initBackend({ backend: 'metal', report: false })).rejects.toThrow('unknown backend "metal" (known: tensorflow, webgpu, wasm, cpu)');
  });

  it('fails clearly when a forced backend cannot be had', async () => {
    // tfjs-node is an optional peer the repo never installs.
    await expect(initBackend({ backend: 'tensorflow', report: false })).rejects.toThrow(/backend "tensorflow" is not available: @tensorflow\/tfjs-node-gpu: .*@tensorflow\/tfjs-node: /);
  });

  it('chooses the forced cpu backend and reports it', async () => {
    const choice = await initBackend({ backend: 'cpu', report: false });
    expect(choice.name).toBe('cpu');
    expect(choice.provider).toBe('@tensorflow/tfjs-backend-cpu');
  });
});
