export { loadNativeAddon, ADDON_PATH, type NativeAddon } from './addon.js';
export { packGeometry, type NativeConvGeometry } from './geometry.js';
export { registerNativeWasmKernels, type NativeRegistration } from './wasm-kernels.js';
