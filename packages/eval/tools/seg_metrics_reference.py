#!/usr/bin/env python3
"""Reference semantic-segmentation metrics for @tfvision/eval's SegmentationMetrics (issue #16).

A seeded random case (numpy RandomState): a few label maps of different sizes with K classes,
predictions that agree with the ground truth on most pixels, ignore-index pixels in the ground
truth, and one class absent from both (its IoU and accuracy are 0/0). Two independent
computations of the numbers, which must agree:

1. torchvision's references/segmentation/utils.py ConfusionMatrix (v0.14): pixels with a target
   in [0, K) are binned as `bincount(K * target + pred, minlength=K**2).reshape(K, K)`;
   acc_global = diag.sum() / h.sum(); acc = diag / h.sum(1); iu = diag / (h.sum(1) + h.sum(0) - diag).
2. mmsegmentation's mean_iou (mmseg/core/evaluation/metrics.py: intersect_and_union,
   total_area_to_metrics): pixels whose label is ignore_index are dropped; area_intersect =
   histogram of pred where pred == label, area_pred_label / area_label = histograms of each,
   area_union = pred + label - intersect; aAcc = intersect.sum() / label.sum(), IoU and Acc per
   class; its summary means are numpy nanmean over classes.

mIoU and mean accuracy are nanmean of iu / acc (mmseg's rule: a class absent from both ground
truth and prediction is left out; torchvision prints iu.mean(), which is NaN then). fwIoU is
FCN's (Long et al., score.py): freq = h.sum(1) / h.sum(); (freq[freq > 0] * iu[freq > 0]).sum().

Writes one JSON fixture: the label maps (flat, row-major) and every number.
Usage: /usr/bin/python3 packages/eval/tools/seg_metrics_reference.py [OUT.json]
(default packages/eval/fixtures/seg-metrics/random-case.json)
"""
import json
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, '..', 'fixtures', 'seg-metrics', 'random-case.json')
SEED = 20240516
NUM_CLASSES = 6
ABSENT_CLASS = 4
IGNORE = 255
SIZES = [(23, 31), (17, 40), (32, 19)]  # (height, width) per image


def make_case(rng):
    images = []
    for h, w in SIZES:
        # Ground truth: blocks of classes (so IoUs are not all alike), never the absent class.
        present = [c for c in range(NUM_CLASSES) if c != ABSENT_CLASS]
        gt = rng.choice(present, size=(h // 4 + 1, w // 4 + 1)).repeat(4, 0).repeat(4, 1)[:h, :w].astype(np.int64)
        pred = gt.copy()
        flip = rng.random_sample((h, w)) < 0.3
        pred[flip] = rng.choice(present, size=int(flip.sum()))
        gt[rng.random_sample((h, w)) < 0.07] = IGNORE
        images.append({'height': h, 'width': w, 'gt': gt, 'pred': pred})
    return images


def torchvision_confusion(images):
    n = NUM_CLASSES
    h = np.zeros((n, n), dtype=np.int64)
    for im in images:
        a = im['gt'].reshape(-1)
        b = im['pred'].reshape(-1)
        k = (a >= 0) & (a < n)
        h += np.bincount(n * a[k] + b[k], minlength=n ** 2).reshape(n, n)
    hf = h.astype(np.float64)
    with np.errstate(invalid='ignore', divide='ignore'):
        acc_global = np.diag(hf).sum() / hf.sum()
        acc = np.diag(hf) / hf.sum(1)
        iu = np.diag(hf) / (hf.sum(1) + hf.sum(0) - np.diag(hf))
    return h, acc_global, acc, iu


def mmseg_metrics(images):
    n = NUM_CLASSES
    inter = np.zeros(n)
    union = np.zeros(n)
    area_pred = np.zeros(n)
    area_label = np.zeros(n)
    for im in images:
        label = im['gt'].reshape(-1)
        pred = im['pred'].reshape(-1)
        keep = label != IGNORE
        label, pred = label[keep], pred[keep]
        i = pred[pred == label]
        ai = np.histogram(i, bins=n, range=(0, n - 1))[0]
        ap = np.histogram(pred, bins=n, range=(0, n - 1))[0]
        al = np.histogram(label, bins=n, range=(0, n - 1))[0]
        inter += ai
        area_pred += ap
        area_label += al
        union += ap + al - ai
    with np.errstate(invalid='ignore', divide='ignore'):
        return {'aAcc': inter.sum() / area_label.sum(), 'IoU': inter / union, 'Acc': inter / area_label}


def nan_list(v):
    return [None if np.isnan(x) else float(x) for x in v]


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_OUT
    rng = np.random.RandomState(SEED)
    images = make_case(rng)
    h, acc_global, acc, iu = torchvision_confusion(images)
    mm = mmseg_metrics(images)
    # The two references must agree before either is written down.
    assert np.isclose(acc_global, mm['aAcc'], rtol=0, atol=1e-15)
    assert np.allclose(acc, mm['Acc'], rtol=0, atol=1e-15, equal_nan=True)
    assert np.allclose(iu, mm['IoU'], rtol=0, atol=1e-15, equal_nan=True)
    assert np.isnan(iu[ABSENT_CLASS]) and np.isnan(acc[ABSENT_CLASS])
    freq = h.sum(1) / h.sum()
    fwiou = float((freq[freq > 0] * iu[freq > 0]).sum())
    fixture = {
        'reference': 'torchvision 0.14 references/segmentation/utils.py ConfusionMatrix (acc_global, acc, iu) == mmseg mean_iou '
                     '(intersect_and_union, aAcc/IoU/Acc), nanmean over classes; fwIoU as FCN score.py; numpy ' + np.__version__,
        'seed': SEED,
        'numClasses': NUM_CLASSES,
        'ignoreIndex': IGNORE,
        'images': [{'height': im['height'], 'width': im['width'], 'gt': im['gt'].reshape(-1).tolist(), 'pred': im['pred'].reshape(-1).tolist()} for im in images],
        'confusion': h.reshape(-1).tolist(),
        'pixels': int(h.sum()),
        'pixelAccuracy': float(acc_global),
        'meanAccuracy': float(np.nanmean(acc)),
        'mIoU': float(np.nanmean(iu)),
        'fwIoU': fwiou,
        'perClassIoU': nan_list(iu),
        'perClassAccuracy': nan_list(acc),
    }
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    with open(out, 'w') as f:
        json.dump(fixture, f)
    print(f'seg_metrics_reference.py: {out}: pixels {fixture["pixels"]}, aAcc {acc_global:.6f}, mIoU {fixture["mIoU"]:.6f}, fwIoU {fwiou:.6f}', file=sys.stderr)


if __name__ == '__main__':
    main()
