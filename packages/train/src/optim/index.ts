export * from './param-groups.js';
export * from './sgd.js';
