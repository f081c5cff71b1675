#!/usr/bin/env python3
"""Runs torchvision's FasterRCNN inference with weights from a torchvision-layout safetensors file
(e.g. our trained checkpoint, runs/det-vs-torchvision/seed-S/ours/checkpoints/step-N/model.safetensors)
on the evaluation images of a det-vs-torchvision spec, and writes COCO results. Scoring those with
@tfvision/eval and comparing with our own evaluation of the same weights separates an inference
difference from a training one (issue #17's investigation).

Usage: /usr/bin/python3 packages/train/tools/torchvision_det_eval.py SPEC.json WEIGHTS.safetensors OUT.json
"""
import json
import sys

import torch

from torchvision_det_train import build_model, check_supported, coco_results, read_safetensors


def main():
    if len(sys.argv) != 4:
        raise SystemExit('usage: torchvision_det_eval.py SPEC.json WEIGHTS.safetensors OUT.json')
    spec_path, weights, out = sys.argv[1:]
    with open(spec_path) as f:
        spec = json.load(f)
    torch.set_num_threads(1)
    check_supported(spec['rcnn'])
    model = build_model(spec['rcnn'])
    missing, unexpected = model.load_state_dict(read_safetensors(weights), strict=False)
    if missing or unexpected:
        raise SystemExit(f'torchvision_det_eval: {weights} does not fit: missing {missing[:10]}, unexpected {unexpected[:10]}')
    results = coco_results(model, spec)
    with open(out, 'w') as f:
        json.dump(results, f)


if __name__ == '__main__':
    main()
