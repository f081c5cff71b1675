export * from './curves-svg.js';
export * from './training-curves.js';
export * from './loss-panels.js';
