import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { numberFlag, parseArgs, stringFlag } from '../args.js';
import { checkBackendName } from '../checks.js';
import { resolveConfigPath } from '../configs.js';

/** The bundled detection config the demo fine-tunes with (configs/). */
export const DEMO_CONFIG = 'demo_mask_rcnn_resnest14d_fpn_synth';
/** The synthetic generator's smallest image; the detector downsamples 32x (plus the FPN pool level). */
export const DEMO_MIN_SIZE = 32;
/** Larger images only cost time here: the demo is sized for a few CPU minutes. */
export const DEMO_MAX_SIZE = 256;
/** Held-out bbox AP50 the demo must reach: below it the exit status is 1. */
export const DEMO_MIN_AP50 = 0.5;

/**
 * The recipe that reaches held-out bbox AP50 >= 0.5 in a few CPU minutes: 64 px images of 1-4
 * large, little-occluded shapes, and the time spent on detector iterations (crop pretraining
 * stays available with --pretrain-steps).
 */
export const DEMO_DEFAULTS = { steps: 900, pretrainSteps: 0, images: 300, heldOut: 50, size: 64, maxObjects: 4, seed: 0 } as const;
/** The generator's limit on shapes per image. */
const DEMO_MAX_OBJECTS_LIMIT = 20;

const HELP = `tfvision demo [--steps N] [--pretrain-steps N] [--images N] [--held-out N] [--size PX] [--min-radius PX] [--max-objects N] [--max-occlusion F] [--seed S] [--min-ap50 X] [--config C] [--backend X] [--out DIR]

The main job on data it makes itself: fine-tuning a detector. Generates synthetic COCO
shapes where every instance has a random colour (the class is the shape alone) and shapes
may occlude each other, a training and a held-out split; trains a small Mask R-CNN
(configs/${DEMO_CONFIG}.json) with the detection trainer (SGD, warmup,
step decay), from random weights or, with --pretrain-steps, from a resnest14d backbone first
trained as a classifier on object crops of the training split. Prints held-out COCO bbox
and segm AP / AP50 before and after fine-tuning; writes under --out the drawn detections of
the first held-out images (predictions/*.png), curves.png, log.jsonl and metrics.json.

  --steps N            detection fine-tuning iterations (batch 4)     default ${DEMO_DEFAULTS.steps}
  --pretrain-steps N   crop-classification steps (batch 32); 0: the
                       detector starts from random weights            default ${DEMO_DEFAULTS.pretrainSteps}
  --images N           synthetic training images                      default ${DEMO_DEFAULTS.images}
  --held-out N         synthetic held-out images                      default ${DEMO_DEFAULTS.heldOut}
  --size PX            image width, ${DEMO_MIN_SIZE}..${DEMO_MAX_SIZE}                           default ${DEMO_DEFAULTS.size}
  --min-radius PX      smallest shape radius                          default 5/32 of --size (10 at 64)
  --max-objects N      shapes per image at most, 1..${DEMO_MAX_OBJECTS_LIMIT}                default ${DEMO_DEFAULTS.maxObjects}
  --max-occlusion F    largest hidden fraction of a shape, 0..0.9     default: the config's data.synth.maxOcclusion
  --seed S             data, initialisation and sampling seed         default ${DEMO_DEFAULTS.seed}
  --min-ap50 X         held-out bbox AP50 (0..1) to pass               default ${DEMO_MIN_AP50}
  --config C           detection config (path or bundled name)       default ${DEMO_CONFIG}
  --backend X          cpu | wasm | webgpu | tensorflow               default: TFVISION_BACKEND or the first that works
  --out DIR            run directory (its previous demo files are replaced)   default runs/demo

Exit codes: 0 held-out bbox AP50 >= --min-ap50, 1 below it, 2 usage error.
`;

function integerFlag(args: ReturnType<typeof parseArgs>, key: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const v = numberFlag(args, key, 'demo', fallback);
  if (!Number.isInteger(v) || v < min || v > max) throw new UsageError(`--${key} must be an integer in ${min}..${max === Number.MAX_SAFE_INTEGER ? 'inf' : max}, got ${v}`);
  return v;
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'fine-tune a Mask R-CNN on synthetic shapes and report held-out AP',
  help: HELP,
  async run(argv: string[]): Promise<number> {
    const args = parseArgs(argv, { values: ['steps', 'pretrain-steps', 'images', 'held-out', 'size', 'min-radius', 'max-objects', 'max-occlusion', 'seed', 'min-ap50', 'config', 'backend', 'out'], booleans: [] }, 'demo');
    if (args.positional.length > 0) throw new UsageError(`demo: unexpected argument "${args.positional[0]}"`);
    const steps = integerFlag(args, 'steps', DEMO_DEFAULTS.steps, 1);
    const pretrainSteps = integerFlag(args, 'pretrain-steps', DEMO_DEFAULTS.pretrainSteps, 0);
    const images = integerFlag(args, 'images', DEMO_DEFAULTS.images, 2);
    const heldOutImages = integerFlag(args, 'held-out', DEMO_DEFAULTS.heldOut, 1);
    const size = integerFlag(args, 'size', DEMO_DEFAULTS.size, DEMO_MIN_SIZE, DEMO_MAX_SIZE);
    const minRadius = !args.flags.has('min-radius') ? undefined : numberFlag(args, 'min-radius', 'demo', 0);
    // The generator's bound: 0.48 of the short side (3/4 of the width).
    const largestRadius = (0.48 * (size * 3)) / 4;
    if (minRadius !== undefined && !(minRadius >= 1 && minRadius <= largestRadius)) throw new UsageError(`--min-radius must be in 1..${largestRadius} at --size ${size}, got ${minRadius}`);
    const maxObjects = integerFlag(args, 'max-objects', DEMO_DEFAULTS.maxObjects, 1, DEMO_MAX_OBJECTS_LIMIT);
    const maxOcclusion = !args.flags.has('max-occlusion') ? undefined : numberFlag(args, 'max-occlusion', 'demo', 0);
    if (maxOcclusion !== undefined && !(maxOcclusion >= 0 && maxOcclusion <= 0.9)) throw new UsageError(`--max-occlusion must be in 0..0.9, got ${maxOcclusion}`);
    const seed = integerFlag(args, 'seed', DEMO_DEFAULTS.seed, 0);
    const minAp50 = numberFlag(args, 'min-ap50', 'demo', DEMO_MIN_AP50);
    if (!(minAp50 >= 0 && minAp50 <= 1)) throw new UsageError(`--min-ap50 must be in 0..1, got ${minAp50}`);
    const backend = stringFlag(args, 'backend');
    await checkBackendName(backend, 'demo');
    const outDir = stringFlag(args, 'out') ?? 'runs/demo';
    const { runDemo } = await import('../demo/run-demo.js');
    const result = await runDemo({
      configPath: resolveConfigPath(stringFlag(args, 'config') ?? DEMO_CONFIG),
      steps,
      pretrainSteps,
      images,
      heldOutImages,
      size,
      minRadius,
      maxObjects,
      maxOcclusion,
      seed,
      minAp50,
      backend,
      outDir,
      log: (line) => process.stdout.write(`${line}\n`),
    });
    return result.passed ? 0 : 1;
  },
};
