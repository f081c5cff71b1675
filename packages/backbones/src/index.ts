export * from './backbone.js';
export * from './registry.js';
