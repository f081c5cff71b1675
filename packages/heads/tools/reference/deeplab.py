#!/usr/bin/env python3
"""Reference logits of DeepLabV3 (torchvision) and DeepLabV3+ (segmentation_models.pytorch), issue #16.

Every floating-point tensor of the model's state_dict is filled by the hash formula of
hash_weights.py (packages/heads/src/testing/hash-weights.ts is the TypeScript side), the model
runs in eval mode on seeded inputs of two non-square sizes (multiples of 16), and the logits are
summarised at the feature resolution (the classifier's output, before upsampling) and at the
input size. Inputs are hash_uniform('input.<size>') in NCHW (values in [-1, 1), like a
normalised image; the TypeScript test regenerates them with hashInput). The RMS of every
backbone stage is recorded and printed, to show that hash weights keep activations in range.

Cases:
  deeplabv3_resnet50, deeplabv3_resnet101  torchvision's builders (weights=None, aux_loss=True:
                                           the layout of its COCO_WITH_VOC_LABELS checkpoints)
  deeplabv3_resnest50d                     torchvision's DeepLabV3 + DeepLabHead + FCNHead over a
                                           timm resnest50d body built with output_stride=8
  deeplabv3plus_resnet50                   smp.DeepLabV3Plus('resnet50') (smp's encoder, torchvision names)
  deeplabv3plus_resnest14d, _resnest50d    smp.DeepLabV3Plus('tu-resnest14d' / 'tu-resnest50d')
21 classes throughout (torchvision's VOC default; smp's own default is 1).

torchvision cases need only /usr/bin/python3 (torch 1.13, torchvision 0.14). timm and smp cases
need their sources: TIMM_SRC (default /tmp/timm_src, holding timm/, commit aa4b5850) and SMP_SRC
(default /tmp/smp_src, holding segmentation_models_pytorch/, commit bd7f877). The modules smp
imports for encoders and hub features this generator never uses are stubbed in a temporary folder
(huggingface_hub, pretrainedmodels, efficientnet_pytorch, tqdm); a stub raises if instantiated.

Usage: /usr/bin/python3 packages/heads/tools/reference/deeplab.py [--out DIR] [--full] [cases...]
(default DIR packages/heads/fixtures/deeplab; --full also stores every logit, for the slow test)
"""
import argparse
import json
import math
import os
import sys
import tempfile

import numpy as np
import torch
import torchvision

from hash_weights import hash_tensor, hash_uniform

HERE = os.path.dirname(os.path.abspath(__file__))
NUM_CLASSES = 21
# [batch, height, width]: two non-square sizes, multiples of 16; batch 2 checks the per-image pooling.
SIZES = [[2, 64, 96], [1, 80, 48]]
SAMPLES = 128

TV_CASES = ['deeplabv3_resnet50', 'deeplabv3_resnet101']
TIMM_CASES = ['deeplabv3_resnest50d']
SMP_CASES = ['deeplabv3plus_resnet50', 'deeplabv3plus_resnest14d', 'deeplabv3plus_resnest50d']
ALL_CASES = TV_CASES + TIMM_CASES + SMP_CASES

STUB_SOURCE = '''"""Stub written by packages/heads/tools/reference/deeplab.py: smp imports this module for
features the DeepLab references never use. Any class here raises when instantiated."""


class _StubMeta(type):
    def __getitem__(cls, key):
        return cls

    def __getattr__(cls, name):
        if name.startswith('_'):
            raise AttributeError(name)
        return cls


class Stub(metaclass=_StubMeta):
    def __init__(self, *args, **kwargs):
        if type(self) is Stub:
            raise RuntimeError(__name__ + ' is a stub (deeplab.py): it must not be used')


class _AutoDict(dict):
    def __missing__(self, key):
        value = self[key] = _AutoDict()
        return value


# URL and settings tables smp reads at import time (copied, indexed, extended).
pretrained_settings = _AutoDict()
url_map = _AutoDict()
url_map_advprop = _AutoDict()


def __getattr__(name):
    if name.startswith('__'):
        raise AttributeError(name)
    return Stub
'''
STUBS = ['huggingface_hub', 'pretrainedmodels', 'pretrainedmodels.models', 'pretrainedmodels.models.torchvision_models',
         'pretrainedmodels.models.dpn', 'pretrainedmodels.models.inceptionresnetv2', 'pretrainedmodels.models.inceptionv4',
         'pretrainedmodels.models.senet', 'pretrainedmodels.models.xception', 'efficientnet_pytorch',
         'efficientnet_pytorch.utils', 'tqdm']


def add_sources(need_smp):
    timm_src = os.environ.get('TIMM_SRC', '/tmp/timm_src')
    if not os.path.isdir(os.path.join(timm_src, 'timm')):
        sys.exit(f'deeplab.py: TIMM_SRC={timm_src} has no timm/ folder (fetch pytorch-image-models at aa4b5850)')
    sys.path.insert(0, timm_src)
    if need_smp:
        smp_src = os.environ.get('SMP_SRC', '/tmp/smp_src')
        if not os.path.isdir(os.path.join(smp_src, 'segmentation_models_pytorch')):
            sys.exit(f'deeplab.py: SMP_SRC={smp_src} has no segmentation_models_pytorch/ folder')
        stub_dir = tempfile.mkdtemp(prefix='deeplab-stubs-')
        for name in STUBS:
            parts = name.split('.')
            folder = os.path.join(stub_dir, *parts)
            os.makedirs(folder, exist_ok=True)
            with open(os.path.join(folder, '__init__.py'), 'w') as f:
                f.write(STUB_SOURCE)
        sys.path.insert(0, smp_src)
        sys.path.append(stub_dir)


def summary(t, full=False):
    """Shape, sum, sum of squares, max |x| and SAMPLES values at evenly spaced flat NHWC positions."""
    a = t.detach().double().numpy().transpose(0, 2, 3, 1)
    flat = a.reshape(-1)
    positions = [int(i * (flat.size - 1) / (SAMPLES - 1)) for i in range(SAMPLES)]
    out = {
        'shape': list(a.shape),
        'sum': float(flat.sum()),
        'sumsq': float((flat ** 2).sum()),
        'absmax': float(np.abs(flat).max()),
        'positions': positions,
        'values': [float(flat[p]) for p in positions],
    }
    if full:
        out['all'] = [float('%.8g' % v) for v in flat.tolist()]
    return out


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


def image(batch, h, w):
    n = batch * 3 * h * w
    return torch.from_numpy(hash_uniform(f'input.{batch}x{h}x{w}', n).reshape(batch, 3, h, w).astype(np.float32))


def rms(t):
    return float(t.detach().double().pow(2).mean().sqrt())


def build_torchvision(case):
    from torchvision.models import segmentation
    if case in TV_CASES:
        model = getattr(segmentation, case)(weights=None, weights_backbone=None, num_classes=NUM_CLASSES, aux_loss=True)
        return model, model.backbone, model.classifier, model.aux_classifier
    import timm
    from torchvision.models._utils import IntermediateLayerGetter
    from torchvision.models.segmentation.deeplabv3 import DeepLabHead, DeepLabV3
    from torchvision.models.segmentation.fcn import FCNHead
    body = timm.create_model(case[len('deeplabv3_'):], pretrained=False, output_stride=8)
    channels = [f['num_chs'] for f in body.feature_info]
    backbone = IntermediateLayerGetter(body, return_layers={'layer4': 'out', 'layer3': 'aux'})
    model = DeepLabV3(backbone, DeepLabHead(channels[-1], NUM_CLASSES), FCNHead(channels[-2], NUM_CLASSES))
    return model, model.backbone, model.classifier, model.aux_classifier


def run_torchvision(case, full):
    torch.manual_seed(0)
    model, backbone, classifier, aux_classifier = build_torchvision(case)
    keys = fill(model)
    model.eval()
    captured = {}

    def hook(key):
        def f(_module, _inputs, output):
            captured[key] = output
        return f

    stage_names = [n for n in ('layer1', 'layer2', 'layer3', 'layer4') if hasattr(backbone, n)]
    for n in stage_names:
        getattr(backbone, n).register_forward_hook(hook(n))
    classifier.register_forward_hook(hook('outLow'))
    aux_classifier.register_forward_hook(hook('auxLow'))
    results = []
    for batch, h, w in SIZES:
        with torch.no_grad():
            out = model(image(batch, h, w))
        stage_rms = {n: rms(captured[n]) for n in stage_names}
        print(f'{case} {batch}x{h}x{w}: stage rms {stage_rms}; out absmax {float(out["out"].abs().max()):.4g}', file=sys.stderr)
        results.append({
            'input': [batch, h, w],
            'stageRms': stage_rms,
            'stageShapes': {n: list(captured[n].permute(0, 2, 3, 1).shape) for n in stage_names},
            'outLow': summary(captured['outLow'], full),
            'out': summary(out['out'], full),
            'auxLow': summary(captured['auxLow'], full),
            'aux': summary(out['aux'], full),
        })
    return keys, results


def run_smp(case, full):
    import segmentation_models_pytorch as smp
    torch.manual_seed(0)
    body = case[len('deeplabv3plus_'):]
    encoder = body if body == 'resnet50' else f'tu-{body}'
    model = smp.DeepLabV3Plus(encoder_name=encoder, encoder_weights=None, encoder_output_stride=16, classes=NUM_CLASSES)
    keys = fill(model)
    model.eval()
    captured = {}

    def hook(key):
        def f(_module, _inputs, output):
            captured[key] = output
        return f

    model.encoder.register_forward_hook(hook('features'))
    model.decoder.register_forward_hook(hook('decoder'))
    model.segmentation_head[0].register_forward_hook(hook('outLow'))
    results = []
    for batch, h, w in SIZES:
        with torch.no_grad():
            out = model(image(batch, h, w))
        feats = captured['features'][1:]
        stage_rms = {f'c{i + 1}': rms(f) for i, f in enumerate(feats)}
        print(f'{case} ({encoder}) {batch}x{h}x{w}: stage rms {stage_rms}; out absmax {float(out.abs().max()):.4g}', file=sys.stderr)
        results.append({
            'input': [batch, h, w],
            'stageRms': stage_rms,
            'stageShapes': {f'c{i + 1}': list(f.permute(0, 2, 3, 1).shape) for i, f in enumerate(feats)},
            'decoder': summary(captured['decoder'], full),
            'outLow': summary(captured['outLow'], full),
            'out': summary(out, full),
        })
    return keys, results, encoder


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--out', default=os.path.join(HERE, '..', '..', 'fixtures', 'deeplab'))
    parser.add_argument('--full', action='store_true', help='store every logit too (large; for the slow test)')
    parser.add_argument('cases', nargs='*', default=ALL_CASES)
    args = parser.parse_args()
    unknown = [c for c in args.cases if c not in ALL_CASES]
    if unknown:
        sys.exit(f'deeplab.py: unknown case(s) {unknown}; known: {ALL_CASES}')
    torch.set_num_threads(1)
    if any(c not in TV_CASES for c in args.cases):
        add_sources(any(c in SMP_CASES for c in args.cases))
    os.makedirs(args.out, exist_ok=True)
    for case in args.cases:
        result = {'model': case, 'numClasses': NUM_CLASSES}
        if case in SMP_CASES:
            keys, cases, encoder = run_smp(case, args.full)
            result['reference'] = f'segmentation_models_pytorch bd7f877 DeepLabV3Plus(encoder_name={encoder!r}, encoder_output_stride=16); timm aa4b5850; torch {torch.__version__}'
        else:
            keys, cases = run_torchvision(case, args.full)
            result['reference'] = f'torchvision {torchvision.__version__} (torch {torch.__version__})' + ('' if case in TV_CASES else ' over timm aa4b5850 body, output_stride=8')
        result['stateDictKeys'] = keys
        result['cases'] = cases
        with open(os.path.join(args.out, f'{case}.json'), 'w') as f:
            json.dump(result, f)


if __name__ == '__main__':
    main()
