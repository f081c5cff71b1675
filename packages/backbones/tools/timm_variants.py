"""Prints, for every timm model name tfvision registers, timm's parameter count and default
pretrained_cfg as JSON (the source of fixtures/timm-variants.json).

Usage: TIMM_SRC=/path/to/pytorch-image-models /usr/bin/python3 timm_variants.py > ../fixtures/timm-variants.json
timm is not a dependency: point TIMM_SRC at a checkout of its source (it runs on torch 1.13).
"""
import json
import os
import sys

sys.path.insert(0, os.environ.get('TIMM_SRC', '/tmp/timm-src'))
import torch  # noqa: E402
import timm  # noqa: E402

NAMES = [
    'resnet18', 'resnet26', 'resnet34', 'resnet50', 'resnet101', 'resnet152',
    'resnet18d', 'resnet26d', 'resnet34d', 'resnet50d', 'resnet101d', 'resnet152d',
    'resnext50_32x4d', 'resnext50d_32x4d', 'resnext101_32x4d', 'resnext101_32x8d',
    'seresnet18', 'seresnet34', 'seresnet50', 'seresnet101', 'seresnet152',
    'seresnext26d_32x4d', 'seresnext50_32x4d', 'seresnext101_32x4d',
    'skresnet18', 'skresnet34', 'skresnet50', 'skresnet50d', 'skresnext50_32x4d',
    'resnest14d', 'resnest26d', 'resnest50d', 'resnest101e', 'resnest200e', 'resnest269e',
    'resnest50d_4s2x40d', 'resnest50d_1s4x24d',
] + [f'efficientnet_b{i}' for i in range(8)] + [f'tf_efficientnet_b{i}' for i in range(8)]

out = {}
for name in NAMES:
    with torch.device('meta') if hasattr(torch, 'device') and hasattr(torch.device, '__enter__') else torch.no_grad():
        model = timm.create_model(name, pretrained=False)
    cfg = model.pretrained_cfg
    out[name] = {
        'params': sum(p.numel() for p in model.parameters()),
        'inputSize': list(cfg['input_size']),
        'cropPct': cfg.get('crop_pct', 0.875),
        'interpolation': cfg.get('interpolation', 'bilinear'),
        'mean': list(cfg['mean']),
        'std': list(cfg['std']),
        'firstConv': cfg.get('first_conv'),
        'classifier': cfg.get('classifier'),
    }
    print(name, out[name]['params'], file=sys.stderr)
    del model
json.dump(out, sys.stdout, indent=1)
print()
