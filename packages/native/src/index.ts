export { loadNativeAddon, ADDON_PATH, PACKAGE_ROOT, type LoadedAddon, type NativeAddon } from './addon.js';
export { findPrebuild, parsePrebuildName, type PrebuildManifest, type PrebuildTags } from './prebuild.js';
export { packGeometry, type NativeConvGeometry } from './geometry.js';
export { isNativeKernel, registerNativeWasmKernels, type NativeRegistration } from './wasm-kernels.js';
