#!/usr/bin/env python3
"""Reference outputs of detectron2's Cascade (Mask) R-CNN (issue #15) on hash weights.

detectron2 (facebookresearch/detectron2, read at @02b5c4e) runs from its source on Debian's
torch 1.13 without its compiled extension: on this path its ROIAlign and NMS are
torchvision.ops and `detectron2._C` is never imported. Its pure-Python dependencies fvcore, yacs
and iopath are source checkouts too (only their package folders go on the path: the repo roots
hold a `packaging/` folder that would shadow the real module). Modules the path imports but never
calls are stubs written to a temporary folder by this script, each raising if anything in it is
used: termcolor, tabulate, tqdm(.auto) (logging), portalocker, aiofiles (iopath's locks and
async writes), cloudpickle, omegaconf (LazyConfig), pycocotools(.mask) (COCO evaluation and
polygons). `packaging.version` is the one working stand-in: detectron2 compares torch's version
with it, and the stand-in compares (major, minor, patch) tuples.

The model is configs/Misc/cascade_mask_rcnn_R_50_FPN_1x.yaml with the preset's overrides
(cascade_mask_rcnn_resnet50_fpn in packages/heads/src/detectors/cascade-config.ts: the
torchvision-style ResNet-50, STRIDE_IN_1X1 False, RGB, torchvision's mean/std x 255) and small
test sizes. Every floating-point tensor of its state_dict (FrozenBN buffers included) is filled
by hash_weights.py under detectron2's names. Two formula images of different sizes (the rule of
rcnn.py, x 255 since detectron2 takes 0-255 input) run as one batch, resized as DefaultPredictor
resizes float arrays (ResizeShortestEdge, F.interpolate bilinear); the fixture stores the
preprocessed batch, the FPN levels, the RPN proposals, each cascade stage's proposals, mean
probabilities and boxes, the final detections and the pasted mask probabilities.

Training: the same model in training mode on two images whose short side is MIN_SIZE_TRAIN (so
ResizeShortestEdge is the identity), with ground truth boxes, classes and bit masks; torch.randperm
(detectron2's subsample_labels) is replaced by the hash permutation argsort(hash_uniform(
'randperm<call>', n)) (stable), which the TypeScript test rebuilds; every loss is stored.

Usage: /usr/bin/python3 packages/heads/tools/reference/cascade.py [--out DIR] [--full-masks DIR]
Env: D2_SRC (/tmp/d2src), FVCORE_SRC (/tmp/fvcore_src), YACS_SRC (/tmp/yacs_src),
IOPATH_SRC (/tmp/iopath_src): source checkouts (git archive of the fetched repositories).
"""
import argparse
import atexit
import json
import math
import os
import shutil
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from hash_weights import fnv1a32, hash_tensor, hash_uniform  # noqa: E402

GOLDEN = 2.399963229728653
SOURCES = {
    'D2_SRC': ('/tmp/d2src', 'detectron2'),
    'FVCORE_SRC': ('/tmp/fvcore_src', 'fvcore'),
    'YACS_SRC': ('/tmp/yacs_src', 'yacs'),
    'IOPATH_SRC': ('/tmp/iopath_src', 'iopath'),
}
STUBS = ['termcolor', 'tabulate', 'tqdm', 'tqdm.auto', 'portalocker', 'aiofiles', 'cloudpickle', 'omegaconf', 'pycocotools', 'pycocotools.mask']

IMAGES = [
    {'shape': [3, 100, 140], 'rects': [[10, 12, 60, 70, 0.9, 0.2, 0.1], [70, 30, 130, 60, 0.1, 0.8, 0.3], [40, 75, 90, 95, 0.95, 0.95, 0.9], [100, 5, 120, 90, 0.3, 0.3, 0.85]]},
    {'shape': [3, 120, 90], 'rects': [[5, 5, 85, 40, 0.7, 0.7, 0.1], [20, 50, 50, 115, 0.05, 0.6, 0.9], [55, 60, 88, 100, 0.85, 0.1, 0.6]]},
]
# Training images share their short side (96), which is MIN_SIZE_TRAIN, so the dataset's resize
# is the identity and both sides see the same pixels; the rectangles are the ground truth.
TRAIN_IMAGES = [
    {'shape': [3, 96, 128], 'rects': [[10, 12, 60, 70, 0.9, 0.2, 0.1], [70, 30, 120, 60, 0.1, 0.8, 0.3], [40, 72, 90, 92, 0.95, 0.95, 0.9]], 'classes': [0, 17, 79]},
    {'shape': [3, 112, 96], 'rects': [[5, 5, 85, 40, 0.7, 0.7, 0.1], [20, 50, 50, 105, 0.05, 0.6, 0.9]], 'classes': [5, 5]},
]
MIN_SIZE, MAX_SIZE = 128, 200
TRAIN_SIZE = 96
# 300 proposals and 50 detections instead of 1000 and 100 keep the TypeScript test to seconds;
# score threshold 0 (issue #15's comparison) makes 300 x 80 candidates, batched NMS's per-class path.
POST_NMS_TEST = 300
DETECTIONS = 50
SCORE_THRESH = 0.0
MEAN = [123.675, 116.28, 103.53]
STD = [58.395, 57.12, 57.375]


def preset_overrides():
    """cascade_mask_rcnn_resnet50_fpn's deltas from the Misc config, then the test sizes."""
    return [
        'MODEL.DEVICE', 'cpu',
        'MODEL.RESNETS.STRIDE_IN_1X1', False,
        'INPUT.FORMAT', 'RGB',
        'MODEL.PIXEL_MEAN', MEAN,
        'MODEL.PIXEL_STD', STD,
        'INPUT.MIN_SIZE_TEST', MIN_SIZE,
        'INPUT.MAX_SIZE_TEST', MAX_SIZE,
        'INPUT.MIN_SIZE_TRAIN', (TRAIN_SIZE,),
        'INPUT.MAX_SIZE_TRAIN', 1000,
        'MODEL.RPN.POST_NMS_TOPK_TEST', POST_NMS_TEST,
        'TEST.DETECTIONS_PER_IMAGE', DETECTIONS,
        'MODEL.ROI_HEADS.SCORE_THRESH_TEST', SCORE_THRESH,
    ]


STUB_SOURCE = '''"""Stub written by packages/heads/tools/reference/cascade.py: imported, never called."""


def _stub(qualified):
    class Stub:
        def __init__(self, *args, **kwargs):
            raise RuntimeError(f"stub {qualified} was called: the reference needs the real module")

    Stub.__name__ = qualified.rsplit(".", 1)[-1]
    return Stub


def __getattr__(name):
    if name.startswith("__"):
        raise AttributeError(name)
    return _stub(f"{__name__}.{name}")
'''

PACKAGING_VERSION = '''"""Stand-in written by packages/heads/tools/reference/cascade.py: detectron2 only compares torch versions."""
import re


def parse(version):
    return tuple(int(x) for x in re.findall(r"\\d+", str(version))[:3])
'''


def setup_detectron2():
    """Puts the source checkouts and the stubs on sys.path; returns the detectron2 source root."""
    roots = {}
    for env, (default, package) in SOURCES.items():
        root = os.environ.get(env, default)
        if not os.path.isdir(os.path.join(root, package)):
            raise SystemExit(f'cascade.py: {env}={root} has no {package}/ folder (git archive the fetched repository there)')
        roots[env] = root
    stub_dir = tempfile.mkdtemp(prefix='cascade-stubs-')
    atexit.register(shutil.rmtree, stub_dir, True)
    for package in ['fvcore', 'yacs', 'iopath']:
        env = [k for k, v in SOURCES.items() if v[1] == package][0]
        os.symlink(os.path.join(roots[env], package), os.path.join(stub_dir, package))
    for name in STUBS:
        parts = name.split('.')
        folder = os.path.join(stub_dir, *parts[:-1])
        os.makedirs(folder, exist_ok=True)
        is_package = any(s.startswith(name + '.') for s in STUBS)
        path = os.path.join(folder, parts[-1], '__init__.py') if is_package else os.path.join(folder, parts[-1] + '.py')
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, 'w') as f:
            f.write(STUB_SOURCE)
    os.makedirs(os.path.join(stub_dir, 'packaging'))
    open(os.path.join(stub_dir, 'packaging', '__init__.py'), 'w').close()
    with open(os.path.join(stub_dir, 'packaging', 'version.py'), 'w') as f:
        f.write(PACKAGING_VERSION)
    sys.path[:0] = [roots['D2_SRC'], stub_dir]
    return roots['D2_SRC']


def image(k, spec, prefix='image'):
    """The formula image of rcnn.py, CHW float32 in [0, 1]."""
    shape = spec['shape']
    n = int(np.prod(shape))
    phase = fnv1a32(f'{prefix}{k}') / 2 ** 32 * 2 * math.pi
    x = (0.2 + 0.05 * np.sin(phase + np.arange(n, dtype=np.float64) * GOLDEN)).reshape(shape)
    for x1, y1, x2, y2, *rgb in spec['rects']:
        for c in range(3):
            x[c, y1:y2, x1:x2] = rgb[c]
    return x.astype(np.float32)


def summary(t, count=64):
    """Shape, sum, sum of squares, max |x| and `count` evenly spaced values (NCHW -> NHWC for 4-D maps)."""
    a = t.detach().double().numpy() if hasattr(t, 'detach') else np.asarray(t, dtype=np.float64)
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


def fill(model, torch):
    state = model.state_dict()
    filled = {name: torch.from_numpy(hash_tensor(name, list(t.shape))) if t.dtype.is_floating_point else t for name, t in state.items()}
    model.load_state_dict(filled, strict=True)
    return [{'name': k, 'shape': list(v.shape)} for k, v in state.items()]


def build(torch, d2_root, training=False, mask=True):
    from detectron2.config import get_cfg
    from detectron2.modeling import build_model
    cfg = get_cfg()
    cfg.merge_from_file(os.path.join(d2_root, 'configs', 'Misc', 'cascade_mask_rcnn_R_50_FPN_1x.yaml'))
    cfg.merge_from_list(preset_overrides() + ['MODEL.MASK_ON', mask])
    model = build_model(cfg)
    keys = fill(model, torch)
    model.train(training)
    return cfg, model, keys


def probability_paste(masks, boxes, image_shape):
    """detectron2's paste_masks_in_image on CPU (one mask at a time, skip_empty), returning the probabilities."""
    import torch
    from detectron2.layers.mask_ops import _do_paste_mask
    if not isinstance(boxes, torch.Tensor):
        boxes = boxes.tensor
    n = len(masks)
    out = torch.zeros(n, *image_shape, dtype=torch.float32)
    for i in range(n):
        chunk, (ys, xs) = _do_paste_mask(masks[i:i + 1, None], boxes[i:i + 1], image_shape[0], image_shape[1], skip_empty=True)
        out[i, ys, xs] = chunk[0]
    return out


def run_inference(torch, d2_root, full_masks_dir):
    import types
    from detectron2.data import transforms as T
    from detectron2.structures.masks import ROIMasks
    cfg, model, keys = build(torch, d2_root)
    captured = {'stages': []}
    heads = model.roi_heads
    orig_run_stage = heads._run_stage

    def run_stage(features, proposals, stage):
        out = orig_run_stage(features, proposals, stage)
        probs = heads.box_predictor[stage].predict_probs(out, proposals)
        boxes = heads.box_predictor[stage].predict_boxes(out, proposals)
        captured['stages'].append({
            'proposals': [{'count': len(p), 'first': p.proposal_boxes.tensor[:40].tolist(), 'summary': summary(p.proposal_boxes.tensor)} for p in proposals],
            'probs': [summary(p) for p in probs],
            'boxes': [summary(b) for b in boxes],
        })
        return out

    heads._run_stage = run_stage
    model.backbone.register_forward_hook(lambda m, i, o: captured.__setitem__('fpn', o))
    orig_rpn = model.proposal_generator.forward

    def rpn_forward(images, features, gt=None):
        out = orig_rpn(images, features, gt)
        captured['batch'] = images
        captured['proposals'] = out[0]
        return out

    model.proposal_generator.forward = rpn_forward
    # detector_postprocess pastes through ROIMasks.to_bitmasks, which thresholds and makes a
    # BitMasks (bool); the same paste without either keeps the probabilities to compare.
    ROIMasks.to_bitmasks = lambda self, boxes, height, width, threshold=0.5: types.SimpleNamespace(tensor=probability_paste(self.tensor, boxes, (height, width)))
    aug = T.ResizeShortestEdge([MIN_SIZE, MIN_SIZE], MAX_SIZE)
    inputs = []
    for k, spec in enumerate(IMAGES):
        hwc = np.ascontiguousarray(image(k, spec).transpose(1, 2, 0)) * np.float32(255)
        resized = aug.get_transform(hwc).apply_image(hwc)
        inputs.append({'image': torch.as_tensor(resized.astype('float32').transpose(2, 0, 1)), 'height': spec['shape'][1], 'width': spec['shape'][2]})
    with torch.no_grad():
        outputs = model(inputs)
    batch = captured['batch']
    dets = [o['instances'] for o in outputs]
    if full_masks_dir:
        os.makedirs(full_masks_dir, exist_ok=True)
        for k, d in enumerate(dets):
            np.save(os.path.join(full_masks_dir, f'masks{k}.npy'), d.pred_masks.numpy().astype(np.float32))
    print(f'cascade inference: FPN rms {[round(float(v.pow(2).mean().sqrt()), 3) for v in captured["fpn"].values()]}; proposals {[len(p) for p in captured["proposals"]]}; detections {[len(d) for d in dets]}', file=sys.stderr)
    return {
        'model': 'cascade_mask_rcnn_resnet50_fpn',
        'settings': {'minSize': MIN_SIZE, 'maxSize': MAX_SIZE, 'scoreThresh': SCORE_THRESH, 'rpnPostNmsTopNTest': POST_NMS_TEST, 'detectionsPerImg': DETECTIONS},
        'images': [{'name': f'image{k}', **spec} for k, spec in enumerate(IMAGES)],
        'stateDictKeys': keys,
        'transform': {'batch': summary(batch.tensor), 'imageSizes': [list(s) for s in batch.image_sizes]},
        'fpn': {k: summary(v) for k, v in captured['fpn'].items()},
        'proposals': [{'count': len(p), 'first': p.proposal_boxes.tensor[:50].tolist(), 'logits': p.objectness_logits[:50].tolist(), 'summary': summary(p.proposal_boxes.tensor)} for p in captured['proposals']],
        'stages': captured['stages'],
        'detections': [{
            'boxes': d.pred_boxes.tensor.tolist(),
            'scores': d.scores.tolist(),
            'labels': d.pred_classes.tolist(),
            'maskSums': d.pred_masks.sum(dim=(1, 2)).tolist(),
        } for d in dets],
        'masks': [summary(d.pred_masks) for d in dets],
    }


def hash_randperm(torch, calls):
    def randperm(n, *args, **kwargs):
        k = len(calls)
        calls.append(int(n))
        order = np.argsort(hash_uniform(f'randperm{k}', int(n)), kind='stable') if n > 0 else np.zeros(0, dtype=np.int64)
        return torch.from_numpy(order.astype(np.int64))
    return randperm


def run_training(torch, d2_root):
    from detectron2.structures import BitMasks, Boxes, Instances
    from detectron2.utils.events import EventStorage
    import detectron2.modeling.sampling as sampling
    _, model, _ = build(torch, d2_root, training=True)
    inputs = []
    for k, spec in enumerate(TRAIN_IMAGES):
        chw = image(k, spec, prefix='train') * np.float32(255)
        h, w = spec['shape'][1:]
        inst = Instances((h, w))
        inst.gt_boxes = Boxes(torch.tensor([r[:4] for r in spec['rects']], dtype=torch.float32))
        inst.gt_classes = torch.tensor(spec['classes'], dtype=torch.int64)
        masks = torch.zeros(len(spec['rects']), h, w, dtype=torch.bool)
        for i, (x1, y1, x2, y2, *_rgb) in enumerate(spec['rects']):
            masks[i, y1:y2, x1:x2] = True
        inst.gt_masks = BitMasks(masks)
        inputs.append({'image': torch.from_numpy(chw), 'height': h, 'width': w, 'instances': inst})
    calls = []
    original = torch.randperm
    sampling.torch.randperm = hash_randperm(torch, calls)
    try:
        with EventStorage():
            losses = model(inputs)
    finally:
        sampling.torch.randperm = original
    out = {k: float(v) for k, v in losses.items()}
    print(f'cascade training losses {out}; randperm sizes {calls}', file=sys.stderr)
    return {
        'images': [{'name': f'train{k}', 'shape': s['shape'], 'rects': s['rects'], 'classes': s['classes']} for k, s in enumerate(TRAIN_IMAGES)],
        'trainSize': TRAIN_SIZE,
        'randpermSizes': calls,
        'losses': out,
    }


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--out', default=os.path.join(HERE, '..', '..', 'fixtures', 'cascade'))
    parser.add_argument('--full-masks', default=None, help='also write each image\'s pasted mask probabilities as masks<k>.npy here')
    args = parser.parse_args()
    d2_root = setup_detectron2()
    import torch
    torch.set_num_threads(1)
    torch.manual_seed(0)
    import detectron2
    reference = f'detectron2 {detectron2.__version__} (torch {torch.__version__})'
    os.makedirs(args.out, exist_ok=True)
    inference = run_inference(torch, d2_root, args.full_masks)
    inference['reference'] = reference
    with open(os.path.join(args.out, 'cascade_mask_rcnn_resnet50_fpn.json'), 'w') as f:
        json.dump(inference, f)
    training = run_training(torch, d2_root)
    training['reference'] = reference
    with open(os.path.join(args.out, 'training.json'), 'w') as f:
        json.dump(training, f)


if __name__ == '__main__':
    main()
