/**
 * Kill -9 during `tfvision train det` and --resume (issue 17): the built CLI trains a tiny
 * resnest14d Faster R-CNN (64 px synthetic shapes, multi-scale and flips on, so the resize, flip,
 * sampler and data streams all have to resume), is SIGKILLed once its log shows step 4 (the
 * checkpoint is at step 3, so step 4 is logged twice on disk before the resume truncates it), and
 * resumed: the log holds each step once, every line whole, and every loss, learning rate and
 * gradient norm after the checkpoint, and the final evaluation, equal an uninterrupted run's bit
 * for bit. The 20-step version with a kill during a checkpoint write, and segmentation, are in
 * train-kill-resume.slow.test.ts.
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLED_CONFIG_DIR } from '../configs.js';
import { cliEntry, killAndResume, stepNumbers } from './__tests__/kill-resume.js';
import { tinyDetConfig } from './__tests__/kill-resume-configs.js';

const entry = cliEntry();
const dir = mkdtempSync(join(tmpdir(), 'tfvision-kill-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

(entry ? describe : describe.skip)(`tfvision train det: kill -9 and --resume (built CLI)${entry ? '' : ' (skipped: packages/cli/dist is not built; npm test builds it)'}`, () => {
  it('logs the uninterrupted run\'s losses after the resume, each step once', async () => {
    const config = join(dir, 'det.json');
    writeFileSync(config, JSON.stringify(tinyDetConfig(BUNDLED_CONFIG_DIR, join(dir, 'data'), 3)));
    const r = await killAndResume(entry as string, 'det', config, dir, 10, [4]);
    expect(r.kills[0].lastLoggedStep).toBeGreaterThanOrEqual(4);
    expect(r.kills[0].lastLoggedStep).toBeLessThan(10);
    expect(r.resumes[0].stderr).toContain(`resumed from ${join(dir, 'cut', 'checkpoints', 'step-00000003')} at step 3/10`);
    const train = r.resumed.filter((x) => x.type === 'train');
    expect(train.map((x) => x.step)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const straight = r.straight.filter((x) => x.type === 'train');
    expect(train.map(stepNumbers)).toEqual(straight.map(stepNumbers));
    const evals = r.resumed.filter((x) => x.type === 'eval');
    expect(evals.map((x) => x.step)).toEqual([10]);
    expect(evals[0].metrics).toEqual(r.straight.find((x) => x.type === 'eval')?.metrics);
    // No temporary of the killed writer is left beside the checkpoints.
    expect(readdirSync(join(dir, 'cut', 'checkpoints')).filter((n) => n.startsWith('.'))).toEqual([]);
  }, 600_000);
});
