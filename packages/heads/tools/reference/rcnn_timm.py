#!/usr/bin/env python3
"""Reference outputs of torchvision's Faster / Mask R-CNN over timm bodies (issue #14).

torchvision's FasterRCNN / MaskRCNN with their defaults, over torchvision's BackboneWithFPN whose
body is timm's features_only model with out_indices (1, 2, 3, 4) (strides 4..32, as '0'..'3';
LastLevelMaxPool adds 'pool'). torchvision's IntermediateLayerGetter can only return top-level
children, and EfficientNet's stages sit inside `blocks`, so the body is timm's features model
itself, its list output keyed '0'..'3': the state dict then holds timm's features_only names
under `backbone.body.` (for ResNeSt timm's FeatureListNet keeps the model's own names, for
EfficientNet EfficientNetFeatures is the model without conv_head, bn2 and the classifier).
BatchNorm runs in eval mode, which is what our presets' frozen_bn computes.

Everything else (hash weights, images, settings, the summaries) is rcnn.py's.

timm is not installed: fetch huggingface/pytorch-image-models at
aa4b5850c1543fa488abf260f18390eda46cf85d and unpack its `timm` folder (never commit it):
  git --git-dir=<mirror> archive aa4b5850c1543fa488abf260f18390eda46cf85d timm | tar -x -C /tmp/timm_src
Usage: PYTHONPATH=/tmp/timm_src /usr/bin/python3 packages/heads/tools/reference/rcnn_timm.py [--out DIR] [models...]
(default DIR packages/heads/fixtures/rcnn; default models: both presets below)
"""
import argparse
import json
import os
from collections import OrderedDict

import torch
from torchvision.models.detection import FasterRCNN, MaskRCNN
from torchvision.models.detection.backbone_utils import BackboneWithFPN

import timm

from rcnn import DETECTOR_KWARGS, HERE, run

# Our preset name -> (torchvision detector class, timm body).
PRESETS = {
    'maskrcnn_resnest50d_fpn': (MaskRCNN, 'resnest50d'),
    'fasterrcnn_efficientnet_b0_fpn': (FasterRCNN, 'efficientnet_b0'),
}


def timm_backbone_with_fpn(body_name):
    body = timm.create_model(body_name, pretrained=False, features_only=True, out_indices=(1, 2, 3, 4))
    list_forward = body.forward
    body.forward = lambda x: OrderedDict(zip(['0', '1', '2', '3'], list_forward(x)))
    last_child = list(dict(body.named_children()))[-1]
    backbone = BackboneWithFPN(body, return_layers={last_child: '3'}, in_channels_list=body.feature_info.channels(), out_channels=256)
    # Replaces the IntermediateLayerGetter (which cannot reach inside `blocks`) by the same modules.
    backbone.body = body
    return backbone


def build(name):
    detector_cls, body_name = PRESETS[name]
    torch.manual_seed(0)
    return detector_cls(timm_backbone_with_fpn(body_name), num_classes=91, **DETECTOR_KWARGS)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--out', default=os.path.join(HERE, '..', '..', 'fixtures', 'rcnn'))
    parser.add_argument('models', nargs='*', default=list(PRESETS))
    args = parser.parse_args()
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    for name in args.models:
        result = run(name, build(name))
        result['reference'] += f' over timm {timm.__version__} {PRESETS[name][1]} (features_only, out_indices 1-4)'
        with open(os.path.join(args.out, f'{name}.json'), 'w') as f:
            json.dump(result, f)


if __name__ == '__main__':
    main()
