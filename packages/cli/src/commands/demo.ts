import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { numberFlag, parseArgs, stringFlag } from '../args.js';

const HELP = `tfvision demo [--model NAME] [--steps N] [--images N] [--size PX] [--seed S] [--backend X] [--out DIR]

The main job on the embedded default data: generates a synthetic COCO dataset of coloured
shapes (tfvision data synth), cuts every object into a small classification crop, fine-tunes
a backbone from the zoo (default resnest14d at 32x32) with SGD + momentum for a few steps,
printing the loss as it falls, then reports accuracy on held-out crops.

  --model NAME    registered backbone (tfvision model list)     default resnest14d
  --steps N       training steps                                 default 30
  --images N      synthetic images to generate                   default 48
  --size PX       crop size fed to the model                     default 32
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
    if (!Number.isInteger(steps) || steps < 1) throw new UsageError(`--steps must be a positive integer, got ${steps}`);
    if (!Number.isInteger(images) || images < 4) throw new UsageError(`--images must be an integer >= 4, got ${images}`);
    const { runDemo } = await import('../demo/run-demo.js');
    const out = stringFlag(args, 'out');
    const dir = out ?? (await mkdtemp(join(tmpdir(), 'tfvision-demo-')));
    try {
      const result = await runDemo({ model: stringFlag(args, 'model') ?? 'resnest14d', steps, images, size, seed, backend: stringFlag(args, 'backend'), dataDir: dir, log: (line) => process.stdout.write(`${line}\n`) });
      return result.lossFell ? 0 : 1;
    } finally {
      if (!out) await rm(dir, { recursive: true, force: true });
    }
  },
};
