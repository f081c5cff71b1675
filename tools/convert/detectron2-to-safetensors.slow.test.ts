/**
 * tools/convert/detectron2_to_safetensors.py on a small model-zoo-style pickle it is handed
 * ({"model": {name: numpy array}, "__author__", "matching_heuristics"}), read back with
 * @tfvision/nn's safetensors reader: names, dtypes, shapes and values, and the BGR -> RGB flip
 * of the first convolution. Needs /usr/bin/python3 with numpy; skips without it.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readSafetensors } from '@tfvision/nn';

const PYTHON = '/usr/bin/python3';
const SCRIPT = path.join(__dirname, 'detectron2_to_safetensors.py');
const hasNumpy = spawnSync(PYTHON, ['-c', 'import numpy'], { stdio: 'ignore' }).status === 0;

const MAKE_PICKLE = `
import pickle, sys, numpy as np
w = np.arange(2 * 3 * 2 * 2, dtype=np.float32).reshape(2, 3, 2, 2)
model = {
  'backbone.bottom_up.stem.conv1.weight': w,
  'backbone.bottom_up.stem.conv1.norm.running_var': np.array([1.5, 2.5], dtype=np.float32),
  'roi_heads.box_predictor.0.bbox_pred.bias': np.array([0.25, -1, 2, 3], dtype=np.float64),
  'proposal_generator.anchor_generator.cell_anchors.0': np.zeros((3, 4), dtype=np.float32),
  'step': 7,
}
with open(sys.argv[1], 'wb') as f:
    pickle.dump({'model': model, '__author__': 'Detectron2 Model Zoo', 'matching_heuristics': True}, f)
`;

(hasNumpy ? describe : describe.skip)(`detectron2_to_safetensors.py${hasNumpy ? '' : ' (skipped: /usr/bin/python3 with numpy is absent)'}`, () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'd2-convert-'));
  const pkl = path.join(dir, 'model_final.pkl');
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  beforeAll(() => {
    execFileSync(PYTHON, ['-c', MAKE_PICKLE, pkl]);
  });

  it('keeps every array under its name, dtype and shape, and drops the bookkeeping', () => {
    const out = path.join(dir, 'plain.safetensors');
    const log = spawnSync(PYTHON, [SCRIPT, pkl, out], { encoding: 'utf8' });
    expect(log.status).toBe(0);
    expect(log.stderr).toMatch(/4 tensors; dropped non-array entries: step/);
    const { tensors, metadata } = readSafetensors(out);
    expect([...tensors.keys()].sort()).toEqual(['backbone.bottom_up.stem.conv1.norm.running_var', 'backbone.bottom_up.stem.conv1.weight', 'proposal_generator.anchor_generator.cell_anchors.0', 'roi_heads.box_predictor.0.bbox_pred.bias']);
    const conv = tensors.get('backbone.bottom_up.stem.conv1.weight')!;
    expect(conv.dtype).toBe('F32');
    expect(conv.shape).toEqual([2, 3, 2, 2]);
    expect(Array.from(conv.data.slice(0, 5))).toEqual([0, 1, 2, 3, 4]);
    const bias = tensors.get('roi_heads.box_predictor.0.bbox_pred.bias')!;
    expect(bias.dtype).toBe('F64');
    expect(Array.from(bias.data)).toEqual([0.25, -1, 2, 3]);
    expect(metadata).toMatchObject({ format: 'pt', source: 'detectron2' });
  });

  it('--bgr-to-rgb reverses the first convolution\'s input channels only', () => {
    const out = path.join(dir, 'rgb.safetensors');
    execFileSync(PYTHON, [SCRIPT, pkl, out, '--bgr-to-rgb'], { stdio: 'ignore' });
    const conv = readSafetensors(out).tensors.get('backbone.bottom_up.stem.conv1.weight')!;
    // w[o, c, i, j] = 12 o + 4 c + 2 i + j; flipped: channel c holds the original 2 - c.
    const at = (o: number, c: number, i: number, j: number) => conv.data[((o * 3 + c) * 2 + i) * 2 + j];
    expect([at(0, 0, 0, 0), at(0, 2, 0, 0), at(1, 1, 1, 1)]).toEqual([8, 0, 12 + 4 + 2 + 1]);
  });

  it('names a missing first convolution in one line', () => {
    const log = spawnSync(PYTHON, [SCRIPT, pkl, path.join(dir, 'x.safetensors'), '--bgr-to-rgb', '--first-conv', 'conv1.weight'], { encoding: 'utf8' });
    expect(log.status).not.toBe(0);
    expect(log.stderr.trim()).toBe('detectron2_to_safetensors: --bgr-to-rgb: no tensor "conv1.weight" (use --first-conv to name the first convolution)');
  });
});
