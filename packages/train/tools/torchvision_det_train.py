#!/usr/bin/env python3
"""torchvision's side of the detection-training comparison (issue #17): trains torchvision 0.14's
FasterRCNN over torchvision's BackboneWithFPN (a torchvision ResNet body with plain BatchNorm,
every stage trainable, LastLevelMaxPool) from our exported initial weights, on the batches our
loader gave, at the learning rate our schedule gave at each step, then writes COCO results for
the evaluation images.

What makes the two runs the same recipe (read from the spec the driver writes,
det-vs-torchvision.mjs, never typed here):
- model constants: the resolved RcnnConfig (anchors, RPN/RoI batch sizes and IoU thresholds,
  pre/post NMS top-n, transform min/max size, mean/std, FPN width, box head width);
- weights: a strict load of our torchvision-layout export (every parameter and BN buffer);
- data: per step the image ids our DetectionLoader yielded, with the boxes and labels our
  dataset made of them (crowd and degenerate boxes already dropped), images decoded from the
  same PNG files;
- optimiser: torch.optim.SGD (momentum, dampening 0), one group per weight decay (0 on BatchNorm
  weights and biases, detectron2's WEIGHT_DECAY_NORM), clip_grad_norm_ by the global L2 norm,
  the learning rate of each step set from the driver's list (warmup, multi-step, linear scaling).
What cannot be the same is the RPN / RoI samplers' random draws (torch.randperm under
torch.manual_seed(seed) here, our per-step streams there): the reason for several seeds.

Usage: /usr/bin/python3 packages/train/tools/torchvision_det_train.py SPEC.json OUT_DIR
Writes OUT_DIR/log.jsonl (one record per step), OUT_DIR/results.bbox.json, OUT_DIR/summary.json.
"""
import json
import os
import struct
import sys
import time
from collections import OrderedDict

import numpy as np
import torch
from PIL import Image
from torch import nn
from torchvision.models import resnet
from torchvision.models.detection import FasterRCNN
from torchvision.models.detection.anchor_utils import AnchorGenerator
from torchvision.models.detection.backbone_utils import BackboneWithFPN
from torchvision.models.detection.faster_rcnn import FastRCNNPredictor, TwoMLPHead
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool

SAFETENSORS_DTYPES = {'F32': np.float32, 'F64': np.float64, 'I64': np.int64, 'I32': np.int32, 'U8': np.uint8}
RESNETS = {'resnet18': resnet.resnet18, 'resnet34': resnet.resnet34, 'resnet50': resnet.resnet50}
FEATURE_LAYERS = {'c2': 'layer1', 'c3': 'layer2', 'c4': 'layer3', 'c5': 'layer4'}


def read_safetensors(path):
    with open(path, 'rb') as f:
        (n,) = struct.unpack('<Q', f.read(8))
        header = json.loads(f.read(n))
        data = f.read()
    out = OrderedDict()
    for name, info in header.items():
        if name == '__metadata__':
            continue
        start, end = info['data_offsets']
        array = np.frombuffer(data[start:end], dtype=SAFETENSORS_DTYPES[info['dtype']]).reshape(info['shape'])
        out[name] = torch.from_numpy(array.copy())
    return out


def build_model(rcnn):
    name = rcnn['backbone']['name']
    if name not in RESNETS:
        raise SystemExit(f'torchvision_det_train: backbone {name!r} has no torchvision builder here (known: {", ".join(RESNETS)})')
    options = rcnn['backbone'].get('options') or {}
    # torchvision's trainable_layers=5 with nn.BatchNorm2d: nothing frozen, batch statistics in training.
    if options.get('norm', 'bn') != 'bn' or options.get('frozenStages', -1) != -1:
        raise SystemExit(f'torchvision_det_train: only norm "bn" with frozenStages -1 (nothing frozen) is built here, got {options}')
    body = RESNETS[name](weights=None, norm_layer=nn.BatchNorm2d)
    layers = [FEATURE_LAYERS[f] for f in rcnn['neck']['inFeatures']]
    # A stage's output width is its last block's last BatchNorm's (bn2 in BasicBlock, bn3 in Bottleneck).
    in_channels = [[m for m in getattr(body, l)[-1].modules() if isinstance(m, nn.BatchNorm2d)][-1].num_features for l in layers]
    width = rcnn['neck']['outChannels']
    backbone = BackboneWithFPN(body, {l: str(i) for i, l in enumerate(layers)}, in_channels, width, extra_blocks=LastLevelMaxPool())
    rpn, roi, tr = rcnn['rpn'], rcnn['roiHeads'], rcnn['transform']
    anchors = AnchorGenerator(sizes=tuple(tuple(s) for s in rpn['anchorSizes']), aspect_ratios=(tuple(rpn['aspectRatios']),) * len(rpn['anchorSizes']))
    pool = roi['poolSize']
    return FasterRCNN(
        backbone,
        num_classes=None,
        min_size=tuple(tr['minSize']),
        max_size=tr['maxSize'],
        image_mean=tr['imageMean'],
        image_std=tr['imageStd'],
        rpn_anchor_generator=anchors,
        rpn_pre_nms_top_n_train=rpn['preNmsTopN']['training'],
        rpn_pre_nms_top_n_test=rpn['preNmsTopN']['testing'],
        rpn_post_nms_top_n_train=rpn['postNmsTopN']['training'],
        rpn_post_nms_top_n_test=rpn['postNmsTopN']['testing'],
        rpn_nms_thresh=rpn['nmsThresh'],
        rpn_fg_iou_thresh=rpn['fgIouThresh'],
        rpn_bg_iou_thresh=rpn['bgIouThresh'],
        rpn_batch_size_per_image=rpn['batchSizePerImage'],
        rpn_positive_fraction=rpn['positiveFraction'],
        rpn_score_thresh=rpn['scoreThresh'],
        box_head=TwoMLPHead(width * pool * pool, roi['representationSize']),
        box_predictor=FastRCNNPredictor(roi['representationSize'], rcnn['numClasses']),
        box_score_thresh=roi['scoreThresh'],
        box_nms_thresh=roi['nmsThresh'],
        box_detections_per_img=roi['detectionsPerImg'],
        box_fg_iou_thresh=roi['fgIouThresh'],
        box_bg_iou_thresh=roi['bgIouThresh'],
        box_batch_size_per_image=roi['batchSizePerImage'],
        box_positive_fraction=roi['positiveFraction'],
        bbox_reg_weights=tuple(roi['bboxRegWeights']),
    )


def check_supported(rcnn):
    if rcnn['type'] != 'faster_rcnn' or rcnn['rpn']['convDepth'] != 1 or rcnn['roiHeads']['boxHead'] != 'two_mlp' or rcnn['neck']['norm'] != 'none':
        raise SystemExit('torchvision_det_train: only the v1 Faster R-CNN (1 RPN conv, two_mlp box head, FPN without norm) is built here')
    if rcnn['roiHeads']['samplingRatio'] != 2 or rcnn['roiHeads']['poolSize'] != 7 or rcnn['transform']['sizeDivisible'] != 32:
        raise SystemExit('torchvision_det_train: torchvision fixes RoIAlign at 7x7 ratio 2 and padding at 32 in FasterRCNN; the config differs')


def param_groups(model, o):
    norm = set()
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
            norm.update(id(p) for p in m.parameters(recurse=False))
    groups = {}
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        wd = o['weightDecayNorm'] if id(p) in norm else o['weightDecayBias'] if name.endswith('.bias') else o['weightDecay']
        groups.setdefault(wd, []).append(p)
    return [{'params': ps, 'weight_decay': wd} for wd, ps in groups.items()]


def load_image(path):
    array = np.asarray(Image.open(path).convert('RGB'), dtype=np.float32) / 255.0
    return torch.from_numpy(array).permute(2, 0, 1).contiguous()


def coco_results(model, spec):
    """The model's detections on the spec's evaluation images as COCO results, as our
    coco-results.ts writes them (xywh with float32 widths, labels back to category ids)."""
    model.eval()
    results = []
    with torch.no_grad():
        for info in spec['val']['images']:
            (d,) = model([load_image(os.path.join(spec['val']['imageDir'], info['file']))])
            for box, score, label in zip(d['boxes'].tolist(), d['scores'].tolist(), d['labels'].tolist()):
                w = float(np.float32(box[2]) - np.float32(box[0]))
                h = float(np.float32(box[3]) - np.float32(box[1]))
                results.append({'image_id': info['id'], 'category_id': spec['categoryIds'][label - 1], 'bbox': [box[0], box[1], w, h], 'score': score})
    return results


def main():
    if len(sys.argv) != 3:
        raise SystemExit('usage: torchvision_det_train.py SPEC.json OUT_DIR')
    spec_path, out = sys.argv[1], sys.argv[2]
    with open(spec_path) as f:
        spec = json.load(f)
    torch.set_num_threads(spec.get('threads', 1))
    os.makedirs(out, exist_ok=True)
    rcnn = spec['rcnn']
    check_supported(rcnn)
    torch.manual_seed(spec['seed'])
    model = build_model(rcnn)
    state = read_safetensors(spec['init'])
    missing, unexpected = model.load_state_dict(state, strict=False)
    if missing or unexpected:
        raise SystemExit(f'torchvision_det_train: {spec["init"]} does not fit: missing {missing[:10]} ({len(missing)}), unexpected {unexpected[:10]} ({len(unexpected)})')
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    if trainable != spec['trainableParameters']:
        raise SystemExit(f'torchvision_det_train: {trainable} trainable parameters, ours has {spec["trainableParameters"]}')

    o = spec['optimizer']
    optimizer = torch.optim.SGD(param_groups(model, o), lr=spec['lr'][0], momentum=o['momentum'])
    images = {int(k): v for k, v in spec['train']['images'].items()}
    cache = {}

    def sample(image_id):
        if image_id not in cache:
            info = images[image_id]
            image = load_image(os.path.join(spec['train']['imageDir'], info['file']))
            if list(image.shape[1:]) != [info['height'], info['width']]:
                raise SystemExit(f'torchvision_det_train: image {image_id} is {list(image.shape[1:])}, our loader read {info["height"]}x{info["width"]}')
            target = {'boxes': torch.tensor(info['boxes'], dtype=torch.float32).reshape(-1, 4), 'labels': torch.tensor(info['labels'], dtype=torch.int64)}
            cache[image_id] = (image, target)
        return cache[image_id]

    model.train()
    log = open(os.path.join(out, 'log.jsonl'), 'w')
    t0 = time.perf_counter()
    for step, ids in enumerate(spec['train']['steps']):
        batch = [sample(i) for i in ids]
        lr = spec['lr'][step]
        for g in optimizer.param_groups:
            g['lr'] = lr
        losses = model([b[0] for b in batch], [b[1] for b in batch])
        total = sum(losses.values())
        optimizer.zero_grad()
        total.backward()
        record = {'type': 'train', 'step': step + 1, 'lr': lr, 'loss': total.item(), 'losses': {k: v.item() for k, v in losses.items()}}
        if o['clipGradNorm'] is not None:
            record['gradNorm'] = float(torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], o['clipGradNorm']))
        optimizer.step()
        log.write(json.dumps(record) + '\n')
    train_seconds = time.perf_counter() - t0
    log.close()

    t1 = time.perf_counter()
    results = coco_results(model, spec)
    eval_seconds = time.perf_counter() - t1
    with open(os.path.join(out, 'results.bbox.json'), 'w') as f:
        json.dump(results, f)
    with open(os.path.join(out, 'summary.json'), 'w') as f:
        json.dump({'trainSeconds': train_seconds, 'evalSeconds': eval_seconds, 'steps': len(spec['train']['steps']), 'trainableParameters': trainable,
                   'threads': torch.get_num_threads(), 'torch': torch.__version__, 'torchvision': __import__('torchvision').__version__}, f)


if __name__ == '__main__':
    main()
