import { basename, join } from 'node:path';
import type { Command } from '../command.js';
import { UsageError } from '../command.js';
import { numberFlag, parseArgs, stringFlag } from '../args.js';

const HELP = `tfvision train cls --config C [--data DIR] [--resume] [--out DIR] [--steps N] [--epochs N] [--backend X]

Trains a classifier with the ResNeSt ImageNet recipe from a JSON config (bundled ones:
packages/cli/configs/imagenet/*.json, packages/cli/configs/fashion-mnist/*.json).
Writes under --out: log.jsonl (one record per logged step and per evaluation), curves.png
(loss, accuracy and learning-rate curves), checkpoints/step-NNNNNNNN/ (model.safetensors,
optimizer.safetensors, trainer.json) and checkpoints/latest.json. Progress goes to stderr.

  --config C     training config (JSON, may "extends" another)            required
  --data DIR     dataset directory (overrides data.root)
  --out DIR      run directory                          default runs/<config name>
  --resume       continue exactly from the newest checkpoint in --out
  --steps N      total optimiser steps (overrides schedule.epochs; the schedule spans N)
  --epochs N     schedule.epochs
  --backend X    cpu | wasm | webgpu | tensorflow       default: TFVISION_BACKEND or the first that works

Exit codes: 0 done, 1 training error (e.g. non-finite loss; the last good checkpoint is kept),
2 usage or config error.
`;

export const trainCommand: Command = {
  name: 'train',
  summary: 'train classifiers with the ResNeSt ImageNet recipe',
  help: HELP,
  async run(argv: string[]): Promise<number> {
    const args = parseArgs(argv, { values: ['config', 'data', 'out', 'steps', 'epochs', 'backend'], booleans: ['resume'] }, 'train');
    const [task, ...extra] = args.positional;
    if (task !== 'cls') throw new UsageError(task === undefined ? 'missing task: tfvision train cls --config C' : `unknown task "${task}" (known: cls)`);
    if (extra.length > 0) throw new UsageError(`unexpected argument "${extra[0]}"`);
    const configPath = stringFlag(args, 'config');
    if (!configPath) throw new UsageError('--config is required');
    const stepsFlag = stringFlag(args, 'steps');
    const steps = stepsFlag === undefined ? undefined : numberFlag(args, 'steps', 'train', 0);
    if (steps !== undefined && (!Number.isInteger(steps) || steps < 1)) throw new UsageError(`--steps must be a positive integer, got ${stepsFlag}`);
    const epochsFlag = stringFlag(args, 'epochs');
    const epochs = epochsFlag === undefined ? undefined : numberFlag(args, 'epochs', 'train', 0);
    if (epochs !== undefined && !(epochs > 0)) throw new UsageError(`--epochs must be a positive number, got ${epochsFlag}`);

    const { loadTrainConfig, ConfigError, buildRun, NonFiniteLossError } = await import('@tfvision/train');
    const overrides: Record<string, unknown> = {};
    const data = stringFlag(args, 'data');
    if (data) overrides.data = { root: data };
    if (epochs !== undefined) overrides.schedule = { epochs };
    let config;
    try {
      config = loadTrainConfig(configPath, overrides);
    } catch (err) {
      if (err instanceof ConfigError) throw new UsageError(err.message);
      throw err;
    }
    const { initBackend } = await import('@tfvision/nn');
    await initBackend({ backend: stringFlag(args, 'backend') });
    const outDir = stringFlag(args, 'out') ?? join('runs', basename(configPath).replace(/\.json$/, ''));
    const run = buildRun(config, { outDir, resume: args.flags.has('resume'), totalSteps: steps });
    try {
      const { trainer } = run;
      process.stderr.write(
        `train: ${config.model.name}, ${run.model.numParameters(true).toLocaleString('en-US')} parameters; ${run.trainSet.length} training / ${run.evalSet.length} evaluation images, ${run.trainSet.classes.length} classes; ` +
          `batch ${run.effectiveBatch} (${config.optim.batchSize} x ${config.optim.accumulate}), lr ${run.lr}; ${trainer.totalSteps} steps (${trainer.stepsPerEpoch}/epoch); out ${outDir}\n`,
      );
      const result = await trainer.run();
      const top = result.finalEval ? `; final top-1 ${(result.finalEval.top1 * 100).toFixed(2)}%, top-5 ${(result.finalEval.top5 * 100).toFixed(2)}%` : '';
      process.stderr.write(`train: done, ${result.steps} steps in ${result.wallSeconds.toFixed(1)} s (${result.imagesPerSecond.toFixed(1)} img/s)${top}; checkpoint ${result.checkpoint ?? 'none'}\n`);
      return 0;
    } catch (err) {
      if (err instanceof NonFiniteLossError) {
        process.stderr.write(`\ntfvision train: ${err.message}\n`);
        return 1;
      }
      throw err;
    } finally {
      await run.close();
    }
  },
};
