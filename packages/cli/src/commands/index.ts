import type { Command } from '../command.js';

/**
 * Subcommands are loaded lazily so `tfvision eval` never pays for TensorFlow.js and
 * `--help` starts instantly.
 */
export const commandLoaders: Record<string, { summary: string; load: () => Promise<Command> }> = {
  demo: { summary: 'train a Mask R-CNN on synthetic shapes and report held-out COCO AP (the main job)', load: async () => (await import('./demo.js')).demoCommand },
  model: { summary: 'list, inspect, run and benchmark registered models (backbones, detectors)', load: async () => (await import('./model.js')).modelCommand },
  detect: { summary: 'run a registered detector on a .npy image or image files (COCO results, drawings)', load: async () => (await import('./detect.js')).detectCommand },
  segment: { summary: 'run a registered segmenter on a .npy batch or image files (logits, class PNGs, overlays)', load: async () => (await import('./segment.js')).segmentCommand },
  eval: { summary: 'evaluate COCO results (bbox/segm) exactly as pycocotools, and segmentation (mIoU)', load: async () => (await import('./eval.js')).evalCommand },
  data: { summary: 'generate and inspect datasets (synthetic COCO)', load: async () => (await import('./data.js')).dataCommand },
  train: { summary: 'train classifiers with the ResNeSt ImageNet recipe', load: async () => (await import('./train.js')).trainCommand },
};
