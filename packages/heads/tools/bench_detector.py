"""torchvision CPU timing of whole R-CNN inference, for src/bench/detector.bench.ts.

Reads the bench's spec (JSON: {"models": [...], "image": {"name": "image0", "shape": [3, H, W],
"rects": [...]}, "settings": {"scoreThresh", "rpnPreNmsTopN", "rpnPostNmsTopN", "nmsThresh",
"detectionsPerImg"}, "repeats": n, "threads": t, "top": k}) and, per model, builds the detector
with the settings, fills it with the hash weights of reference/hash_weights.py (the rule the
TypeScript side uses, under the same names), runs one warm-up and `repeats` timed calls under
torch.no_grad, each followed by one call stage by stage (GeneralizedRCNN.forward and
RoIHeads.forward in eval mode, child by child) and one call under torch.autograd.profiler.
Prints one JSON line per model: images/s from the median call, median ms per stage, proposal
and detection counts, the top ops by self CPU time.

Models: fasterrcnn_resnet50_fpn is torchvision's builder. maskrcnn_resnest50d_fpn is
torchvision's MaskRCNN over BackboneWithFPN(timm resnest50d, layer1..layer4 -> '0'..'3',
LastLevelMaxPool), timm from its source: TIMM_SRC (default /tmp/timm_src, holding timm/ of
huggingface/pytorch-image-models at aa4b5850); without it the row says so and uses
torchvision's resnet50 body instead ("backbone" names what ran).
Run: /usr/bin/python3 packages/heads/tools/bench_detector.py spec.json
"""
import json
import os
import statistics
import sys
import time

import torch
import torchvision
from torchvision.models import detection
from torchvision.models.detection.backbone_utils import BackboneWithFPN
from torchvision.models.detection.roi_heads import maskrcnn_inference
from torchvision.ops.feature_pyramid_network import LastLevelMaxPool

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'reference'))
from rcnn import fill, image  # noqa: E402  (the reference generator's weights and images)

STAGES = ['transform', 'backbone', 'fpn', 'rpn', 'roiBox', 'boxPostprocess', 'roiMask', 'postprocess']


def detector_kwargs(s):
    return {
        'num_classes': 91,
        'box_score_thresh': s['scoreThresh'],
        'box_nms_thresh': s['nmsThresh'],
        'box_detections_per_img': s['detectionsPerImg'],
        'rpn_pre_nms_top_n_test': s['rpnPreNmsTopN'],
        'rpn_post_nms_top_n_test': s['rpnPostNmsTopN'],
    }


def timm_body(name):
    src = os.environ.get('TIMM_SRC', '/tmp/timm_src')
    if not os.path.isdir(os.path.join(src, 'timm')):
        return None, f'TIMM_SRC={src} has no timm/ folder'
    sys.path.insert(0, src)
    import timm
    return timm.create_model(name, pretrained=False), None


def build(name, settings):
    """(model, what the backbone is)."""
    torch.manual_seed(0)
    kwargs = detector_kwargs(settings)
    if name in ('fasterrcnn_resnet50_fpn', 'maskrcnn_resnet50_fpn'):
        return getattr(detection, name)(weights=None, weights_backbone=None, **kwargs), 'torchvision resnet50'
    if name == 'maskrcnn_resnest50d_fpn':
        body, why = timm_body('resnest50d')
        if body is None:
            return detection.maskrcnn_resnet50_fpn(weights=None, weights_backbone=None, **kwargs), f'torchvision resnet50 (NOT resnest50d: {why})'
        levels = {'layer1': '0', 'layer2': '1', 'layer3': '2', 'layer4': '3'}
        backbone = BackboneWithFPN(body, levels, [256, 512, 1024, 2048], 256, extra_blocks=LastLevelMaxPool())
        import timm
        return detection.MaskRCNN(backbone, **kwargs), f'timm {timm.__version__} resnest50d (aa4b5850)'
    raise SystemExit(f'bench_detector.py: no torchvision build for model "{name}"')


def by_stage(model, images):
    """GeneralizedRCNN.forward (eval) child by child: detections and ms per stage."""
    ms = {}
    t0 = [time.perf_counter()]

    def lap(stage):
        t = time.perf_counter()
        ms[stage] = (t - t0[0]) * 1000
        t0[0] = t

    original_sizes = [tuple(img.shape[-2:]) for img in images]
    batch, _ = model.transform(images)
    lap('transform')
    body = model.backbone.body(batch.tensors)
    lap('backbone')
    features = model.backbone.fpn(body)
    lap('fpn')
    proposals, _ = model.rpn(batch, features)
    lap('rpn')
    rh = model.roi_heads
    box_features = rh.box_head(rh.box_roi_pool(features, proposals, batch.image_sizes))
    class_logits, box_regression = rh.box_predictor(box_features)
    lap('roiBox')
    boxes, scores, labels = rh.postprocess_detections(class_logits, box_regression, proposals, batch.image_sizes)
    result = [{'boxes': b, 'labels': l, 'scores': s} for b, s, l in zip(boxes, scores, labels)]
    lap('boxPostprocess')
    if rh.has_mask():
        mask_features = rh.mask_head(rh.mask_roi_pool(features, [r['boxes'] for r in result], batch.image_sizes))
        probs = maskrcnn_inference(rh.mask_predictor(mask_features), [r['labels'] for r in result])
        for p, r in zip(probs, result):
            r['masks'] = p
    lap('roiMask')
    result = model.transform.postprocess(result, batch.image_sizes, original_sizes)
    lap('postprocess')
    return result, ms, [p.shape[0] for p in proposals]


def time_model(name, spec):
    model, backbone = build(name, spec['settings'])
    fill(model)
    model.eval()
    k = int(spec['image']['name'][len('image'):])
    images = [image(k, spec['image'])]
    repeats = spec['repeats']
    with torch.no_grad():
        reference = model(images)
        totals, stages, proposals, same = [], [], 0, True
        # Whole and staged calls alternate, so that a shared machine's changing load falls on both.
        for _ in range(repeats):
            t0 = time.perf_counter()
            model(images)
            totals.append((time.perf_counter() - t0) * 1000)
            result, ms, counts = by_stage(model, images)
            same = same and torch.equal(result[0]['labels'], reference[0]['labels']) and torch.allclose(result[0]['scores'], reference[0]['scores'])
            stages.append(ms)
            proposals = counts[0]
        with torch.autograd.profiler.profile() as prof:
            model(images)
    ops = prof.key_averages()
    top = sorted(ops, key=lambda e: e.self_cpu_time_total, reverse=True)[:spec['top']]
    median = statistics.median(totals)
    return {
        'name': name,
        'imagesPerSecond': 1000 / median,
        'medianMs': median,
        'minMs': min(totals),
        'stages': {s: statistics.median(m[s] for m in stages) for s in STAGES},
        'stagedMatchesForward': bool(same),
        'proposals': int(proposals),
        'detections': int(reference[0]['scores'].shape[0]),
        'profile': {
            'ops': int(sum(e.count for e in ops)),
            'selfCpuMs': sum(e.self_cpu_time_total for e in ops) / 1000,
            'topOps': [{'name': e.key, 'count': int(e.count), 'ms': round(e.self_cpu_time_total / 1000, 1)} for e in top],
        },
        'backbone': backbone,
        'torch': torch.__version__,
        'torchvision': torchvision.__version__,
        'threads': torch.get_num_threads(),
    }


def main():
    spec = json.load(open(sys.argv[1]))
    torch.set_num_threads(spec['threads'])
    for name in spec['models']:
        try:
            row = time_model(name, spec)
        except Exception as err:  # one model failing must not hide the other's figures
            row = {'name': name, 'error': f'{type(err).__name__}: {err}'.split('\n')[0]}
        print(json.dumps(row), flush=True)


if __name__ == '__main__':
    main()
