export * from './backbone.js';
export * from './registry.js';
export * from './resnet-blocks.js';
export * from './resnet.js';
export * from './timm-cfgs.js';
