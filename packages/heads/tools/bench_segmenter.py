"""PyTorch CPU timing of DeepLabV3 / DeepLabV3+ inference, for src/bench/segmenter.bench.ts.

Reads the bench's spec (JSON: {"models": [...], "size": [H, W], "repeats": n, "threads": t}) and,
per model, builds the reference the preset follows, fills it with the hash weights of
reference/hash_weights.py (as reference/deeplab.py does: the TypeScript side uses the same rule
under the same names), runs one warm-up and `repeats` timed forwards under torch.no_grad in eval
mode on one hash image (batch 1) and prints one JSON line: images/s from the median call.

Models: deeplabv3_resnet50 is torchvision's builder (aux_loss=True, 21 classes: the layout of its
COCO_WITH_VOC_LABELS checkpoints, aux head computed as ours is). deeplabv3plus_resnest50d is
segmentation_models.pytorch's DeepLabV3Plus('tu-resnest50d', encoder_output_stride=16, 21
classes), from sources: SMP_SRC (default /tmp/smp_src) and TIMM_SRC (default /tmp/timm_src); without
them its line says so.
Run: /usr/bin/python3 packages/heads/tools/bench_segmenter.py spec.json
"""
import json
import os
import statistics
import sys
import time

import torch
import torchvision

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'reference'))
import deeplab  # noqa: E402  (the reference generator's weights, images and source setup)


def build(name):
    """(model, what it is) or (None, why not)."""
    torch.manual_seed(0)
    if name in ('deeplabv3_resnet50', 'deeplabv3_resnet101'):
        from torchvision.models import segmentation
        return getattr(segmentation, name)(weights=None, weights_backbone=None, num_classes=deeplab.NUM_CLASSES, aux_loss=True), f'torchvision {torchvision.__version__} {name}(aux_loss=True)'
    if name.startswith('deeplabv3plus_'):
        smp_src = os.environ.get('SMP_SRC', '/tmp/smp_src')
        timm_src = os.environ.get('TIMM_SRC', '/tmp/timm_src')
        if not os.path.isdir(os.path.join(smp_src, 'segmentation_models_pytorch')) or not os.path.isdir(os.path.join(timm_src, 'timm')):
            return None, f'skipped: smp/timm sources missing (SMP_SRC={smp_src}, TIMM_SRC={timm_src})'
        deeplab.add_sources(True)
        import segmentation_models_pytorch as smp
        body = name[len('deeplabv3plus_'):]
        encoder = body if body == 'resnet50' else f'tu-{body}'
        model = smp.DeepLabV3Plus(encoder_name=encoder, encoder_weights=None, encoder_output_stride=16, classes=deeplab.NUM_CLASSES)
        return model, f'segmentation_models_pytorch bd7f877 DeepLabV3Plus({encoder!r}) over timm aa4b5850'
    return None, f'bench_segmenter.py: no reference build for "{name}"'


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    torch.set_num_threads(spec['threads'])
    h, w = spec['size']
    for name in spec['models']:
        model, what = build(name)
        if model is None:
            print(json.dumps({'name': name, 'error': what}), flush=True)
            continue
        deeplab.fill(model)
        model.eval()
        x = deeplab.image(1, h, w)
        times = []
        with torch.no_grad():
            model(x)
            for _ in range(spec['repeats']):
                t0 = time.perf_counter()
                model(x)
                times.append((time.perf_counter() - t0) * 1000)
        ms = statistics.median(times)
        print(json.dumps({'name': name, 'imagesPerSecond': 1000 / ms, 'medianMs': ms, 'reference': what, 'torch': torch.__version__, 'threads': torch.get_num_threads()}), flush=True)


if __name__ == '__main__':
    main()
