#!/usr/bin/env python3
"""Expected logits for the equivalence tests (issue #5), computed by the reference models.

Every parameter and buffer of the reference model (timm, whose source runs unmodified on
Debian's python3-torch) is filled by a deterministic formula that the TypeScript test
re-implements (packages/backbones/src/testing/formula-weights.ts), both run the same formula
input in eval mode, and the logits are written to fixtures/equivalence/<model>.json. The
weights themselves are never stored: the test regenerates them.

Formula, for a tensor named `name` with PyTorch shape `shape` and flat (row-major) index i:
    s = sin(phase(name) + i * GOLDEN), phase = fnv1a32(name) / 2^32 * 2pi
  conv / linear weight (ndim >= 2): s * WEIGHT_GAIN / sqrt(fan_in), fan_in = prod(shape[1:])
  BatchNorm weight (ndim 1, '.weight'): BN_SCALE_BASE + 0.1 s
  bias (ndim 1, '.bias'): 0.1 s
  running_mean: 0.1 s;  running_var: 1 + 0.25 (s + 1);  num_batches_tracked: 0
  input x[n, c, h, w] (NCHW flat index i, name "input"): sin(phase("input") + i * GOLDEN)
GOLDEN (the golden angle) keeps neighbouring values far apart, so activations stay O(1)
through deep networks instead of growing per stage; the script prints each stage's RMS to show it.

Usage (timm source from the fetched repo, never committed):
  PYTHONPATH=/tmp/timm-src /usr/bin/python3 packages/backbones/tools/make_equivalence.py [names...]
"""
import json
import math
import os
import sys

import numpy as np
import torch

GOLDEN = 2.399963229728653
WEIGHT_GAIN = 2.0
BN_SCALE_BASE = 0.6
SIZE = 64
BATCH = 2

DEFAULT = [
    'resnet26d', 'resnet50d', 'seresnet50', 'skresnet50', 'resnest50d', 'resnext50_32x4d', 'seresnext26d_32x4d', 'skresnet18', 'skresnext50_32x4d',
    'resnest14d', 'resnest50d_1s4x24d', 'resnest50d_4s2x40d', 'efficientnet_b0', 'tf_efficientnet_b0',
    # torchvision's own models under torchvision's parameter names: the test loads them through
    # the checkpoint adapter, so these fixtures also carry the key list and shapes.
    'torchvision:resnet50', 'torchvision:resnext50_32x4d', 'torchvision:efficientnet_b0',
]


def fnv1a32(s):
    h = 0x811C9DC5
    for b in s.encode('utf-8'):
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def wave(name, n):
    phase = fnv1a32(name) / 2 ** 32 * 2 * math.pi
    return np.sin(phase + np.arange(n, dtype=np.float64) * GOLDEN)


def formula(name, shape):
    n = int(np.prod(shape)) if len(shape) else 1
    s = wave(name, n)
    if name.endswith('num_batches_tracked'):
        return np.zeros(shape, dtype=np.int64)
    if name.endswith('running_mean'):
        v = 0.1 * s
    elif name.endswith('running_var'):
        v = 1.0 + 0.25 * (s + 1.0)
    elif len(shape) >= 2:
        v = s * WEIGHT_GAIN / math.sqrt(np.prod(shape[1:]))
    elif name.endswith('.weight'):
        v = BN_SCALE_BASE + 0.1 * s
    else:
        v = 0.1 * s
    return v.reshape(shape).astype(np.float32)


def feature_summary(module, f):
    flat = f.reshape(-1)
    positions = [int(i * (flat.size - 1) / 63) for i in range(64)]
    return {
        'module': module,
        'shape': list(f.shape),
        'sum': float(flat.sum()),
        'sumsq': float((flat * flat).sum()),
        'absmax': float(np.abs(flat).max()),
        'positions': positions,
        'values': [float(f'{flat[p]:.9g}') for p in positions],
    }


def stage_modules(model):
    names = []
    for n, _ in model.named_children():
        if n.startswith('layer') or n in ('conv1', 'bn1', 'conv_stem', 'conv_head', 'bn2', 'features'):
            names.append(n)
    if hasattr(model, 'blocks'):
        names += [f'blocks.{i}' for i in range(len(model.blocks))]
    return names


def main():
    import timm
    names = sys.argv[1:] or DEFAULT
    out_dir = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures', 'equivalence')
    os.makedirs(out_dir, exist_ok=True)
    torch.set_num_threads(2)
    for name in names:
        torchvision_name = name.split(':', 1)[1] if name.startswith('torchvision:') else None
        if torchvision_name:
            import torchvision
            model = getattr(torchvision.models, torchvision_name)()
        else:
            model = timm.create_model(name, pretrained=False)
        model.eval()
        sd = model.state_dict()
        filled = {k: torch.from_numpy(formula(k, list(v.shape))) for k, v in sd.items()}
        model.load_state_dict(filled, strict=True)
        x = torch.from_numpy(wave('input', BATCH * 3 * SIZE * SIZE).astype(np.float32).reshape(BATCH, 3, SIZE, SIZE))
        rms = {}
        hooks = []
        mods = dict(model.named_modules())
        # Every feature level (timm's feature_info, the maps a neck takes), NHWC, summarised by
        # its sum, sum of squares, max |value| and 64 values at fixed flat positions, so the
        # test checks each stage and not only the logits (a border or pooling difference in
        # one early block moved resnest50d's logits by only 4e-5 of their range).
        features = []
        feature_modules = [] if torchvision_name else [fi['module'] for fi in model.feature_info]
        for fm in feature_modules:
            hooks.append(mods[fm].register_forward_hook(lambda m, i, o, fm=fm: features.append((fm, o.detach().permute(0, 2, 3, 1).contiguous().double().numpy()))))
        for n in stage_modules(model):
            hooks.append(mods[n].register_forward_hook(lambda m, i, o, n=n: rms.__setitem__(n, float(o.float().pow(2).mean().sqrt()))))
        with torch.no_grad():
            logits = model(x).double().numpy()
        for h in hooks:
            h.remove()
        scale = float(np.abs(logits).max())
        record = {
            'model': torchvision_name or name,
            'reference': f'torchvision {__import__("torchvision").__version__} on torch {torch.__version__}' if torchvision_name else f'timm {timm.__version__} on torch {torch.__version__}',
            'input': {'batch': BATCH, 'channels': 3, 'height': SIZE, 'width': SIZE, 'layout': 'NCHW formula, see make_equivalence.py'},
            'formula': {'golden': GOLDEN, 'weightGain': WEIGHT_GAIN, 'bnScaleBase': BN_SCALE_BASE},
            'stateDictKeys': len(sd),
            'checkpointFormat': 'torchvision' if torchvision_name else 'timm',
            'stageRms': rms,
            'maxAbsLogit': scale,
            'logits': [[float(f'{v:.9g}') for v in row] for row in logits],
            'features': [feature_summary(fm, f) for fm, f in features],
        }
        if torchvision_name:
            record['stateDict'] = [[k, list(v.shape)] for k, v in sd.items()]
        with open(os.path.join(out_dir, f'{name.replace(":", "-")}.json'), 'w') as f:
            json.dump(record, f, separators=(',', ':'))
        print(f'{name}: max|logit| {scale:.4g}; stage RMS ' + ', '.join(f'{k} {v:.3g}' for k, v in rms.items()), flush=True)


if __name__ == '__main__':
    main()
