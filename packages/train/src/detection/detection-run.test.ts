/**
 * The run builder on a tiny Cascade R-CNN: a cascade trains through the same trainer and
 * evaluator as Faster R-CNN and its loss falls on a synthetic set; with multi-scale training on,
 * a resumed run logs an uninterrupted run's losses (it fails when the resize stream is not
 * restarted per step); backbone weights load into the body; config problems found while
 * building (a data path, a weights file, a parameter rule, an lr multiplier the optimiser cannot
 * apply) name the file.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { createBackbone, exportCheckpoint } from '@tfvision/backbones';
import { initBackend } from '@tfvision/nn';
import { ConfigError } from '../config/schema.js';
import { loadDetectionConfig, type DetectionTrainConfig } from './detection-config.js';
import { readDetectionLog, type DetectionTrainRecord } from './detection-log.js';
import { buildDetectionRun } from './detection-run.js';
import { tinyCascadeConfig } from './detection-test-configs.js';

const root = mkdtempSync(join(tmpdir(), 'tfvision-det-run-'));
const silent = { write: () => true, isTTY: false };

beforeAll(async () => {
  await initBackend({ backend: 'wasm', report: false });
});

/** A tiny cascade config with `over` merged into its top-level sections, loaded from a file so errors name it. */
function cascadeConfig(name: string, over: Record<string, Record<string, unknown>> = {}): { path: string; config: DetectionTrainConfig } {
  const base = tinyCascadeConfig(join(root, 'data'));
  const merged: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(over)) merged[k] = { ...(base[k] as object), ...v };
  const path = join(root, `${name}.json`);
  writeFileSync(path, JSON.stringify(merged));
  return { path, config: loadDetectionConfig(path) };
}

describe('buildDetectionRun with a Cascade R-CNN', () => {
  it('trains through the detection trainer, its loss falls, and the evaluation scores it', async () => {
    const { config } = cascadeConfig('train', { schedule: { iterations: 12, warmupIters: 2, milestones: [] }, eval: { everySteps: false, limit: 4 } });
    const outDir = join(root, 'run-cascade');
    const run = await buildDetectionRun(config, { outDir, progress: silent });
    try {
      expect(run.modelName).toBe('cascade_rcnn_resnest14d_fpn');
      expect(run.model.config.type).toBe('cascade_rcnn');
      const result = await run.trainer.run();
      const log = readDetectionLog(join(outDir, 'log.jsonl')).filter((r): r is DetectionTrainRecord => r.type === 'train');
      expect(log).toHaveLength(12);
      expect(Object.keys(log[0].losses).sort()).toEqual(['loss_box_reg_stage0', 'loss_box_reg_stage1', 'loss_box_reg_stage2', 'loss_cls_stage0', 'loss_cls_stage1', 'loss_cls_stage2', 'loss_rpn_cls', 'loss_rpn_loc']);
      const mean = (rs: DetectionTrainRecord[]) => rs.reduce((s, r) => s + r.loss, 0) / rs.length;
      const head = mean(log.slice(0, 4));
      const tail = mean(log.slice(-4));
      // Deterministic (seeded data, weights and samplers): 6.41 -> 4.96 on wasm; the margin covers other backends' rounding.
      expect(tail).toBeLessThan(0.85 * head);
      // The final evaluation ran on the cascade's predictions, with labels mapped back to category ids.
      const e = result.finalEval;
      expect(e?.images).toBe(4);
      expect(e?.bbox.stats).toHaveLength(12);
      expect(Object.keys(e?.bbox.perCategoryAP ?? {}).sort()).toEqual(['1', '2', '3', '4', '5']);
      const ids = new Set((e?.results.bbox ?? []).map((r) => r.category_id));
      expect([...ids].every((id) => [1, 2, 3, 4, 5].includes(id))).toBe(true);
      process.stdout.write(`cascade tiny run: loss ${head.toFixed(3)} (first 4 steps) -> ${tail.toFixed(3)} (last 4), ${result.stepsPerSecond.toFixed(2)} it/s, bbox AP50 ${e?.bbox.stats[1].toFixed(3)}\n`);
    } finally {
      run.close();
    }
  });

  it('with multi-scale training, a run resumed from its step-2 checkpoint logs the losses of an uninterrupted one', async () => {
    const over = { model: { ...(tinyCascadeConfig('').model as object), transform: { minSizeTrain: [40, 48, 56, 64], maxSizeTrain: 64, minSizeTest: 64, maxSizeTest: 64 } }, schedule: { iterations: 4, warmupIters: 1, milestones: [] }, checkpoint: { everySteps: 2, keep: 2 }, eval: { everySteps: false, limit: 1 } };
    const { config } = cascadeConfig('resume', over);
    const train = async (outDir: string, resume: boolean, stopAfter?: number) => {
      const run = await buildDetectionRun(config, { outDir, resume, progress: silent });
      try {
        if (stopAfter !== undefined) {
          // The process dies during step stopAfter + 1: the loader ends early and the run is abandoned.
          const loader = run.trainer.o.loader;
          const steps = loader.steps.bind(loader);
          loader.steps = (from: number, to: number) => steps(from, Math.min(to, stopAfter));
          await run.trainer.run().catch(() => undefined);
        } else await run.trainer.run();
      } finally {
        run.close();
      }
      return readDetectionLog(join(outDir, 'log.jsonl')).filter((r): r is DetectionTrainRecord => r.type === 'train');
    };
    const straight = await train(join(root, 'ms-straight'), false);
    const cut = join(root, 'ms-cut');
    await train(cut, false, 3);
    const resumed = await train(cut, true);
    expect(resumed.map((r) => r.step)).toEqual([1, 2, 3, 4]);
    expect(resumed.map((r) => r.losses)).toEqual(straight.map((r) => r.losses));
  });

  it('names the config file when a data path is missing or a parameter rule matches nothing', async () => {
    const missing = cascadeConfig('missing', { data: { root: join(root, 'nowhere'), synth: undefined as unknown as Record<string, unknown> } });
    await expect(buildDetectionRun(missing.config, { outDir: join(root, 'never') })).rejects.toThrow(
      new ConfigError(`${missing.path}: data.train.annotations: ${join(root, 'nowhere', 'train', 'annotations.json')} does not exist (data.root ${join(root, 'nowhere')}; pass --data DIR)`),
    );
    const rule = cascadeConfig('rule', { optimizer: { paramGroups: [{ match: 'backbone.bdy.*', weightDecay: 0 }] } });
    const before = tf.memory().numTensors;
    await expect(buildDetectionRun(rule.config, { outDir: join(root, 'never') })).rejects.toThrow(/rule\.json: optimizer\.paramGroups\[0\]\.match: "backbone\.bdy\.\*" matches no parameter of the model/);
    // The model built to learn the parameter names is freed again.
    expect(tf.memory().numTensors).toBe(before);
  });

  it('loads model.backbone.weights into the backbone body, and names the field when the file is missing or does not fit', async () => {
    const classifier = createBackbone('resnest14d');
    const weights = join(root, 'resnest14d-classifier.safetensors');
    await exportCheckpoint(classifier, weights);
    const { config } = cascadeConfig('weights', { model: { ...(tinyCascadeConfig('').model as object), backbone: { name: 'resnest14d', options: { norm: 'bn', frozenStages: 0 }, weights } } });
    const run = await buildDetectionRun(config, { outDir: join(root, 'weights-run') });
    try {
      expect(run.backboneWeights?.path).toBe(weights);
      expect(run.backboneWeights?.dropped).toEqual(['fc.weight', 'fc.bias']);
      const body = new Map(run.model.namedParameters().filter(([n]) => n.startsWith('backbone.body.')));
      const theirs = new Map(classifier.namedParameters());
      for (const name of ['conv1.0.weight', 'layer1.0.conv2.conv.weight', 'layer4.0.bn3.bias']) {
        expect(Array.from(body.get(`backbone.body.${name}`)?.dataSync() ?? [])).toEqual(Array.from(theirs.get(name)?.dataSync() ?? [NaN]));
      }
    } finally {
      run.close();
      classifier.dispose();
    }
    const missing = cascadeConfig('weights-missing', { model: { ...(config.model as object), backbone: { ...config.model.backbone, weights: join(root, 'none.safetensors') } } });
    await expect(buildDetectionRun(missing.config, { outDir: join(root, 'never') })).rejects.toThrow(new ConfigError(`${missing.path}: model.backbone.weights: ${join(root, 'none.safetensors')} does not exist`));
    const other = createBackbone('resnet18');
    const wrong = join(root, 'resnet18.safetensors');
    await exportCheckpoint(other, wrong);
    other.dispose();
    const mismatch = cascadeConfig('weights-wrong', { model: { ...(config.model as object), backbone: { ...config.model.backbone, weights: wrong } } });
    await expect(buildDetectionRun(mismatch.config, { outDir: join(root, 'never') })).rejects.toThrow(/weights-wrong\.json: model\.backbone\.weights: .*resnet18\.safetensors/);
  });

  it('trains with an lrMult rule: the matched parameters move by that fraction of the rate', async () => {
    const { config } = cascadeConfig('lrmult', { optimizer: { paramGroups: [{ match: 'backbone.body.*', lrMult: 0.1 }] } });
    const run = await buildDetectionRun(config, { outDir: join(root, 'lrmult') });
    const entries = run.trainer.optimizer.params;
    expect(entries.filter((p) => p.name.startsWith('backbone.body.')).every((p) => p.lrMult === 0.1)).toBe(true);
    expect(entries.filter((p) => !p.name.startsWith('backbone.body.')).every((p) => (p.lrMult ?? 1) === 1)).toBe(true);
    run.close();
  });
});
