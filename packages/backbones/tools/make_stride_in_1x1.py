#!/usr/bin/env python3
"""Reference feature maps for the strideIn1x1 option (issue #15): detectron2's STRIDE_IN_1X1.

detectron2's MSRA ResNet checkpoints (R-50.pkl, R-101.pkl) put each downsampling bottleneck's
stride on conv1 (the 1x1), as Caffe's ResNet did; torchvision and timm put it on conv2 (the
3x3). This script builds a narrow ResNet out of torchvision's own Bottleneck blocks (stem 64,
stage widths 4/8/8/8, blocks 2/2/1/1, so the fixture and the test stay small), once as
torchvision has it and once with the stride moved from conv2 to conv1 in every block that
strides, fills every parameter and buffer with the formula of make_equivalence.py (by name, so
the TypeScript test regenerates the same weights), runs the formula input in eval mode and writes
the c2..c5 maps (NHWC, flattened) of both to fixtures/stride-in-1x1.json.

Usage: /usr/bin/python3 packages/backbones/tools/make_stride_in_1x1.py [out.json]
"""
import json
import os
import sys

import numpy as np
import torch
from torch import nn
from torchvision.models.resnet import Bottleneck

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from make_equivalence import BN_SCALE_BASE, GOLDEN, WEIGHT_GAIN, formula, wave  # noqa: E402

CHANNELS = [4, 8, 8, 8]
LAYERS = [2, 2, 1, 1]
BATCH, HEIGHT, WIDTH = 1, 48, 40  # non-square, and odd sizes (3x3 at c4) where the strided 1x1 and 3x3 could disagree on size


class NarrowResNet(nn.Module):
    """torchvision's ResNet layout and parameter names, with narrow stages."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 64, 7, 2, 3, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(3, 2, 1)
        inplanes = 64
        for i, (planes, blocks) in enumerate(zip(CHANNELS, LAYERS)):
            stride = 1 if i == 0 else 2
            out = planes * Bottleneck.expansion
            downsample = nn.Sequential(nn.Conv2d(inplanes, out, 1, stride, bias=False), nn.BatchNorm2d(out))
            layer = [Bottleneck(inplanes, planes, stride, downsample)]
            layer += [Bottleneck(out, planes) for _ in range(1, blocks)]
            setattr(self, f'layer{i + 1}', nn.Sequential(*layer))
            inplanes = out

    def forward(self, x):
        y = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        maps = []
        for i in range(4):
            y = getattr(self, f'layer{i + 1}')(y)
            maps.append(y)
        return maps


def move_stride_to_1x1(model):
    moved = []
    for name, m in model.named_modules():
        if isinstance(m, Bottleneck) and m.conv2.stride != (1, 1):
            m.conv1.stride, m.conv2.stride = m.conv2.stride, (1, 1)
            moved.append(name)
    return moved


def run(stride_in_1x1):
    model = NarrowResNet().eval()
    moved = move_stride_to_1x1(model) if stride_in_1x1 else []
    sd = model.state_dict()
    model.load_state_dict({k: torch.from_numpy(formula(k, list(v.shape))) for k, v in sd.items()}, strict=True)
    x = torch.from_numpy(wave('input', BATCH * 3 * HEIGHT * WIDTH).astype(np.float32).reshape(BATCH, 3, HEIGHT, WIDTH))
    with torch.no_grad():
        maps = model(x)
    levels = {}
    for i, m in enumerate(maps):
        nhwc = m.permute(0, 2, 3, 1).contiguous().double().numpy()
        levels[f'c{i + 2}'] = {'shape': list(nhwc.shape), 'values': [float(f'{v:.9g}') for v in nhwc.reshape(-1)]}
    params = sum(p.numel() for p in model.parameters())
    return {'movedBlocks': moved, 'numParameters': params, 'levels': levels}


def main():
    torch.set_num_threads(1)
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'fixtures', 'stride-in-1x1.json')
    import torchvision
    record = {
        'reference': f'torchvision {torchvision.__version__} Bottleneck on torch {torch.__version__}, see make_stride_in_1x1.py',
        'arch': {'channels': CHANNELS, 'layers': LAYERS},
        'input': {'batch': BATCH, 'channels': 3, 'height': HEIGHT, 'width': WIDTH, 'layout': 'NCHW formula, see make_equivalence.py'},
        'formula': {'golden': GOLDEN, 'weightGain': WEIGHT_GAIN, 'bnScaleBase': BN_SCALE_BASE},
        'strideIn3x3': run(False),
        'strideIn1x1': run(True),
    }
    with open(out, 'w') as f:
        json.dump(record, f, separators=(',', ':'))
    for k in ('strideIn3x3', 'strideIn1x1'):
        r = record[k]
        print(k, r['numParameters'], r['movedBlocks'], {lv: (v['shape'], max(abs(t) for t in v['values'])) for lv, v in r['levels'].items()})


if __name__ == '__main__':
    main()
