#!/usr/bin/env python3
"""Reference outputs of torchvision's GeneralizedRCNNTransform (models/detection/transform.py).

Each case runs torchvision 0.14's transform on formula images (rcnn.py's rule: a dark textured
background 0.2 + 0.05 sin(phase(name) + i * GOLDEN) over the flat CHW index, rectangles
painted over it; packages/heads/src/testing/rcnn-images.ts is the TypeScript side) and stores
the padded batch and every resized tensor as a summary (shape, sum, sum of squares, max |x|,
values at evenly spaced flat positions; 4-D maps NCHW -> NHWC), boxes whole:
  eval      single images of several sizes and both orientations (427x640 -> 799x1199), a
            downscale and a long-side cap, batches of two sizes (padding to 32)
  train     a min_size tuple drawn per image by torch's RNG (the draws are stored, the
            TypeScript test injects them), targets with boxes and masks; and fixed_size
  post      postprocess: boxes mapped back, 28x28 mask probabilities pasted

Usage: /usr/bin/python3 packages/heads/tools/reference/rcnn_transform.py [OUT]
(default OUT packages/heads/fixtures/rcnn-transform.json)
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torchvision
from torchvision.models.detection.transform import GeneralizedRCNNTransform

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from hash_weights import fnv1a32  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.normpath(os.path.join(HERE, '..', '..', 'fixtures', 'rcnn-transform.json'))
GOLDEN = 2.399963229728653
MEAN = [0.485, 0.456, 0.406]
STD = [0.229, 0.224, 0.225]
SAMPLES = 96


def image(spec):
    c, h, w = spec['shape']
    n = c * h * w
    phase = fnv1a32(spec['name']) / 2 ** 32 * 2 * math.pi
    x = (0.2 + 0.05 * np.sin(phase + np.arange(n, dtype=np.float64) * GOLDEN)).reshape(c, h, w)
    for x1, y1, x2, y2, *rgb in spec['rects']:
        for k in range(c):
            x[k, y1:y2, x1:x2] = rgb[k]
    return torch.from_numpy(x.astype(np.float32))


def rects_for(h, w, k):
    """Three rectangles at fixed fractions of the image, so every size has sharp edges to resize."""
    fr = [(0.1, 0.15, 0.45, 0.6), (0.5, 0.3, 0.93, 0.55), (0.3, 0.7, 0.8, 0.97)]
    colours = [(0.9, 0.2, 0.1), (0.1, 0.8, 0.3), (0.95, 0.95, 0.9)]
    out = []
    for j, ((a, b, c, d), rgb) in enumerate(zip(fr, colours)):
        shift = 0.03 * ((k + j) % 3)
        out.append([int(w * (a + shift)), int(h * b), int(w * min(c + shift, 1.0)), int(h * d), *rgb])
    return out


def spec(name, h, w, k=0):
    return {'name': name, 'shape': [3, h, w], 'rects': rects_for(h, w, k)}


def summary(t, count=SAMPLES):
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


def make_transform(opts):
    return GeneralizedRCNNTransform(
        opts.get('minSize', 800), opts.get('maxSize', 1333), MEAN, STD,
        size_divisible=opts.get('sizeDivisible', 32),
        fixed_size=tuple(opts['fixedSize']) if 'fixedSize' in opts else None)


def boxes_for(h, w, n, k):
    i = np.arange(n * 4, dtype=np.float64)
    u = 0.5 + 0.5 * np.sin(1.7 + (i + 13 * k) * GOLDEN)
    b = u.reshape(n, 4)
    x1 = b[:, 0] * w * 0.6
    y1 = b[:, 1] * h * 0.6
    x2 = x1 + 1 + b[:, 2] * w * 0.4
    y2 = y1 + 1 + b[:, 3] * h * 0.4
    return torch.from_numpy(np.stack([x1, y1, x2, y2], 1).astype(np.float32))


def masks_for(s):
    _, h, w = s['shape']
    m = torch.zeros((len(s['rects']), h, w), dtype=torch.uint8)
    for j, (x1, y1, x2, y2, *_rgb) in enumerate(s['rects']):
        m[j, y1:y2, x1:x2] = 1
    return m


def eval_case(name, opts, specs):
    t = make_transform(opts)
    t.eval()
    with torch.no_grad():
        il, _ = t([image(s) for s in specs])
    return {'name': name, 'options': opts, 'images': specs, 'batch': summary(il.tensors), 'imageSizes': [list(s) for s in il.image_sizes]}


def train_case(name, opts, specs, seed):
    t = make_transform(opts)
    t.train()
    draws = []
    choice = t.torch_choice

    def recorded(k):
        v = choice(k)
        draws.append(list(k).index(v))
        return v

    t.torch_choice = recorded
    targets = []
    for k, s in enumerate(specs):
        n = len(s['rects'])
        targets.append({'boxes': boxes_for(s['shape'][1], s['shape'][2], n, k), 'labels': torch.arange(1, n + 1), 'masks': masks_for(s)})
    given = [{'boxes': tg['boxes'].tolist()} for tg in targets]
    torch.manual_seed(seed)
    with torch.no_grad():
        il, out = t([image(s) for s in specs], targets)
    return {
        'name': name, 'options': opts, 'images': specs, 'minSizeDraws': draws, 'targetsIn': given,
        'batch': summary(il.tensors), 'imageSizes': [list(s) for s in il.image_sizes],
        'targets': [{'boxes': o['boxes'].tolist(), 'masks': summary(o['masks'])} for o in out],
    }


def detections_for(h, w, n, k):
    boxes = boxes_for(h, w, n, 7 + k)
    i = np.arange(n * 28 * 28, dtype=np.float64)
    probs = (0.5 + 0.5 * np.sin(0.3 + (i + 101 * k) * GOLDEN)).reshape(n, 1, 28, 28).astype(np.float32)
    return {'boxes': boxes, 'scores': torch.linspace(0.9, 0.1, n), 'labels': torch.arange(1, n + 1), 'masks': torch.from_numpy(probs)}


def post_case(name, image_sizes, original_sizes, counts):
    t = make_transform({})
    t.eval()
    dets = [detections_for(s[0], s[1], n, k) for k, (s, n) in enumerate(zip(image_sizes, counts))]
    given = [{'boxes': d['boxes'].tolist(), 'maskSeed': 101 * k} for k, d in enumerate(dets)]
    with torch.no_grad():
        out = t.postprocess([dict(d) for d in dets], [tuple(s) for s in image_sizes], [tuple(s) for s in original_sizes])
    return {
        'name': name, 'imageSizes': image_sizes, 'originalSizes': original_sizes, 'detections': given,
        'results': [{'boxes': o['boxes'].tolist(), 'masks': summary(o['masks'][:, 0])} for o in out],
    }


def main():
    torch.set_num_threads(1)
    out_path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT
    rcnn_pair = [
        {'name': 'image0', 'shape': [3, 100, 140], 'rects': [[10, 12, 60, 70, 0.9, 0.2, 0.1], [70, 30, 130, 60, 0.1, 0.8, 0.3], [40, 75, 90, 95, 0.95, 0.95, 0.9], [100, 5, 120, 90, 0.3, 0.3, 0.85]]},
        {'name': 'image1', 'shape': [3, 120, 90], 'rects': [[5, 5, 85, 40, 0.7, 0.7, 0.1], [20, 50, 50, 115, 0.05, 0.6, 0.9], [55, 60, 88, 100, 0.85, 0.1, 0.6]]},
    ]
    cases = {
        'eval': [
            eval_case('427x640 -> 799x1199', {}, [spec('landscape', 427, 640)]),
            eval_case('640x427 -> 1199x799', {}, [spec('portrait', 640, 427)]),
            eval_case('120x161 upscaled 6.7x', {}, [spec('small', 120, 161)]),
            eval_case('600x900 downscaled (320, 480)', {'minSize': 320, 'maxSize': 480}, [spec('down', 600, 900)]),
            eval_case('100x400 long side capped', {}, [spec('wide', 100, 400)]),
            eval_case('batch 300x400 + 350x250 padded', {}, [spec('batch0', 300, 400, 0), spec('batch1', 350, 250, 1)]),
            eval_case('rcnn fixture pair (128, 200)', {'minSize': 128, 'maxSize': 200}, rcnn_pair),
            eval_case('sizeDivisible 16, minSize list (eval takes the last)', {'minSize': [64, 96], 'maxSize': 150, 'sizeDivisible': 16}, [spec('div0', 50, 70, 0), spec('div1', 61, 45, 1)]),
        ],
        'train': [
            train_case('min size drawn from (96, 112, 128), boxes and masks', {'minSize': [96, 112, 128], 'maxSize': 200}, [spec('train0', 100, 140, 0), spec('train1', 120, 90, 1), spec('train2', 77, 101, 2)], seed=1),
            train_case('fixedSize (160, 120), boxes and masks', {'fixedSize': [160, 120]}, [spec('fixed0', 100, 140, 0), spec('fixed1', 90, 95, 1)], seed=5),
        ],
        'post': [
            post_case('boxes and masks back to 427x640 and 100x133', [[799, 1199], [150, 200]], [[427, 640], [100, 133]], [5, 3]),
        ],
    }
    fixture = {
        'reference': f'torchvision {torchvision.__version__} (torch {torch.__version__})',
        'generator': 'packages/heads/tools/reference/rcnn_transform.py',
        'imageMean': MEAN, 'imageStd': STD, 'samples': SAMPLES,
        **cases,
    }
    with open(out_path, 'w') as f:
        json.dump(fixture, f, separators=(',', ':'))
    print(f'wrote {out_path} ({os.path.getsize(out_path)} bytes)', file=sys.stderr)


if __name__ == '__main__':
    main()
