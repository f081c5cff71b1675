#!/usr/bin/env python3
"""Reference values for AnchorGenerator, interpolate, rcnnResizedSize and pasteMasksInImage.

Computed by torchvision 0.14 / torch 1.13 (Debian /usr/bin/python3) and written to
packages/heads/fixtures/anchors-masks.json; the TypeScript tests in packages/heads/src/ops/
compare against it. Deterministic: every input is either written into the fixture or built by
an integer formula that the tests re-implement exactly:
    ramp(n, mul, mod)[i] = float32(((i * mul) % mod) / mod)     (division in float64)
Big tensors are stored as a summary (sum of values in float64, count) plus values at sampled
flat positions (a fixed numpy Generator seed), as packages/backbones/fixtures/equivalence does.

Tensors are NCHW in torch; the fixture stores NHWC (the tfjs layout) flat indices and values.

Usage: /usr/bin/python3 packages/heads/tools/reference/anchors_masks.py [out.json]
"""
import json
import math
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.image_list import ImageList
from torchvision.models.detection.roi_heads import paste_masks_in_image
from torchvision.models.detection.transform import _resize_image_and_masks

torch.set_num_threads(1)
SAMPLES = 64
HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, '..', '..', 'fixtures', 'anchors-masks.json')


def ramp(n, mul, mod):
    i = np.arange(n, dtype=np.int64)
    return (((i * mul) % mod).astype(np.float64) / mod).astype(np.float32)


def floats(a):
    """float32 values as the shortest decimal that round-trips to the same float32."""
    return [float(repr(np.float32(v))) for v in np.asarray(a, dtype=np.float32).reshape(-1)]


def sampled(flat, seed):
    """Summary plus values at seeded positions of a flat float32 array."""
    flat = np.asarray(flat, dtype=np.float32).reshape(-1)
    rng = np.random.default_rng(seed)
    idx = np.unique(np.concatenate([[0, flat.size - 1], rng.integers(0, flat.size, SAMPLES)]))
    return {'count': int(flat.size), 'sum': float(flat.astype(np.float64).sum()),
            'absSum': float(np.abs(flat.astype(np.float64)).sum()),
            'index': [int(i) for i in idx], 'value': floats(flat[idx])}


def fnv1a(ints):
    h = 0x811C9DC5
    for v in ints:
        for k in range(4):
            h ^= (int(v) >> (8 * k)) & 0xFF
            h = (h * 0x01000193) & 0xFFFFFFFF
    return h


# ----------------------------------------------------------------------------- anchors
def anchor_case(name, sizes, ratios, image_size, feature_sizes, full):
    gen = AnchorGenerator(sizes, ratios)
    images = ImageList(torch.zeros(1, 3, *image_size), [tuple(image_size)])
    feats = [torch.zeros(1, 1, h, w) for h, w in feature_sizes]
    anchors = gen(images, feats)[0].numpy()
    per_level = [h * w * a for (h, w), a in zip(feature_sizes, gen.num_anchors_per_location())]
    out = {'name': name, 'sizes': [list(s) for s in sizes], 'aspectRatios': [list(r) for r in ratios],
           'imageSize': list(image_size), 'featureSizes': [list(s) for s in feature_sizes],
           'strides': [[image_size[0] // h, image_size[1] // w] for h, w in feature_sizes],
           'numAnchorsPerLocation': gen.num_anchors_per_location(), 'numAnchorsPerLevel': per_level,
           'cellAnchors': [floats(c.numpy()) for c in gen.cell_anchors], 'total': int(anchors.shape[0])}
    if full:
        out['anchors'] = floats(anchors)
    else:
        out['anchorsSampled'] = sampled(anchors, 11)
        out['anchorsSampled']['lastRows'] = floats(anchors[-3:])
    return out


def anchors():
    fpn_sizes = ((32,), (64,), (128,), (256,), (512,))
    fpn_ratios = ((0.5, 1.0, 2.0),) * 5
    return [
        anchor_case('fpn-800x1088', fpn_sizes, fpn_ratios, (800, 1088),
                    [(200, 272), (100, 136), (50, 68), (25, 34), (13, 17)], full=False),
        # Odd maps: strides 100//25=4, 130//33=3, 100//13=7, 130//17=7, 100//7=14, 130//9=14.
        # Sizes 3, 5, 7 at ratio 1 put base corners on .5 exactly: half-to-even gives 2, 2, 4.
        anchor_case('odd-multisize', ((3, 5, 7), (48,), (96, 20)), ((1.0,), (0.5, 1.0, 2.0), (0.25, 0.7, 3.0)),
                    (100, 130), [(25, 33), (13, 17), (7, 9)], full=True),
    ]


# ----------------------------------------------------------------------------- interpolate
def interp_case(name, shape, mul, mod, full, slow_only=False, **kw):
    n, c, h, w = shape
    x_nhwc = ramp(n * h * w * c, mul, mod).reshape(n, h, w, c)
    x = torch.from_numpy(np.ascontiguousarray(x_nhwc.transpose(0, 3, 1, 2)))
    y = F.interpolate(x, **kw)
    y_nhwc = y.numpy().transpose(0, 2, 3, 1)
    opts = {}
    if 'size' in kw:
        opts['size'] = list(kw['size'])
    if 'scale_factor' in kw:
        sf = kw['scale_factor']
        opts['scaleFactor'] = list(sf) if isinstance(sf, (list, tuple)) else sf
    opts['mode'] = kw['mode']
    if 'align_corners' in kw and kw['align_corners'] is not None:
        opts['alignCorners'] = kw['align_corners']
    if kw.get('recompute_scale_factor'):
        opts['recomputeScaleFactor'] = True
    out = {'name': name, 'inputShape': [n, h, w, c], 'input': {'mul': mul, 'mod': mod}, 'options': opts,
           'outputShape': list(y_nhwc.shape)}
    if slow_only:
        out['slowOnly'] = True
    if full:
        out['output'] = floats(y_nhwc)
    else:
        out['outputSampled'] = sampled(y_nhwc, 12)
    return out


def interpolates():
    b = 'bilinear'
    return [
        interp_case('bilinear-up-down', (2, 3, 7, 9), 37, 101, True, size=(13, 5), mode=b, align_corners=False),
        interp_case('bilinear-align', (1, 2, 11, 13), 53, 97, True, size=(29, 31), mode=b, align_corners=True),
        interp_case('bilinear-align-to-1', (1, 1, 5, 6), 53, 97, True, size=(1, 4), mode=b, align_corners=True),
        interp_case('bilinear-same-size', (1, 2, 4, 5), 31, 89, True, size=(4, 5), mode=b, align_corners=False),
        interp_case('bilinear-scale', (1, 3, 9, 10), 41, 103, True, scale_factor=(1.7, 0.65), mode=b, align_corners=False),
        interp_case('bilinear-scale-recompute', (1, 3, 9, 10), 41, 103, True, scale_factor=1.7, mode=b,
                    align_corners=False, recompute_scale_factor=True),
        interp_case('bilinear-scale-align', (1, 1, 6, 7), 43, 107, True, scale_factor=2.5, mode=b, align_corners=True),
        interp_case('nearest-size', (1, 2, 7, 9), 29, 83, True, size=(17, 4), mode='nearest'),
        interp_case('nearest-double', (1, 1, 5, 6), 29, 83, True, size=(10, 12), mode='nearest'),
        interp_case('nearest-scale', (1, 2, 10, 30), 29, 83, True, scale_factor=(0.7, 1 / 3), mode='nearest'),
        # FPN's top-down path: nearest to the lateral's size, here odd.
        interp_case('nearest-fpn-odd', (1, 4, 13, 17), 23, 79, True, size=(25, 34), mode='nearest'),
        # GeneralizedRCNNTransform's resize at a size the default tests run in a second.
        interp_case('rcnn-transform-120x161', (1, 1, 120, 161), 7919, 1000, False,
                    scale_factor=float(torch.min(300.0 / torch.tensor(120.0), 500.0 / torch.tensor(161.0)).item()),
                    mode=b, align_corners=False, recompute_scale_factor=True),
        # What it does to a 427x640 image (-> 799x1199); tfjs resizeBilinear misses 1e-5 here.
        # Slow on tfjs-cpu (gathers of 3M values), so only the slow test runs it.
        interp_case('rcnn-transform-427x640', (1, 3, 427, 640), 7919, 1000, False, slow_only=True,
                    scale_factor=float(torch.min(800.0 / torch.tensor(427.0), 1333.0 / torch.tensor(640.0)).item()),
                    mode=b, align_corners=False, recompute_scale_factor=True),
    ]


# ----------------------------------------------------------------------------- resize rule
RESIZE_GRIDS = [
    # 150 heights x 124 widths = 18,600 sizes.
    {'minSize': 800.0, 'maxSize': 1333.0, 'h0': 50, 'hStep': 7, 'hCount': 150, 'w0': 53, 'wStep': 11, 'wCount': 124},
    {'minSize': 512.0, 'maxSize': 853.0, 'h0': 31, 'hStep': 13, 'hCount': 40, 'w0': 37, 'wStep': 17, 'wCount': 40},
]


def resized(h, w, min_size, max_size):
    im, _ = _resize_image_and_masks(torch.empty(1, h, w, device='meta'), min_size, max_size)
    return int(im.shape[-2]), int(im.shape[-1])


def resize_grids():
    out = []
    for g in RESIZE_GRIDS:
        seq, naive_off, listed = [], 0, []
        for i in range(g['hCount']):
            h = g['h0'] + i * g['hStep']
            for j in range(g['wCount']):
                w = g['w0'] + j * g['wStep']
                oh, ow = resized(h, w, g['minSize'], g['maxSize'])
                seq += [oh, ow]
                s = min(np.float32(g['minSize']) / np.float32(min(h, w)), np.float32(g['maxSize']) / np.float32(max(h, w)))
                if (math.floor(h * float(s)), math.floor(w * float(s))) != (oh, ow):
                    naive_off += 1
                if (i * g['wCount'] + j) % 97 == 0:
                    listed.append([h, w, oh, ow])
        out.append({**g, 'fnv1a': fnv1a(seq), 'naiveF32DivisionOff': naive_off, 'listed': listed})
    return out


# ----------------------------------------------------------------------------- paste masks
MASK_BOXES = [
    [10.0, 12.0, 40.0, 30.0],
    [-3.7, -2.2, 20.6, 30.1],      # negative and fractional corners
    [55.5, 40.25, 95.0, 70.0],     # beyond the right and bottom edges
    [5.0, 5.0, 5.0, 5.0],          # zero size
    [30.2, 20.9, 31.1, 21.4],      # tiny
    [-20.0, 50.0, 10.0, 75.0],     # crosses the left edge and the bottom
    [0.0, 0.0, 79.0, 59.0],        # the whole image
    [70.6, -10.4, 85.3, 3.9],      # top right corner
    [50.0, 20.0, 40.0, 30.0],      # x2 < x1: pastes nothing
    [90.0, 10.0, 95.0, 20.0],      # right of the image: pastes nothing
    [12.49, 33.51, 18.5, 41.5],
    [-0.9, -0.6, 0.4, 0.7],        # truncation toward 0 of negative corners
]


def paste_case(name, boxes, m, padding, im_h, im_w, mul, mod, full):
    n = len(boxes)
    masks = ramp(n * m * m, mul, mod).reshape(n, 1, m, m)
    res = paste_masks_in_image(torch.from_numpy(masks), torch.tensor(boxes, dtype=torch.float32), (im_h, im_w),
                               padding=padding)[:, 0].numpy()
    per_mask = []
    for k in range(n):
        r = res[k]
        nz = np.nonzero(r)
        entry = {'sum': float(r.astype(np.float64).sum()), 'nonzero': int(len(nz[0]))}
        if len(nz[0]):
            entry['rows'] = [int(nz[0].min()), int(nz[0].max())]
            entry['cols'] = [int(nz[1].min()), int(nz[1].max())]
            rng = np.random.default_rng(100 + k)
            pick = rng.integers(0, len(nz[0]), 24)
            flat = nz[0][pick] * im_w + nz[1][pick]
            entry['index'] = [int(v) for v in flat]
            entry['value'] = floats(r.reshape(-1)[flat])
        per_mask.append(entry)
    out = {'name': name, 'boxes': boxes, 'maskSize': m, 'padding': padding, 'imageSize': [im_h, im_w],
           'masks': {'mul': mul, 'mod': mod}, 'perMask': per_mask}
    if full:
        out['output'] = floats(res)
    return out


def pastes():
    return [
        paste_case('edges-60x80', MASK_BOXES, 28, 1, 60, 80, 7919, 1009, False),
        paste_case('small-full', [[1.3, 0.6, 6.2, 4.9], [-2.5, 3.5, 3.5, 9.0]], 4, 1, 8, 7, 37, 101, True),
        paste_case('padding-2', [[2.0, 3.0, 20.5, 14.0], [-1.5, 9.0, 8.0, 30.0]], 14, 2, 24, 22, 53, 97, False),
    ]


def main():
    out_path = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT
    doc = {'reference': f'torchvision {torchvision.__version__} on torch {torch.__version__}',
           'generator': 'packages/heads/tools/reference/anchors_masks.py',
           'ramp': 'float32(((i * mul) % mod) / mod), i = NHWC flat index (masks: [N, M, M] flat index)',
           'anchors': anchors(), 'interpolate': interpolates(), 'resizeGrids': resize_grids(), 'paste': pastes()}
    with open(out_path, 'w') as fh:
        json.dump(doc, fh, separators=(',', ':'))
        fh.write('\n')
    print(f'wrote {out_path} ({os.path.getsize(out_path)} bytes)')


if __name__ == '__main__':
    main()
