#!/usr/bin/env python3
"""Evaluation-folder fixture for `tfvision eval cls` (issue #19), with timm as the reference.

Writes a small ImageNet-style folder of JPEGs made with PIL (varied sizes and aspect ratios,
both orientations, images smaller than the crop, one at exactly the resize size, grayscale (L)
and CMYK files, one corrupt file), a 1000-name classes file, a flat-layout labels file, and
expected.json with, for a bilinear model (resnest50d) and a bicubic one (resnet50):
  - timm's resolved data config (resolve_data_config(model=...));
  - per image, the uint8 crop timm's eval transform (create_transform(**cfg), PIL decoding via
    Image.open(f).convert('RGB')) feeds to ToTensor: shape, per-channel sums and every
    SAMPLE_STRIDE-th value;
and, for resnest50d filled with the formula weights (packages/backbones/tools/make_equivalence.py),
each image's top-5 classes and the top-1/top-5 of a validate.py-style loop
(timm.utils.accuracy on batches). Labels are chosen from the reference's own ranking (rank 0, 2
or 7 in turn), so top-1 and top-5 are neither 0 nor 1.

With --full DIR it also writes DIR/<model>/<image>.f32 (the normalised CHW float32 tensors) for
the slow test's every-value comparison.

Usage (timm source from the fetched repo, never committed):
  PYTHONPATH=/tmp/timm_src /usr/bin/python3 packages/train/tools/make_eval_folder.py OUT_DIR [--full DIR]
"""
import io
import json
import os
import sys

import numpy as np
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', '..', 'backbones', 'tools'))
from make_equivalence import formula  # noqa: E402

SAMPLE_STRIDE = 97
MODELS = ['resnest50d', 'resnet50']
ACCURACY_MODEL = 'resnest50d'
RANKS = [0, 2, 7]
NUM_CLASSES = 1000

# (name, height, width, PIL mode)
IMAGES = [
    ('land_375x500', 375, 500, 'RGB'),
    ('port_500x333', 500, 333, 'RGB'),
    ('square_300', 300, 300, 'RGB'),
    ('wide_180x420', 180, 420, 'RGB'),
    ('tall_410x170', 410, 170, 'RGB'),
    ('small_120x160', 120, 160, 'RGB'),
    ('tiny_61x47', 61, 47, 'RGB'),
    ('exact_256x256', 256, 256, 'RGB'),
    ('odd_257x341', 257, 341, 'RGB'),
    ('gray_260x200', 260, 200, 'L'),
    ('cmyk_220x290', 220, 290, 'CMYK'),
    ('cmyk_310x240', 310, 240, 'CMYK'),
]


def make_pixels(rng, h, w, channels):
    """Smooth colour fields plus sharp rectangles and fine noise: exercises every filter tap."""
    coarse = rng.rand(max(2, h // 24), max(2, w // 24), channels)
    img = np.stack([np.asarray(Image.fromarray((coarse[:, :, c] * 255).astype(np.uint8)).resize((w, h), Image.BICUBIC), dtype=np.float64)
                    for c in range(channels)], axis=2)
    for _ in range(4):
        y0, x0 = rng.randint(0, h), rng.randint(0, w)
        y1, x1 = min(h, y0 + rng.randint(4, max(5, h // 3))), min(w, x0 + rng.randint(4, max(5, w // 3)))
        img[y0:y1, x0:x1] = rng.rand(channels) * 255
    img += rng.randn(h, w, channels) * 6
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def make_jpeg(rng, h, w, mode):
    channels = {'RGB': 3, 'L': 1, 'CMYK': 4}[mode]
    px = make_pixels(rng, h, w, channels)
    im = Image.fromarray(px[:, :, 0] if channels == 1 else px, mode)
    buf = io.BytesIO()
    im.save(buf, format='JPEG', quality=70)
    return buf.getvalue()


def build_model(timm, name):
    model = timm.create_model(name, pretrained=False)
    model.load_state_dict({k: torch.from_numpy(formula(k, list(v.shape))) for k, v in model.state_dict().items()})
    return model.eval()


def main():
    import timm
    from timm.data import create_transform, resolve_data_config
    from timm.utils import accuracy

    args = sys.argv[1:]
    full = None
    if '--full' in args:
        i = args.index('--full')
        full = args[i + 1]
        del args[i:i + 2]
    if len(args) != 1:
        sys.exit('usage: make_eval_folder.py OUT_DIR [--full DIR]')
    out = args[0]
    torch.set_num_threads(1)
    rng = np.random.RandomState(19)
    jpegs = {name: make_jpeg(rng, h, w, mode) for name, h, w, mode in IMAGES}
    names = [n for n, _, _, _ in IMAGES]

    expected = {'sampleStride': SAMPLE_STRIDE, 'models': {}}
    inputs = {}
    for model_name in MODELS:
        model = build_model(timm, model_name)
        cfg = resolve_data_config(model=model)
        tf = create_transform(**cfg)
        to_uint8 = tf.transforms[:-2]  # Resize, CenterCrop: the PIL image ToTensor reads
        assert type(tf.transforms[-2]).__name__ in ('MaybeToTensor', 'ToTensor') and type(tf.transforms[-1]).__name__ == 'Normalize', tf
        per_image = {}
        tensors = []
        for name in names:
            img = Image.open(io.BytesIO(jpegs[name])).convert('RGB')
            crop = img
            for t in to_uint8:
                crop = t(crop)
            arr = np.asarray(crop, dtype=np.uint8)
            x = tf(img)
            tensors.append(x)
            flat = arr.reshape(-1)
            per_image[name] = {
                'shape': list(arr.shape),
                'channelSums': [int(arr[:, :, c].sum()) for c in range(3)],
                'samples': flat[::SAMPLE_STRIDE].tolist(),
            }
            if full:
                os.makedirs(os.path.join(full, model_name), exist_ok=True)
                x.numpy().astype('<f4').tofile(os.path.join(full, model_name, name + '.f32'))
        expected['models'][model_name] = {
            'dataConfig': {'inputSize': list(cfg['input_size']), 'interpolation': cfg['interpolation'], 'cropPct': cfg['crop_pct'],
                           'mean': list(cfg['mean']), 'std': list(cfg['std']), 'cropMode': cfg['crop_mode']},
            'images': per_image,
        }
        inputs[model_name] = (model, tensors)

    model, tensors = inputs[ACCURACY_MODEL]
    with torch.no_grad():
        logits = torch.cat([model(torch.stack(tensors[i:i + 4])) for i in range(0, len(tensors), 4)])
    order = logits.argsort(dim=1, descending=True)
    labels = [int(order[i, RANKS[i % len(RANKS)]]) for i in range(len(names))]
    target = torch.tensor(labels)
    # validate.py: accuracy() per batch, averaged weighted by batch size.
    top1_sum = top5_sum = 0.0
    for i in range(0, len(names), 4):
        a1, a5 = accuracy(logits[i:i + 4], target[i:i + 4], topk=(1, 5))
        n = target[i:i + 4].numel()
        top1_sum += float(a1) * n
        top5_sum += float(a5) * n
    expected['accuracy'] = {
        'model': ACCURACY_MODEL, 'weights': 'formula (packages/backbones/tools/make_equivalence.py)',
        'top1': top1_sum / len(names), 'top5': top5_sum / len(names),
        'images': {n: {'label': labels[i], 'top5': order[i, :5].tolist(), 'top5Logits': [float(v) for v in logits[i, order[i, :5]]]}
                   for i, n in enumerate(names)},
    }

    classes = ['c%04d' % i for i in range(NUM_CLASSES)]
    folder = os.path.join(out, 'folder')
    for i, name in enumerate(names):
        d = os.path.join(folder, classes[labels[i]])
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, name + '.JPEG'), 'wb') as f:
            f.write(jpegs[name])
    # Listed and counted by the evaluator, skipped (timm's loader would raise on it).
    os.makedirs(os.path.join(folder, classes[labels[0]]), exist_ok=True)
    with open(os.path.join(folder, classes[labels[0]], 'corrupt.JPEG'), 'wb') as f:
        f.write(b'\xff\xd8\xff\xe0 not really a jpeg')
    with open(os.path.join(out, 'classes.txt'), 'w') as f:
        f.write('\n'.join(classes) + '\n')
    with open(os.path.join(out, 'labels.txt'), 'w') as f:
        f.write(''.join('%s.JPEG %d\n' % (n, labels[i]) for i, n in enumerate(names)))
    with open(os.path.join(out, 'expected.json'), 'w') as f:
        json.dump(expected, f, separators=(',', ':'))
    total = sum(len(b) for b in jpegs.values())
    print('wrote %d JPEGs (%d bytes), top1 %.3f top5 %.3f' % (len(names), total, expected['accuracy']['top1'], expected['accuracy']['top5']))


if __name__ == '__main__':
    main()
