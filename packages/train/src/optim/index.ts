export * from './param-groups.js';
export * from './sgd.js';
export { SgdMomentum, sgdMomentumUpdate, type SgdMomentumAttrs } from './sgd-kernel.js';
