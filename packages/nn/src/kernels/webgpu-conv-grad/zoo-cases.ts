import type { ConvGradConfig } from './conv-grad-geometry.js';

/**
 * Small versions of the convolutions in the model zoo (ResNet-D stems and stages, ResNeXt and
 * ResNeSt grouped 3x3s, SK's dilated branch, EfficientNet's depthwise 3x3 and 5x5, TF-'same'
 * asymmetric padding), shared by the cpu emulation test, the WebGPU test and the GPU check.
 */
export interface ConvGradCase {
  name: string;
  x: [number, number, number, number];
  filter: [number, number, number, number];
  conv: ConvGradConfig;
}

const c = (s: number, d: number, pad: [number, number, number, number], groups = 1): ConvGradConfig => ({ strides: [s, s], dilations: [d, d], pad, groups });

export const ZOO_CASES: ConvGradCase[] = [
  { name: '1x1 stride 1 (bottleneck reduce)', x: [2, 6, 6, 32], filter: [1, 1, 32, 48], conv: c(1, 1, [0, 0, 0, 0]) },
  { name: '1x1 stride 2 (projection shortcut)', x: [2, 7, 7, 16], filter: [1, 1, 16, 24], conv: c(2, 1, [0, 0, 0, 0]) },
  { name: '3x3 stride 1 pad 1', x: [2, 6, 5, 16], filter: [3, 3, 16, 20], conv: c(1, 1, [1, 1, 1, 1]) },
  { name: '3x3 stride 2 pad 1', x: [2, 9, 8, 8], filter: [3, 3, 8, 12], conv: c(2, 1, [1, 1, 1, 1]) },
  { name: '3x3 stride 2, 3 input channels (deep stem)', x: [1, 11, 11, 3], filter: [3, 3, 3, 8], conv: c(2, 1, [1, 1, 1, 1]) },
  { name: '7x7 stride 2 pad 3 (ResNet stem)', x: [1, 12, 12, 3], filter: [7, 7, 3, 8], conv: c(2, 1, [3, 3, 3, 3]) },
  { name: '3x3 dilation 2 pad 2 (SK branch)', x: [1, 9, 9, 8], filter: [3, 3, 8, 8], conv: c(1, 2, [2, 2, 2, 2]) },
  { name: '3x3 stride 2, TF-same pad (0, 1)', x: [1, 8, 8, 4], filter: [3, 3, 4, 4], conv: c(2, 1, [0, 1, 0, 1]) },
  { name: '3x3 groups 32, 2 channels per group', x: [2, 6, 6, 64], filter: [3, 3, 2, 64], conv: c(1, 1, [1, 1, 1, 1], 32) },
  { name: '3x3 groups 32 stride 2, 4 in / 8 out per group', x: [1, 8, 8, 128], filter: [3, 3, 4, 256], conv: c(2, 1, [1, 1, 1, 1], 32) },
  { name: '3x3 groups 2 stride 2 dilation 2', x: [1, 11, 11, 8], filter: [3, 3, 4, 8], conv: c(2, 2, [2, 2, 2, 2], 2) },
  { name: 'depthwise 3x3 stride 1', x: [2, 6, 6, 8], filter: [3, 3, 1, 8], conv: c(1, 1, [1, 1, 1, 1], 8) },
  { name: 'depthwise 3x3 stride 2', x: [2, 9, 9, 8], filter: [3, 3, 1, 8], conv: c(2, 1, [1, 1, 1, 1], 8) },
  { name: 'depthwise 5x5 stride 1', x: [1, 9, 9, 8], filter: [5, 5, 1, 8], conv: c(1, 1, [2, 2, 2, 2], 8) },
  { name: 'depthwise 5x5 stride 2', x: [1, 11, 11, 8], filter: [5, 5, 1, 8], conv: c(2, 1, [2, 2, 2, 2], 8) },
  { name: 'depthwise 3x3 multiplier 2', x: [1, 7, 7, 4], filter: [3, 3, 1, 8], conv: c(1, 1, [1, 1, 1, 1], 4) },
];
