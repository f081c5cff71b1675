"""detectron2 CPU timing of Cascade Mask R-CNN inference, for src/bench/cascade.bench.ts.

Reads the bench's spec (JSON: {"models": ["cascade_mask_rcnn_resnest50d_fpn"], "image": {"name":
"image0", "shape": [3, H, W], "rects": [...]}, "settings": {"scoreThresh", "minSizeTest",
"maxSizeTest", "rpnPostNmsTopK", "nmsThresh", "detectionsPerImage"}, "repeats": n, "threads": t}).
detectron2 runs from its source as reference/cascade.py sets it up (setup_detectron2: source
checkouts of detectron2, fvcore, yacs and iopath, stubs for the modules inference never calls;
ROIAlign and NMS resolve to torchvision.ops, detectron2._C is never imported). The model is
configs/Misc/cascade_mask_rcnn_R_50_FPN_1x.yaml with the preset's overrides (RGB, torchvision's
mean/std x 255) and the spec's settings, its `backbone.bottom_up` replaced by timm's resnest50d
(TIMM_SRC, timm at aa4b5850) whose children sit directly under bottom_up, so the state dict holds
`backbone.bottom_up.<timm name>` as ours maps it (detectron2-checkpoint.ts). ResNet-50 and
resnest50d give the FPN the same channels and strides, so the FPN built for ResNet fits.
Every floating-point tensor is filled by hash_weights.py under its detectron2 name.
The image is rcnn.py's formula image x 255 (detectron2 takes 0-255 CHW); at 800x1088 with
MIN_SIZE_TEST 800 ResizeShortestEdge is the identity, so the model gets it as DefaultPredictor
would. One warm-up and `repeats` timed calls under torch.no_grad; one JSON line per model.
Run: /usr/bin/python3 packages/heads/tools/bench_cascade.py spec.json
"""
import json
import os
import statistics
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, 'reference'))
import cascade  # noqa: E402  (detectron2 set-up, hash fill, formula image)

BODIES = {'cascade_mask_rcnn_resnest50d_fpn': 'resnest50d'}


def timm_bottom_up(torch, body_name):
    """A detectron2 Backbone holding timm's model's stem and stages under their timm names."""
    src = os.environ.get('TIMM_SRC', '/tmp/timm_src')
    sys.path.insert(0, src)
    import timm
    from detectron2.layers import ShapeSpec
    from detectron2.modeling import Backbone

    net = timm.create_model(body_name, pretrained=False)
    stages = ['layer1', 'layer2', 'layer3', 'layer4']

    class TimmBottomUp(Backbone):
        def __init__(self):
            super().__init__()
            for name in ['conv1', 'bn1', 'act1', 'maxpool', *stages]:
                self.add_module(name, getattr(net, name))
            self._out_features = ['res2', 'res3', 'res4', 'res5']
            self._out_feature_channels = {f'res{i + 2}': c for i, c in enumerate([256, 512, 1024, 2048])}
            self._out_feature_strides = {f'res{i + 2}': 2 ** (i + 2) for i in range(4)}

        def forward(self, x):
            x = self.maxpool(self.act1(self.bn1(self.conv1(x))))
            out = {}
            for i, stage in enumerate(stages):
                x = getattr(self, stage)(x)
                out[f'res{i + 2}'] = x
            return out

        def output_shape(self):
            return {k: ShapeSpec(channels=self._out_feature_channels[k], stride=self._out_feature_strides[k]) for k in self._out_features}

    return TimmBottomUp(), f'timm {timm.__version__} {body_name} (aa4b5850)'


def build(torch, d2_root, name, s):
    from detectron2.config import get_cfg
    from detectron2.modeling import build_model
    cfg = get_cfg()
    cfg.merge_from_file(os.path.join(d2_root, 'configs', 'Misc', 'cascade_mask_rcnn_R_50_FPN_1x.yaml'))
    cfg.merge_from_list([
        'MODEL.DEVICE', 'cpu',
        'INPUT.FORMAT', 'RGB',
        'MODEL.PIXEL_MEAN', cascade.MEAN,
        'MODEL.PIXEL_STD', cascade.STD,
        'INPUT.MIN_SIZE_TEST', s['minSizeTest'],
        'INPUT.MAX_SIZE_TEST', s['maxSizeTest'],
        'MODEL.RPN.POST_NMS_TOPK_TEST', s['rpnPostNmsTopK'],
        'MODEL.ROI_HEADS.SCORE_THRESH_TEST', float(s['scoreThresh']),
        'MODEL.ROI_HEADS.NMS_THRESH_TEST', float(s['nmsThresh']),
        'TEST.DETECTIONS_PER_IMAGE', s['detectionsPerImage'],
    ])
    torch.manual_seed(0)
    model = build_model(cfg)
    model.backbone.bottom_up, what = timm_bottom_up(torch, BODIES[name])
    cascade.fill(model, torch)
    model.eval()
    return model, what


def time_model(torch, d2_root, name, spec):
    import detectron2
    model, what = build(torch, d2_root, name, spec['settings'])
    c, h, w = spec['image']['shape']
    chw = cascade.image(int(spec['image']['name'][len('image'):]), spec['image']) * 255
    inputs = [{'image': torch.from_numpy(chw), 'height': h, 'width': w}]
    proposals = []
    rpn_forward = model.proposal_generator.forward

    def counting_rpn(*args, **kwargs):
        out = rpn_forward(*args, **kwargs)
        proposals.append(len(out[0][0]))
        return out

    model.proposal_generator.forward = counting_rpn
    times = []
    with torch.no_grad():
        warm = model(inputs)
        for _ in range(spec['repeats']):
            t0 = time.perf_counter()
            model(inputs)
            times.append((time.perf_counter() - t0) * 1000)
    ms = statistics.median(times)
    return {
        'name': name,
        'imagesPerSecond': 1000 / ms,
        'medianMs': ms,
        'minMs': min(times),
        'proposals': proposals[0],
        'detections': len(warm[0]['instances']),
        'reference': f'detectron2 {detectron2.__version__} Misc/cascade_mask_rcnn_R_50_FPN_1x over {what} (torch {torch.__version__})',
        'threads': torch.get_num_threads(),
    }


def main():
    with open(sys.argv[1]) as f:
        spec = json.load(f)
    d2_root = cascade.setup_detectron2()
    import torch
    torch.set_num_threads(spec['threads'])
    for name in spec['models']:
        if name not in BODIES:
            print(json.dumps({'name': name, 'error': f'bench_cascade.py: no detectron2 build for "{name}"'}), flush=True)
            continue
        try:
            row = time_model(torch, d2_root, name, spec)
        except Exception as err:  # one model failing must not hide the others' figures
            row = {'name': name, 'error': f'{type(err).__name__}: {err}'.split('\n')[0]}
        print(json.dumps(row), flush=True)


if __name__ == '__main__':
    main()
