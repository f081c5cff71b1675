"""torchvision CPU timing of one Mask R-CNN training step, for tools/bench/det-train.js (issue #17).

Reads the bench's spec (JSON: {"name": case label, "model": "maskrcnn_<body>_fpn", "body": timm
name, "minSize": s, "maxSize": m, "images": [{"pixels": path, "masks": path, "height", "width",
"boxes": [[x1, y1, x2, y2], ...], "labels": [...]}], "trainable": [[name, weight decay], ...],
"lr", "momentum", "warmup", "steps", "threads", "seed"}): the pixels are HWC uint8 and the masks
[N, H, W] uint8, written by the bench, so both sides train on the same bytes.
The model is torchvision's MaskRCNN (91 classes, its training defaults, GeneralizedRCNNTransform
with min_size/max_size from the spec) over BackboneWithFPN(timm <body>, layer1..layer4 ->
'0'..'3', LastLevelMaxPool) as tools/bench_detector.py builds it, every BatchNorm2d of the body
swapped for torchvision's FrozenBatchNorm2d (our presets' frozen_bn), filled with the hash weights
of packages/heads/tools/reference/hash_weights.py under the same names as ours. Exactly the
parameters our trainer trains (the spec's list: frozen stages and frozen BN left out) have
requires_grad, in SGD groups by their weight decay, momentum as ours.
A step is what our DetectionTrainer.trainStep does: tensors from the bytes, model.train() loss
dict, its sum, backward, SGD step, the loss values read back. `warmup` untimed steps, then
`steps` timed ones; one JSON line: images/s from the median step, each step's total loss.
timm from its source: TIMM_SRC (default /tmp/timm_src, timm at aa4b5850).
Run: /usr/bin/python3 tools/bench/torch_det_train.py spec.json
"""
import json
import os
import statistics
import sys
import time

import numpy as np
import torch
import torchvision
from torchvision.models.detection import MaskRCNN
from torchvision.models.detection.backbone_utils import BackboneWithFPN
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool
from torchvision.ops.misc import FrozenBatchNorm2d

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'packages', 'heads', 'tools', 'reference'))
from rcnn import fill  # noqa: E402  (hash weights under the state-dict names)

STAGES = ['layer1', 'layer2', 'layer3', 'layer4']


def frozen_bn(module):
    """Every BatchNorm2d below `module` as FrozenBatchNorm2d (same eps); buffers are filled afterwards."""
    for name, child in module.named_children():
        if isinstance(child, torch.nn.BatchNorm2d):
            setattr(module, name, FrozenBatchNorm2d(child.num_features, eps=child.eps))
        else:
            frozen_bn(child)


def build(spec):
    src = os.environ.get('TIMM_SRC', '/tmp/timm_src')
    if not os.path.isdir(os.path.join(src, 'timm')):
        raise RuntimeError(f'TIMM_SRC={src} has no timm/ folder')
    sys.path.insert(0, src)
    import timm
    torch.manual_seed(spec['seed'])
    body = timm.create_model(spec['body'], pretrained=False)
    frozen_bn(body)
    channels = [f['num_chs'] for f in body.feature_info if f['module'] in STAGES]
    backbone = BackboneWithFPN(body, {s: str(i) for i, s in enumerate(STAGES)}, channels, 256, extra_blocks=LastLevelMaxPool())
    model = MaskRCNN(backbone, num_classes=91, min_size=spec['minSize'], max_size=spec['maxSize'])
    fill(model)
    return model, f'torchvision {torchvision.__version__} MaskRCNN over timm {timm.__version__} {spec["body"]} (aa4b5850), FrozenBatchNorm2d'


def optimiser(model, spec):
    decay = dict((name, wd) for name, wd in spec['trainable'])
    params = dict(model.named_parameters())
    missing = sorted(set(decay) - set(params))
    if missing:
        raise RuntimeError(f'{len(missing)} of our trainable parameters are not in the torchvision model, e.g. {missing[:3]}')
    groups = {}
    for name, p in params.items():
        p.requires_grad_(name in decay)
        if name in decay:
            groups.setdefault(decay[name], []).append(p)
    return torch.optim.SGD([{'params': ps, 'weight_decay': wd} for wd, ps in groups.items()], lr=spec['lr'], momentum=spec['momentum']), len(decay)


def batch(spec):
    """Tensors from the bench's bytes, as our trainer's toModelInputs makes them (inside the timed step there too)."""
    images, targets = [], []
    for im in spec['images']:
        h, w = im['height'], im['width']
        pixels = np.fromfile(im['pixels'], dtype=np.uint8).reshape(h, w, 3)
        masks = np.fromfile(im['masks'], dtype=np.uint8).reshape(-1, h, w)
        images.append(torch.from_numpy(pixels).permute(2, 0, 1).float() / 255)
        targets.append({
            'boxes': torch.tensor(im['boxes'], dtype=torch.float32).reshape(-1, 4),
            'labels': torch.tensor(im['labels'], dtype=torch.int64),
            'masks': torch.from_numpy(masks),
        })
    return images, targets


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    torch.set_num_threads(spec['threads'])
    try:
        model, what = build(spec)
        opt, trained = optimiser(model, spec)
        model.train()
        times, totals, first = [], [], None
        for i in range(spec['warmup'] + spec['steps']):
            t0 = time.perf_counter()
            images, targets = batch(spec)
            losses = model(images, targets)
            total = sum(losses.values())
            opt.zero_grad(set_to_none=True)
            total.backward()
            opt.step()
            values = {k: float(v) for k, v in losses.items()}
            ms = (time.perf_counter() - t0) * 1000
            if first is None:
                first = values
            totals.append(sum(values.values()))
            if i >= spec['warmup']:
                times.append(ms)
            print(f'torch step {i}: {ms / 1000:.2f} s, loss {totals[-1]:.4f}', file=sys.stderr, flush=True)
        median = statistics.median(times)
        row = {
            'name': spec['name'],
            'imagesPerSecond': len(spec['images']) * 1000 / median,
            'medianMs': median,
            'minMs': min(times),
            'firstLosses': first,
            'totals': totals,
            'trainedParameters': trained,
            'reference': what,
            'torch': torch.__version__,
            'threads': torch.get_num_threads(),
        }
    except Exception as err:  # the bench prints the reason instead of a figure
        row = {'name': spec['name'], 'error': f'{type(err).__name__}: {err}'.split('\n')[0]}
    print(json.dumps(row), flush=True)


if __name__ == '__main__':
    main()
