import { getModelEntry } from '@tfvision/backbones';
import type { WasmThreadsPolicy } from '@tfvision/nn';

/**
 * The wasm thread policy for training or running a model over the zoo backbone `name`:
 * EfficientNet's depthwise convolutions stay on XNNPACK, whose pool wants every core; every
 * other family's convolutions go to @tfvision/native where it is installed, and then one wasm
 * thread leaves both cores to OpenBLAS (WasmThreadsPolicy). Unknown names keep the default:
 * the config check that follows names them.
 */
export function wasmThreadsFor(name: string): WasmThreadsPolicy {
  try {
    return getModelEntry(name).family === 'efficientnet' ? 'all-cores' : 'one-beside-native';
  } catch {
    return 'all-cores';
  }
}
