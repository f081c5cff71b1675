#!/usr/bin/env python3
"""Reference outputs of torchvision 0.14's RoIHeads (Faster / Mask R-CNN box and mask branches).

RoIHeads with small channels (FPN 16, TwoMLPHead(16*49, 32), FastRCNNPredictor(32, 5),
MaskRCNNHeads(16, [8, 8], 1), MaskRCNNPredictor(8, 4, 5)) on hash weights (hash_weights.py,
under torchvision's own state_dict names), over feature maps hash_uniform('input.roi_heads.p<k>')
(NCHW) of a padded batch of two images of different sizes, and deterministic proposals (level
borders, boxes crossing or outside the image edge, tiny boxes, jitter around the ground truth).

- eval cases: the detections whole (boxes, scores, labels in keep order), the number of box
  coordinates batched_nms saw (which of its two CPU paths ran: numel > 4000 is per-class), and a
  summary of the 28x28 mask probabilities (per-detection mean, every 37th value).
- train cases: the loss dict, with every torch.randperm draw of the sampler recorded (the
  TypeScript side injects them), the sampled / positive counts per image, and (cases with few
  positives) the gradients of the summed losses: biases whole, L1 / L2 norms of every parameter. One image, or the whole batch, has no
  ground truth (no positives: torchvision's mask loss is mask_logits.sum() * 0 there). The
  ground truth (boxes, labels, ellipse masks inscribed in the boxes) is stored once.

Proposals and inputs are stored as float32 (9 significant digits), outputs to 8; masks as
np.packbits (big-endian bit order) in base64.
Usage: /usr/bin/python3 packages/heads/tools/reference/roi_heads.py [--out FILE]
"""
import argparse
import base64
import json
import math
import os

import numpy as np
import torch
import torchvision
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.models.detection.mask_rcnn import MaskRCNNHeads, MaskRCNNPredictor
from torchvision.models.detection.roi_heads import RoIHeads
from torchvision.ops import MultiScaleRoIAlign
from torchvision.ops import boxes as box_ops

from hash_weights import hash_tensor, hash_uniform

HERE = os.path.dirname(os.path.abspath(__file__))
C = 16
NUM_CLASSES = 5
REPRESENTATION = 32
# Small mask channels: tfjs's CPU Conv2DBackpropFilter is slow, and the tests differentiate the branch.
MASK_LAYERS = [8, 8]
MASK_DIM_REDUCED = 4
# (height, width) of the two resized images; the batch is padded to multiples of 32.
IMAGE_SIZES = [(200, 270), (150, 224)]
PADDED = (224, 288)
LEVELS = ['p2', 'p3', 'p4', 'p5', 'p6']
STRIDES = [4, 8, 16, 32, 64]
NUM_PROPOSALS = [330, 280]
GT = [
    {'boxes': [[20, 30, 120, 150], [140, 20, 260, 90], [100, 110, 190, 195], [30, 45, 115, 160]], 'labels': [1, 3, 4, 2]},
    {'boxes': [], 'labels': []},
]
MASK_SAMPLE_STEP = 37
EVAL_CASES = [
    # A prefix of the proposals: under 1000 candidates, batched_nms's coordinate-trick path.
    {'name': 'eval_default', 'proposals': [120, 100], 'scoreThresh': 0.05, 'detectionsPerImg': 100},
    # Every proposal with no score threshold: over 1000 candidates (4000 coordinates), the per-class path.
    {'name': 'eval_many_candidates', 'proposals': NUM_PROPOSALS, 'scoreThresh': 0.0, 'detectionsPerImg': 40},
]
TRAIN_CASES = [
    # Gradients are stored for the cases with few positives (the TypeScript side differentiates those).
    {'name': 'train_default', 'batchSizePerImage': 512, 'positiveFraction': 0.25, 'gt': [True, False], 'grads': False},
    {'name': 'train_subsampled', 'batchSizePerImage': 32, 'positiveFraction': 0.25, 'gt': [True, False], 'grads': True},
    {'name': 'train_no_gt', 'batchSizePerImage': 512, 'positiveFraction': 0.25, 'gt': [False, False], 'grads': True},
]


def f8(v):
    return float('%.8g' % v)


def f9(v):
    return float('%.9g' % v)


def uniform(name, n):
    return hash_uniform(f'input.roi_heads.{name}', n)


def feature_maps():
    maps = {}
    for name, stride in zip(LEVELS, STRIDES):
        shape = (2, C, math.ceil(PADDED[0] / stride), math.ceil(PADDED[1] / stride))
        maps[name] = torch.from_numpy(uniform(name, int(np.prod(shape))).reshape(shape).astype(np.float32))
    return maps


def proposals_for(k, n):
    """n boxes for image k: jitter around its ground truth, FPN level borders (sqrt(area) 112,
    224, 448 and neighbours), boxes crossing or outside the image edge, tiny and micro boxes
    (some under the 1e-2 minimum size after decoding), the rest at random; then shuffled so any
    prefix mixes them."""
    h, w = IMAGE_SIZES[k]
    u = iter(uniform(f'proposals{k}', 16 * n))

    def nxt():
        return float(next(u))

    def centred(cx, cy, bw, bh):
        return [cx - bw / 2, cy - bh / 2, cx + bw / 2, cy + bh / 2]

    boxes = []
    for gt in GT[k]['boxes']:
        gw, gh = gt[2] - gt[0], gt[3] - gt[1]
        for _ in range(15):
            boxes.append([gt[0] + 0.2 * gw * nxt(), gt[1] + 0.2 * gh * nxt(), gt[2] + 0.2 * gw * nxt(), gt[3] + 0.2 * gh * nxt()])
    for s in (112.0, 224.0, 448.0):
        for factor in (1 - 1e-3, 1 - 1e-7, 1.0, 1 + 1e-7, 1 + 1e-3):
            for aspect in (1.0, 4.0):
                bw, bh = s * factor * math.sqrt(aspect), s * factor / math.sqrt(aspect)
                boxes.append(centred(w * (0.5 + 0.4 * nxt()), h * (0.5 + 0.4 * nxt()), bw, bh))
    for _ in range(30):
        # Centre within 20 px of an edge, or (a few) wholly outside the image.
        side = int((nxt() + 1) * 2) % 4
        bw, bh = 10 + 60 * (nxt() + 1), 10 + 60 * (nxt() + 1)
        cx, cy = w * (nxt() + 1) / 2, h * (nxt() + 1) / 2
        off = 20 * nxt()
        if side == 0:
            cx = off
        elif side == 1:
            cx = w + off
        elif side == 2:
            cy = off
        else:
            cy = h + off
        boxes.append(centred(cx, cy, bw, bh))
    for _ in range(4):
        boxes.append(centred(w + 50 + 20 * nxt(), h * (nxt() + 1) / 2, 30, 30))
    for _ in range(20):
        boxes.append(centred(w * (nxt() + 1) / 2, h * (nxt() + 1) / 2, 0.3 + 0.85 * (nxt() + 1), 0.3 + 0.85 * (nxt() + 1)))
    for _ in range(6):
        boxes.append(centred(w * (nxt() + 1) / 2, h * (nxt() + 1) / 2, 0.012 + 0.006 * nxt(), 0.5 + 0.2 * nxt()))
    while len(boxes) < n:
        s = math.exp(math.log(4) + (math.log(500) - math.log(4)) * (nxt() + 1) / 2)
        aspect = math.exp(math.log(3) * nxt())
        boxes.append(centred(w * (1.2 * nxt() + 1) / 2, h * (1.2 * nxt() + 1) / 2, s * math.sqrt(aspect), s / math.sqrt(aspect)))
    order = np.argsort(uniform(f'proposal_order{k}', len(boxes)), kind='stable')
    return torch.tensor(np.array(boxes, dtype=np.float64)[order][:n].astype(np.float32))


def ellipse_mask(box, h, w):
    x1, y1, x2, y2 = box
    cx, cy, rx, ry = (x1 + x2) / 2, (y1 + y2) / 2, (x2 - x1) / 2, (y2 - y1) / 2
    ys, xs = np.mgrid[0:h, 0:w]
    return (((xs + 0.5 - cx) / rx) ** 2 + ((ys + 0.5 - cy) / ry) ** 2 <= 1).astype(np.uint8)


def targets_for(with_gt):
    out = []
    for k, (h, w) in enumerate(IMAGE_SIZES):
        gt = GT[k] if with_gt[k] else {'boxes': [], 'labels': []}
        masks = np.stack([ellipse_mask(b, h, w) for b in gt['boxes']]) if gt['boxes'] else np.zeros((0, h, w), np.uint8)
        out.append({
            'boxes': torch.tensor(gt['boxes'], dtype=torch.float32).reshape(-1, 4),
            'labels': torch.tensor(gt['labels'], dtype=torch.int64),
            'masks': torch.from_numpy(masks),
        })
    return out


def stored_targets(targets):
    return [{
        'boxes': [f9(v) for v in t['boxes'].reshape(-1).tolist()],
        'labels': t['labels'].tolist(),
        'masksShape': list(t['masks'].shape),
        'masksBits': base64.b64encode(np.packbits(t['masks'].numpy().reshape(-1)).tobytes()).decode('ascii'),
    } for t in targets]


def build(batch_size_per_image=512, positive_fraction=0.25, score_thresh=0.05, detections_per_img=100):
    names = ['0', '1', '2', '3']
    heads = RoIHeads(
        MultiScaleRoIAlign(names, 7, 2), TwoMLPHead(C * 49, REPRESENTATION), FastRCNNPredictor(REPRESENTATION, NUM_CLASSES),
        0.5, 0.5, batch_size_per_image, positive_fraction, None, score_thresh, 0.5, detections_per_img,
        mask_roi_pool=MultiScaleRoIAlign(names, 14, 2), mask_head=MaskRCNNHeads(C, MASK_LAYERS, 1),
        mask_predictor=MaskRCNNPredictor(MASK_LAYERS[-1], MASK_DIM_REDUCED, NUM_CLASSES),
    )
    state = heads.state_dict()
    heads.load_state_dict({k: torch.from_numpy(hash_tensor(k, list(v.shape))) for k, v in state.items()})
    return heads


class Recorder:
    """Records torch.randperm draws (the sampler's) and the numel batched_nms sees."""

    def __init__(self):
        self.randperm = []
        self.nms_numel = []
        self._randperm = torch.randperm
        self._batched_nms = box_ops.batched_nms

    def __enter__(self):
        def randperm(n, *args, **kwargs):
            p = self._randperm(n, *args, **kwargs)
            self.randperm.append(p.tolist())
            return p

        def batched_nms(boxes, *args, **kwargs):
            self.nms_numel.append(boxes.numel())
            return self._batched_nms(boxes, *args, **kwargs)

        torch.randperm = randperm
        box_ops.batched_nms = batched_nms
        return self

    def __exit__(self, *exc):
        torch.randperm = self._randperm
        box_ops.batched_nms = self._batched_nms


def eval_case(spec, features, proposals):
    heads = build(score_thresh=spec['scoreThresh'], detections_per_img=spec['detectionsPerImg']).eval()
    props = [p[:n] for p, n in zip(proposals, spec['proposals'])]
    with torch.no_grad(), Recorder() as rec:
        result, _ = heads(features, props, IMAGE_SIZES)
    dets = []
    for r in result:
        masks = r['masks'][:, 0]
        dets.append({
            'boxes': [f8(v) for v in r['boxes'].reshape(-1).tolist()],
            'scores': [f8(v) for v in r['scores'].tolist()],
            'labels': r['labels'].tolist(),
            'maskMeans': [f8(v) for v in masks.reshape(masks.shape[0], -1).double().mean(1).tolist()],
            'maskSamples': [f8(v) for v in masks.reshape(-1)[::MASK_SAMPLE_STEP].tolist()],
        })
    return {'name': spec['name'], 'proposals': spec['proposals'], 'scoreThresh': spec['scoreThresh'], 'detectionsPerImg': spec['detectionsPerImg'], 'nmsNumel': rec.nms_numel, 'detections': dets}


def train_case(spec, features, proposals):
    heads = build(spec['batchSizePerImage'], spec['positiveFraction']).train()
    targets = targets_for(spec['gt'])
    sampled = []
    original_subsample = heads.subsample

    def subsample(labels):
        inds = original_subsample(labels)
        sampled.append([{'sampled': int(i.numel()), 'positive': int((l[i] > 0).sum())} for i, l in zip(inds, labels)])
        return inds

    heads.subsample = subsample
    with Recorder() as rec:
        _, losses = heads(features, [p.clone() for p in proposals], IMAGE_SIZES, targets)
    grads = {}
    if spec['grads']:
        sum(losses.values()).backward()
        for k, p in heads.named_parameters():
            g = p.grad.double()
            # Biases whole; every parameter's L1 and L2 norms.
            grads[k] = {'l1': f8(g.abs().sum().item()), 'l2': f8(g.square().sum().sqrt().item()), **({'values': [f8(v) for v in g.reshape(-1).tolist()]} if p.dim() == 1 else {})}
    return {
        'name': spec['name'],
        'batchSizePerImage': spec['batchSizePerImage'],
        'positiveFraction': spec['positiveFraction'],
        'withGroundTruth': spec['gt'],
        'randperm': rec.randperm,
        'counts': sampled[0],
        'losses': {'lossClassifier': f8(losses['loss_classifier'].item()), 'lossBoxReg': f8(losses['loss_box_reg'].item()), 'lossMask': f8(losses['loss_mask'].item())},
        'grads': grads,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--out', default=os.path.join(HERE, '..', '..', 'fixtures', 'roi-heads.json'))
    args = parser.parse_args()
    torch.set_num_threads(1)
    torch.manual_seed(0)
    features = feature_maps()
    tv_features = {str(i): features[name] for i, name in enumerate(LEVELS[:4])}
    tv_features['pool'] = features['p6']
    proposals = [proposals_for(k, n) for k, n in enumerate(NUM_PROPOSALS)]
    out = {
        'reference': f'torch {torch.__version__}, torchvision {torchvision.__version__}',
        'channels': C,
        'numClasses': NUM_CLASSES,
        'representationSize': REPRESENTATION,
        'maskLayers': MASK_LAYERS,
        'maskDimReduced': MASK_DIM_REDUCED,
        'keys': list(build().state_dict().keys()),
        'imageSizes': [list(s) for s in IMAGE_SIZES],
        'features': {name: list(features[name].shape) for name in LEVELS},
        'proposals': [[f9(v) for v in p.reshape(-1).tolist()] for p in proposals],
        # Training targets: image k's ground truth where a case's withGroundTruth[k] is true, else none.
        'groundTruth': stored_targets(targets_for([True, True])),
        'maskSampleStep': MASK_SAMPLE_STEP,
        'eval': [eval_case(spec, tv_features, proposals) for spec in EVAL_CASES],
        'train': [train_case(spec, tv_features, proposals) for spec in TRAIN_CASES],
    }
    with open(args.out, 'w') as f:
        json.dump(out, f)


if __name__ == '__main__':
    main()
