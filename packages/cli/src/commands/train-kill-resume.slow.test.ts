/**
 * Issue 17's kill -9 criterion in full, on the built CLI: `tfvision train det` (tiny resnest14d
 * Faster R-CNN, 64 px) and `tfvision train seg` (tiny resnest14d DeepLabV3) are SIGKILLed once
 * their log shows step 6 (checkpoints every 4 steps), resumed, SIGKILLed again once it shows step
 * 12 (a checkpoint step: the kill lands while or just after step 12's checkpoint is written, so the
 * resume starts from step 8 or 12, and either must do), and resumed to step 26: the 20 losses
 * after the first kill (steps 7..26), and all the others, equal an uninterrupted run's bit for
 * bit; the log holds each step once; no checkpoint temporary is left.
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUNDLED_CONFIG_DIR } from '../configs.js';
import { cliEntry, killAndResume, stepNumbers } from './__tests__/kill-resume.js';
import { tinyDetConfig, tinySegConfig } from './__tests__/kill-resume-configs.js';

const entry = cliEntry();
const dir = mkdtempSync(join(tmpdir(), 'tfvision-kill-resume-slow-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const TOTAL = 26;
const steps = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

(entry ? describe : describe.skip)(`kill -9 twice and --resume: the next 20 logged losses equal an uninterrupted run (built CLI)${entry ? '' : ' (skipped: packages/cli/dist is not built; npm test builds it)'}`, () => {
  it.each([
    ['det', tinyDetConfig],
    ['seg', tinySegConfig],
  ] as const)('tfvision train %s', async (task, tiny) => {
    const work = join(dir, task);
    mkdirSync(work);
    const config = join(work, `${task}.json`);
    writeFileSync(config, JSON.stringify(tiny(BUNDLED_CONFIG_DIR, join(work, 'data'), 4)));
    const r = await killAndResume(entry as string, task, config, work, TOTAL, [6, 12]);
    expect(r.kills.map((k) => k.lastLoggedStep >= 6 && k.lastLoggedStep < TOTAL)).toEqual([true, true]);
    expect(r.resumes[0].stderr).toContain(`at step 4/${TOTAL}`);
    const train = r.resumed.filter((x) => x.type === 'train');
    expect(train.map((x) => x.step)).toEqual(steps(1, TOTAL));
    const straight = r.straight.filter((x) => x.type === 'train');
    // The criterion: the 20 steps after the first kill at step 6, then the rest.
    expect(train.slice(6, 26).map(stepNumbers)).toEqual(straight.slice(6, 26).map(stepNumbers));
    expect(train.map(stepNumbers)).toEqual(straight.map(stepNumbers));
    const evals = r.resumed.filter((x) => x.type === 'eval');
    expect(evals.map((x) => x.step)).toEqual([TOTAL]);
    expect(evals[0].metrics).toEqual(r.straight.find((x) => x.type === 'eval')?.metrics);
    expect(readdirSync(join(work, 'cut', 'checkpoints')).filter((n) => n.startsWith('.'))).toEqual([]);
  }, 900_000);
});
