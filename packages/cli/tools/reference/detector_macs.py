#!/usr/bin/env python3
"""Multiply-accumulates of torchvision's Faster / Mask R-CNN (torchvision 0.14) on one 800x1088
image, counted by forward hooks on every Conv2d, ConvTranspose2d and Linear, per part
(backbone.body, backbone.fpn, rpn.head, roi_heads.box_head/box_predictor/mask_head/
mask_predictor), as fvcore counts them: conv = output elements x kernel taps x in/groups,
transposed conv = input elements x kernel taps x out, linear = rows x in x out.

The detector runs in eval mode with random weights, rpn_nms_thresh 1.0 and box_score_thresh 0,
so that the RoI heads see the full post-NMS proposal count (random weights on a random image
can leave fewer than 1000 proposals after NMS 0.7: 857 were seen) and keep the full detection
count; the hooks record both; min_size 800 leaves an 800x1088 image at its size and 1088 is a multiple of 32, so
the padded batch is 800x1088 (the transform's resize can give 799 rows; the pad restores 800).
packages/cli/src/commands/detector-macs.test.ts compares `tfvision model info`'s counts.

Usage: /usr/bin/python3 packages/cli/tools/reference/detector_macs.py [--out FILE] [models...]
(default FILE packages/cli/fixtures/detector-macs.json)
"""
import argparse
import json
import os

import torch
import torchvision
from torch import nn
from torchvision.models import detection

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = ['fasterrcnn_resnet50_fpn', 'maskrcnn_resnet50_fpn', 'fasterrcnn_resnet50_fpn_v2', 'maskrcnn_resnet50_fpn_v2']
PARTS = ['backbone.body', 'backbone.fpn', 'rpn.head', 'roi_heads.box_head', 'roi_heads.box_predictor', 'roi_heads.mask_head', 'roi_heads.mask_predictor']


def macs_of(module, inputs, output):
    x = inputs[0]
    if isinstance(module, nn.ConvTranspose2d):
        kh, kw = module.kernel_size
        return x.shape[0] * x.shape[2] * x.shape[3] * module.in_channels * module.out_channels * kh * kw
    if isinstance(module, nn.Conv2d):
        kh, kw = module.kernel_size
        return output.numel() * kh * kw * module.in_channels // module.groups
    if isinstance(module, nn.Linear):
        return x.numel() // module.in_features * module.in_features * module.out_features
    return 0


def run(name):
    torch.manual_seed(0)
    model = getattr(detection, name)(weights=None, weights_backbone=None, num_classes=91, box_score_thresh=0.0, rpn_nms_thresh=1.0)
    model.eval()
    counts = {p: 0 for p in PARTS}
    seen = {}
    for part in PARTS:
        try:
            sub = model.get_submodule(part)
        except AttributeError:
            continue
        for m in sub.modules():
            if isinstance(m, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
                def hook(mod, inputs, output, part=part):
                    counts[part] += macs_of(mod, inputs, output)
                    if part == 'roi_heads.box_predictor':
                        seen['proposals'] = inputs[0].shape[0]
                m.register_forward_hook(hook)
    image = torch.rand(3, 800, 1088, generator=torch.Generator().manual_seed(0))
    captured = {}

    def record_batch(module, inputs, output):
        captured['batch'] = list(inputs[0].shape)

    model.backbone.register_forward_hook(record_batch)
    with torch.no_grad():
        out = model([image])[0]
    counts = {k: int(v) for k, v in counts.items() if k.startswith(('backbone', 'rpn', 'roi_heads.box')) or v > 0}
    return {
        'batch': captured['batch'],
        'proposals': int(seen['proposals']),
        'detections': int(out['boxes'].shape[0]),
        'parts': counts,
        'macs': sum(counts.values()),
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--out', default=os.path.join(HERE, '..', '..', 'fixtures', 'detector-macs.json'))
    parser.add_argument('models', nargs='*', default=MODELS)
    args = parser.parse_args()
    torch.set_num_threads(1)
    result = {'reference': f'torchvision {torchvision.__version__} (torch {torch.__version__})', 'command': 'packages/cli/tools/reference/detector_macs.py', 'models': {}}
    for name in args.models:
        result['models'][name] = run(name)
        print(name, result['models'][name])
    with open(args.out, 'w') as f:
        json.dump(result, f, indent=1)
        f.write('\n')


if __name__ == '__main__':
    main()
