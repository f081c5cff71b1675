#!/usr/bin/env python3
"""Reference multiply-accumulate counts (convolutions + linear layers, one 224x224 image) of
timm's models, counted with forward hooks the way fvcore does, for the countMacs test.
  PYTHONPATH=/tmp/timm-src /usr/bin/python3 packages/backbones/tools/timm_macs.py > packages/backbones/fixtures/timm-macs.json
"""
import json
import sys

import torch

NAMES = ['resnet50d', 'resnext50_32x4d', 'seresnet50', 'skresnet50', 'resnest50d', 'resnest14d',
         'skresnext50_32x4d', 'efficientnet_b0', 'tf_efficientnet_b0', 'efficientnet_b3']


def count(model, size):
    total = [0]

    def conv_hook(m, inp, out):
        total[0] += out.numel() * m.kernel_size[0] * m.kernel_size[1] * (m.in_channels // m.groups)

    def linear_hook(m, inp, out):
        total[0] += out.numel() * m.in_features

    for m in model.modules():
        if isinstance(m, torch.nn.Conv2d):
            m.register_forward_hook(conv_hook)
        elif isinstance(m, torch.nn.Linear):
            m.register_forward_hook(linear_hook)
    with torch.no_grad():
        model(torch.zeros(1, 3, size, size))
    return total[0]


def main():
    import timm
    names = sys.argv[1:] or NAMES
    out = {}
    for n in names:
        m = timm.create_model(n).eval()
        out[n] = {'size': 224, 'macs': count(m, 224)}
    print(json.dumps(out, indent=1))


if __name__ == '__main__':
    main()
