#!/usr/bin/env python3
"""Reference outputs of torchvision 0.14's RegionProposalNetwork (issue #14) on hash weights.

RPNHead(C=16, 3 anchors) with hash_weights under the `head.*` names, the FPN anchor presets
((32,)..(512,)) x (0.5, 1, 2), and five feature levels hash_uniform('input.rpn.<case>.p<l>')
(NCHW) for a padded 128x160 batch of two images of sizes (120, 150) and (100, 160); the levels
are strides 4..32 plus the pool level, torchvision's ceil(n / 2) sizes: 32x40 .. 4x5, 2x3.
'Ties' cases set every map from column w // 2 on to TIE_FILL * hash_uniform('input.rpn.ties', C)
per channel, so many logits and deltas are equal and rank at the top (with torch's topk order
swapped for a stable one, their proposals change: topk and NMS tie order are exercised). Eval cases store proposals and scores whole, except the default
1000/1000 one (count, sums and the first 100). Training cases record torch.randperm draws
(their first 256 entries: the sampler uses no more) so the TypeScript side samples the same
anchors, and store both losses. Also stores torch.topk on tie-heavy rows.
Usage: /usr/bin/python3 packages/heads/tools/reference/rpn.py [--out FILE]
"""
import argparse
import json
import os
from collections import OrderedDict

import numpy as np
import torch
import torchvision
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.image_list import ImageList
from torchvision.models.detection import rpn as tv_rpn
from torchvision.models.detection.rpn import RegionProposalNetwork, RPNHead

from hash_weights import hash_tensor, hash_uniform

HERE = os.path.dirname(os.path.abspath(__file__))
C = 16
PADDED = (128, 160)
IMAGE_SIZES = [(120, 150), (100, 160)]
FEATURE_SIZES = [(32, 40), (16, 20), (8, 10), (4, 5), (2, 3)]
SAMPLER_KEEP = 256
TIE_FILL = 3.0

# Image 0: a 64x64 box (anchors reach IoU >= 0.7) and a 4x60 sliver whose best IoU is below
# 0.3, so only the low-quality rule makes it positive; image 1: no ground truth.
TARGETS = [
    [[20.0, 30.0, 84.0, 94.0], [4.0, 10.0, 8.0, 70.0]],
    [],
]


def g(x):
    return float('%.9g' % x)


def boxes_list(t):
    return [g(v) for v in t.reshape(-1).tolist()]


def features(case, ties):
    feats = OrderedDict()
    for level, (h, w) in enumerate(FEATURE_SIZES):
        n = 2 * C * h * w
        x = torch.from_numpy(hash_uniform(f'input.rpn.{case}.p{level + 2}', n).reshape(2, C, h, w).astype(np.float32))
        if ties:
            fill = TIE_FILL * torch.from_numpy(hash_uniform('input.rpn.ties', C).astype(np.float32))
            x[..., w // 2:] = fill[None, :, None, None]
        feats[['0', '1', '2', '3', 'pool'][level]] = x
    return feats


def build(pre, post):
    anchors = AnchorGenerator(((32,), (64,), (128,), (256,), (512,)), ((0.5, 1.0, 2.0),) * 5)
    rpn = RegionProposalNetwork(anchors, RPNHead(C, 3), 0.7, 0.3, 256, 0.5, pre, post, 0.7)
    state = rpn.state_dict()
    rpn.load_state_dict({k: torch.from_numpy(hash_tensor(k, list(v.shape))) for k, v in state.items()})
    return rpn, list(state)


def images():
    return ImageList(torch.zeros(2, 3, *PADDED), IMAGE_SIZES)


class NmsInputSizes:
    """Records how many boxes each batched_nms call gets (its CPU path switches at 1000)."""

    def __enter__(self):
        self.sizes = []
        self.real = tv_rpn.box_ops.batched_nms

        def spy(boxes, scores, idxs, iou_threshold):
            self.sizes.append(int(boxes.shape[0]))
            return self.real(boxes, scores, idxs, iou_threshold)

        tv_rpn.box_ops.batched_nms = spy
        return self

    def __exit__(self, *exc):
        tv_rpn.box_ops.batched_nms = self.real


def stored_proposals(boxes, scores, summary_only, nms_inputs):
    out = []
    for b, s, m in zip(boxes, scores, nms_inputs):
        rec = {'count': int(b.shape[0]), 'nmsInputs': m}
        weights = (torch.arange(b.shape[0], dtype=torch.float64) % 97 + 1)[:, None]
        rec['boxSum'] = float(b.double().sum())
        rec['boxWeightedSum'] = float((b.double() * weights).sum())
        rec['scoreSum'] = float(s.double().sum())
        head = 100 if summary_only else b.shape[0]
        rec['boxes'] = boxes_list(b[:head])
        rec['scores'] = [g(v) for v in s[:head].tolist()]
        out.append(rec)
    return out


def eval_case(name, pre, post, ties, summary_only=False):
    rpn, keys = build({'training': 2000, 'testing': pre}, {'training': 2000, 'testing': post})
    rpn.eval()
    with torch.no_grad():
        scores = []
        orig = rpn.filter_proposals

        def keep_scores(*args):
            b, s = orig(*args)
            scores.extend(s)
            return b, s

        rpn.filter_proposals = keep_scores
        with NmsInputSizes() as nms:
            boxes, losses = rpn(images(), features(name, ties))
    assert losses == {}
    return {'name': name, 'mode': 'eval', 'preNmsTopN': pre, 'postNmsTopN': post, 'ties': ties, 'keys': keys, 'summaryOnly': summary_only,
            'images': stored_proposals(boxes, scores, summary_only, nms.sizes)}


def train_case(name, pre, post, targets_boxes):
    rpn, keys = build({'training': pre, 'testing': 1000}, {'training': post, 'testing': 1000})
    rpn.train()
    feats = features(name, False)
    targets = [{'boxes': torch.tensor(b, dtype=torch.float32).reshape(-1, 4), 'labels': torch.ones(len(b), dtype=torch.int64)} for b in targets_boxes]
    with torch.no_grad():
        anchors = rpn.anchor_generator(images(), list(feats.values()))
        labels, _ = rpn.assign_targets_to_anchors(anchors, targets)
    label_counts = [{'positive': int((l == 1).sum()), 'negative': int((l == 0).sum()), 'ignored': int((l == -1).sum())} for l in labels]
    draws = []
    real_randperm = torch.randperm

    def recording_randperm(n, *args, **kwargs):
        perm = real_randperm(n, *args, **kwargs)
        draws.append({'n': int(n), 'first': perm[:SAMPLER_KEEP].tolist()})
        return perm

    scores = []
    orig = rpn.filter_proposals

    def keep_scores(*args):
        b, s = orig(*args)
        scores.extend(t.detach() for t in s)
        return b, s

    rpn.filter_proposals = keep_scores
    torch.manual_seed(0)
    torch.randperm = recording_randperm
    try:
        with NmsInputSizes() as nms:
            boxes, losses = rpn(images(), feats, targets)
    finally:
        torch.randperm = real_randperm
    return {'name': name, 'mode': 'train', 'preNmsTopN': pre, 'postNmsTopN': post, 'ties': False, 'keys': keys, 'summaryOnly': False,
            'targets': targets_boxes, 'labelCounts': label_counts, 'randperm': draws,
            'losses': {'lossObjectness': float(losses['loss_objectness']), 'lossRpnBoxReg': float(losses['loss_rpn_box_reg'])},
            'images': stored_proposals([b.detach() for b in boxes], scores, False, nms.sizes)}


def topk_cases():
    rng = np.random.default_rng(0)
    cases = []
    for n, levels, ks in [(100, 3, [1, 10, 99, 100]), (1000, 11, [15, 200, 1000]), (3840, 5, [50, 60, 200, 1000]), (17, 2, [1, 16, 17])]:
        v = (rng.integers(0, levels, n) / 4).astype(np.float32)
        for k in ks:
            cases.append({'values': [float(x) for x in v], 'k': k, 'indices': torch.from_numpy(v).topk(k)[1].tolist()})
    return cases


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--out', default=os.path.join(HERE, '..', '..', 'fixtures', 'rpn.json'))
    args = parser.parse_args()
    torch.set_num_threads(1)
    cases = [
        eval_case('eval_default', 1000, 1000, False, summary_only=True),
        eval_case('eval_small', 200, 100, False),
        eval_case('eval_ties_partial_sort', 50, 60, True),
        eval_case('eval_ties_nth_element', 300, 100, True),
        train_case('train', 300, 200, TARGETS),
        train_case('train_no_gt', 100, 50, [[], []]),
    ]
    with open(args.out, 'w') as f:
        json.dump({'reference': f'torchvision {torchvision.__version__}', 'channels': C, 'padded': list(PADDED), 'imageSizes': [list(s) for s in IMAGE_SIZES],
                   'featureSizes': [list(s) for s in FEATURE_SIZES], 'samplerKeep': SAMPLER_KEEP, 'tieFill': TIE_FILL, 'cases': cases, 'topk': topk_cases()}, f)


if __name__ == '__main__':
    main()
