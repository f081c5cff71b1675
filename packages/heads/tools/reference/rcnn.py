#!/usr/bin/env python3
"""Reference outputs of torchvision's Faster / Mask R-CNN (issue #14) on formula weights.

Every floating-point tensor of the detector's state_dict is filled by the hash formula of
hash_weights.py (beside this file; packages/heads/src/testing/hash-weights.ts is the TypeScript
side), the detector runs in eval mode on two
formula images of different sizes (so batching pads), and every stage's output is summarised:
the transformed batch, each FPN level, the RPN's objectness and proposals, the box head's
features and logits, the final detections and the masks. The TypeScript test rebuilds the
same weights and compares stage by stage, so a mismatch names the first stage that differs.

Images (in [0, 1], as torchvision detectors take them): a dark textured background,
x[c, h, w] = 0.2 + 0.05 * sin(phase("image<k>") + i * GOLDEN) (flat CHW index i), with the
rectangles of IMAGES painted over it in order (x1, y1, x2, y2 exclusive, colour r, g, b). Pure
formula noise makes every RoI look alike and every score tie; objects give the heads something
to tell apart.

Usage: /usr/bin/python3 packages/heads/tools/reference/rcnn.py [--out DIR] [models...]
(default DIR packages/heads/fixtures/rcnn; default models: the four torchvision presets)
"""
import argparse
import json
import math
import os
import sys

import numpy as np
import torch
import torchvision
from torchvision.models import detection

from hash_weights import fnv1a32, hash_tensor

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = 2.399963229728653

MODELS = ['fasterrcnn_resnet50_fpn', 'maskrcnn_resnet50_fpn', 'fasterrcnn_resnet50_fpn_v2', 'maskrcnn_resnet50_fpn_v2']
# Small test-time sizes keep the TypeScript side fast; two aspect ratios exercise the resize
# rule and the batch padding to 32.
IMAGES = [
    {'shape': [3, 100, 140], 'rects': [[10, 12, 60, 70, 0.9, 0.2, 0.1], [70, 30, 130, 60, 0.1, 0.8, 0.3], [40, 75, 90, 95, 0.95, 0.95, 0.9], [100, 5, 120, 90, 0.3, 0.3, 0.85]]},
    {'shape': [3, 120, 90], 'rects': [[5, 5, 85, 40, 0.7, 0.7, 0.1], [20, 50, 50, 115, 0.05, 0.6, 0.9], [55, 60, 88, 100, 0.85, 0.1, 0.6]]},
]
MIN_SIZE, MAX_SIZE = 128, 200
# torchvision's default 0.05 for v1; the v2 heads (BatchNorm everywhere) give hash weights
# scores near 1/91, so v2 keeps those above 0.01.
# 300 proposals and 50 detections per image instead of 1000 and 100 keep the TypeScript test
# to seconds (the box head's fc6 and the mask head dominate); 300 x 90 class candidates still
# take batched NMS's per-class path.
POST_NMS_TEST = 300
DETECTIONS = 50
SCORE_THRESH = {'fasterrcnn_resnet50_fpn_v2': 0.01, 'maskrcnn_resnet50_fpn_v2': 0.01}


def image(k, spec):
    shape = spec['shape']
    n = int(np.prod(shape))
    phase = fnv1a32(f'image{k}') / 2 ** 32 * 2 * math.pi
    x = (0.2 + 0.05 * np.sin(phase + np.arange(n, dtype=np.float64) * GOLDEN)).reshape(shape)
    for x1, y1, x2, y2, *rgb in spec['rects']:
        for c in range(3):
            x[c, y1:y2, x1:x2] = rgb[c]
    return torch.from_numpy(x.astype(np.float32))


def summary(t, count=64):
    """Shape, sum, sum of squares, max |x| and `count` values at evenly spaced flat positions (NCHW -> NHWC for 4-D maps)."""
    a = t.detach().double().numpy()
    if a.ndim == 4:
        a = a.transpose(0, 2, 3, 1)
    flat = a.reshape(-1)
    positions = [int(i * (flat.size - 1) / (count - 1)) for i in range(count)] if flat.size else []
    return {
        'shape': list(a.shape),
        'sum': float(flat.sum()),
        'sumsq': float((flat ** 2).sum()),
        'absmax': float(np.abs(flat).max()) if flat.size else 0.0,
        'positions': positions,
        'values': [float(flat[p]) for p in positions],
    }


def fill(model):
    state = model.state_dict()
    filled = {}
    for name, t in state.items():
        if t.dtype.is_floating_point or name.endswith('num_batches_tracked'):
            filled[name] = torch.from_numpy(hash_tensor(name, list(t.shape)))
        else:
            filled[name] = t
    model.load_state_dict(filled, strict=True)
    return [{'name': k, 'shape': list(v.shape)} for k, v in state.items()]


def run(name):
    torch.manual_seed(0)
    model = getattr(detection, name)(weights=None, weights_backbone=None, num_classes=91, min_size=MIN_SIZE, max_size=MAX_SIZE, box_score_thresh=SCORE_THRESH.get(name, 0.05), rpn_post_nms_top_n_test=POST_NMS_TEST, box_detections_per_img=DETECTIONS)
    keys = fill(model)
    model.eval()
    captured = {}

    def hook(key):
        def f(_module, _inputs, output):
            captured[key] = output
        return f

    model.backbone.register_forward_hook(hook('fpn'))
    model.rpn.head.register_forward_hook(hook('rpn_head'))
    model.rpn.register_forward_hook(hook('rpn'))
    model.roi_heads.box_head.register_forward_hook(hook('box_head'))
    model.roi_heads.box_predictor.register_forward_hook(hook('box_predictor'))
    if getattr(model.roi_heads, 'mask_predictor', None) is not None:
        model.roi_heads.mask_predictor.register_forward_hook(hook('mask_logits'))
    orig_transform = model.transform.forward

    def transform_forward(images, targets=None):
        out = orig_transform(images, targets)
        captured['transform'] = out
        return out

    model.transform.forward = transform_forward
    images = [image(k, s) for k, s in enumerate(IMAGES)]
    with torch.no_grad():
        detections = model(images)
    image_list = captured['transform'][0]
    fpn = captured['fpn']
    objectness, deltas = captured['rpn_head']
    proposals = captured['rpn'][0]
    cls_logits, box_regression = captured['box_predictor']
    out = {
        'model': name,
        'reference': f'torchvision {torchvision.__version__} (torch {torch.__version__})',
        'settings': {'minSize': MIN_SIZE, 'maxSize': MAX_SIZE, 'boxScoreThresh': SCORE_THRESH.get(name, 0.05), 'rpnPostNmsTopNTest': POST_NMS_TEST, 'detectionsPerImg': DETECTIONS, 'numClasses': 91},
        'images': [{'name': f'image{k}', **spec} for k, spec in enumerate(IMAGES)],
        'stateDictKeys': keys,
        'transform': {'batch': summary(image_list.tensors), 'imageSizes': [list(s) for s in image_list.image_sizes]},
        'fpn': {k: summary(v) for k, v in fpn.items()},
        'rpnObjectness': [summary(o) for o in objectness],
        'rpnDeltas': [summary(d) for d in deltas],
        'proposals': [{'count': int(p.shape[0]), 'first': p[:50].tolist(), 'summary': summary(p)} for p in proposals],
        'boxFeatures': summary(captured['box_head']),
        'classLogits': summary(cls_logits),
        'boxRegression': summary(box_regression),
        'detections': [{'boxes': d['boxes'].tolist(), 'scores': d['scores'].tolist(), 'labels': d['labels'].tolist()} for d in detections],
    }
    if 'mask_logits' in captured:
        out['maskLogits'] = summary(captured['mask_logits'])
        out['masks'] = [summary(d['masks'][:, 0]) for d in detections]
    rms = {k: float(v.pow(2).mean().sqrt()) for k, v in fpn.items()}
    print(f'{name}: FPN rms {rms}; proposals {[p.shape[0] for p in proposals]}; detections {[len(d["scores"]) for d in detections]}', file=sys.stderr)
    return out


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--out', default=os.path.join(HERE, '..', '..', 'fixtures', 'rcnn'))
    parser.add_argument('models', nargs='*', default=MODELS)
    args = parser.parse_args()
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    for name in args.models:
        result = run(name)
        with open(os.path.join(args.out, f'{name}.json'), 'w') as f:
            json.dump(result, f)


if __name__ == '__main__':
    main()
