import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { numberFlag, parseArgs, stringFlag } from '../args.js';
import { checkBackendName, checkModelName } from '../checks.js';

/** Every backbone downsamples 32x: a smaller crop reaches the last stage as padding alone. */
export const DEMO_MIN_SIZE = 32;
/** The synthetic images are 96 px; far larger crops only upsample them at a memory cost. */
export const DEMO_MAX_SIZE = 256;
/** The loss is judged by its first against its last quarter, which takes two steps at least. */
export const DEMO_MIN_STEPS = 2;

const HELP = `tfvision demo [--model NAME] [--steps N] [--images N] [--size PX] [--seed S] [--backend X] [--out DIR]

The main job on the embedded default data: generates a synthetic COCO dataset of coloured
shapes (tfvision data synth), cuts every object into a small classification crop, fine-tunes
a backbone from the zoo (default resnest14d at 32x32) with SGD + momentum for a few steps,
printing the loss as it falls, then reports accuracy on held-out crops.

  --model NAME    registered backbone (tfvision model list)     default resnest14d
  --steps N       training steps, >= 2                           default 30
  --images N      synthetic images to generate                   default 48
  --size PX       crop size fed to the model, 32..256            default 32
  --seed S        data and init seed                             default 0
  --backend X     cpu | wasm | webgpu | tensorflow               default: first that works
  --out DIR       keep the generated dataset there (default: a temp dir, removed after)
`;

export const demoCommand: Command = {
  name: 'demo',
  summary: 'run the main job on the embedded default data',
  help: HELP,
  async run(argv: string[]): Promise<number> {
    const args = parseArgs(argv, { values: ['model', 'steps', 'images', 'size', 'seed', 'backend', 'out'], booleans: [] }, 'demo');
    const steps = numberFlag(args, 'steps', 'demo', 30);
    const images = numberFlag(args, 'images', 'demo', 48);
    const size = numberFlag(args, 'size', 'demo', 32);
    const seed = numberFlag(args, 'seed', 'demo', 0);
    if (!Number.isInteger(steps) || steps < DEMO_MIN_STEPS) {
      throw new UsageError(`--steps must be an integer >= ${DEMO_MIN_STEPS} (the demo compares the mean loss of the first and last quarter of its steps), got ${steps}`);
    }
    if (!Number.isInteger(images) || images < 4) throw new UsageError(`--images must be an integer >= 4, got ${images}`);
    if (!Number.isInteger(size) || size < DEMO_MIN_SIZE || size > DEMO_MAX_SIZE) {
      throw new UsageError(`--size must be an integer in ${DEMO_MIN_SIZE}..${DEMO_MAX_SIZE} (the backbones downsample 32x), got ${size}`);
    }
    const model = stringFlag(args, 'model') ?? 'resnest14d';
    await checkModelName(model, 'demo');
    const backend = stringFlag(args, 'backend');
    await checkBackendName(backend, 'demo');
    const { runDemo } = await import('../demo/run-demo.js');
    const out = stringFlag(args, 'out');
    const dir = out ?? (await mkdtemp(join(tmpdir(), 'tfvision-demo-')));
    try {
      const result = await runDemo({ model, steps, images, size, seed, backend, dataDir: dir, log: (line) => process.stdout.write(`${line}\n`) });
      return result.lossFell ? 0 : 1;
    } finally {
      if (!out) await rm(dir, { recursive: true, force: true });
    }
  },
};
