"""Reference fixtures for roiAlign and MultiScaleRoIAlign from torchvision 0.14 (CPU, float32).

Writes one JSON file (default packages/heads/fixtures/roi-align.json). Tensors are stored as
base64 little-endian float32 in tfjs layout (NHWC features, [K, outH, outW, C] outputs);
RoIs and boxes as plain numbers (each is a float32 value, written exactly).

Each roi_align case: torchvision.ops.roi_align forward, and the gradient of sum(out * dy)
with respect to the features by autograd. Each multi-scale case: torchvision's
MultiScaleRoIAlign (level mapper eps 1e-6 outside the log), or detectron2's ROIPooler rule
(eps 1e-8 inside the log, ROIAlignV2 = aligned, adaptive sampling) written out here with the
same float32 torch ops, since detectron2 is not installed. The mapper table lists levels of
boxes around the FPN borders (sqrt(area) = 112 / 224 / 448) for the three mapper variants.

Run: /usr/bin/python3 packages/heads/tools/reference/roi_align.py [out.json] [--seed N]
(the committed fixture is seed 2023; the slow test also draws fresh seeds)
"""
import base64
import json
import math
import os
import sys

import numpy as np
import torch
import torchvision
from torchvision.ops import MultiScaleRoIAlign, roi_align

torch.set_num_threads(1)


def b64(t):
    a = np.ascontiguousarray(t.detach().cpu().numpy().astype("<f4"))
    return base64.b64encode(a.tobytes()).decode("ascii")


def nhwc(t):
    return t.permute(0, 2, 3, 1).contiguous()


def numbers(t):
    # float(np.float32) is the exact double of the float32 value; JSON keeps it exactly.
    return [float(v) for v in t.detach().reshape(-1).numpy().astype(np.float32)]


def features(gen, n, c, h, w, valid=None):
    x = torch.rand((n, c, h, w), generator=gen, dtype=torch.float32) * 2 - 1
    if valid is not None:
        # Padded batch: zero outside each image's (h, w), as GeneralizedRCNNTransform pads.
        for i, (vh, vw) in enumerate(valid):
            x[i, :, vh:, :] = 0
            x[i, :, :, vw:] = 0
    return x


def roi_align_case(name, x, rois, output_size, spatial_scale, sampling_ratio, aligned, gen):
    xg = x.clone().requires_grad_(True)
    r = torch.tensor(rois, dtype=torch.float32)
    out = roi_align(xg, r, output_size, spatial_scale, sampling_ratio, aligned)
    dy = torch.rand(out.shape, generator=gen, dtype=torch.float32) * 2 - 1
    (out * dy).sum().backward()
    return {
        "name": name,
        "featuresShape": list(nhwc(x).shape),
        "features": b64(nhwc(x)),
        "rois": numbers(r),
        "outputSize": list(output_size),
        "spatialScale": spatial_scale,
        "samplingRatio": sampling_ratio,
        "aligned": aligned,
        "outputShape": list(nhwc(out).shape),
        "output": b64(nhwc(out)),
        "dy": b64(nhwc(dy)),
        "grad": b64(nhwc(xg.grad)),
    }


def d2_levels(boxes, min_level, max_level, canonical_box_size=224, canonical_level=4):
    # detectron2 modeling/poolers.py assign_boxes_to_levels: eps inside the log.
    sizes = torch.sqrt(torchvision.ops.box_area(torch.cat(boxes)))
    lv = torch.floor(canonical_level + torch.log2(sizes / canonical_box_size + 1e-8))
    return (torch.clamp(lv, min=min_level, max=max_level).to(torch.int64) - min_level)


def tv_levels(boxes, min_level, max_level):
    sizes = torch.sqrt(torchvision.ops.box_area(torch.cat(boxes)))
    lv = torch.floor(4 + torch.log2(sizes / 224) + torch.tensor(1e-6, dtype=sizes.dtype))
    return (torch.clamp(lv, min=min_level, max=max_level).to(torch.int64) - min_level)


def mmdet_levels(boxes, num_levels, finest_scale=56):
    # mmdet SingleRoIExtractor.map_roi_levels.
    b = torch.cat(boxes)
    scale = torch.sqrt((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]))
    lv = torch.floor(torch.log2(scale / finest_scale + 1e-6))
    return lv.clamp(min=0, max=num_levels - 1).long()


def multi_scale_case(name, feats, boxes, image_shapes, output_size, sampling_ratio, mapper, gen):
    names = list(feats.keys())
    leaves = {k: v.clone().requires_grad_(True) for k, v in feats.items()}
    box_tensors = [torch.tensor(b, dtype=torch.float32).reshape(-1, 4) for b in boxes]
    if mapper == "torchvision":
        pooler = MultiScaleRoIAlign(names, output_size, sampling_ratio)
        out = pooler(leaves, box_tensors, image_shapes)
        scales = pooler.scales
        levels = pooler.map_levels(box_tensors)
        aligned = False
    else:
        # detectron2 ROIPooler with ROIAlignV2: scales 1/stride, aligned, levels as above.
        scales = [1.0 / 2 ** (i + 2) for i in range(len(names))]
        levels = d2_levels(box_tensors, 2, 1 + len(names))
        ids = torch.cat([torch.full((len(b), 1), i, dtype=torch.float32) for i, b in enumerate(box_tensors)])
        rois = torch.cat([ids, torch.cat(box_tensors)], dim=1)
        c = feats[names[0]].shape[1]
        out = torch.zeros((len(rois), c) + tuple(output_size))
        aligned = True
        for lvl, k in enumerate(names):
            idx = torch.where(levels == lvl)[0]
            out[idx] = roi_align(leaves[k], rois[idx], output_size, scales[lvl], sampling_ratio, True)
    dy = torch.rand(out.shape, generator=gen, dtype=torch.float32) * 2 - 1
    (out * dy).sum().backward()
    return {
        "name": name,
        "mapper": mapper,
        "featureNames": names,
        "features": {k: {"shape": list(nhwc(v).shape), "data": b64(nhwc(v))} for k, v in feats.items()},
        "boxes": [numbers(b) for b in box_tensors],
        "imageShapes": [list(s) for s in image_shapes],
        "outputSize": list(output_size),
        "samplingRatio": sampling_ratio,
        "aligned": aligned,
        "scales": [float(s) for s in scales],
        "levels": [int(v) if 0 <= int(v) < len(names) else -1 for v in levels],
        "outputShape": list(nhwc(out).shape),
        "output": b64(nhwc(out)),
        "dy": b64(nhwc(dy)),
        "grads": {k: b64(nhwc(leaves[k].grad)) for k in names},
    }


def in_range(levels, count=4):
    # A NaN size (inverted box) casts to a garbage int64: no level; written as -1.
    return [int(v) if 0 <= int(v) < count else -1 for v in levels]


def square_box(cx, cy, side_w, side_h):
    return [cx - side_w / 2, cy - side_h / 2, cx + side_w / 2, cy + side_h / 2]


def main():
    args = sys.argv[1:]
    seed = 2023
    if "--seed" in args:
        i = args.index("--seed")
        seed = int(args[i + 1])
        del args[i : i + 2]
    out_path = args[0] if args else os.path.join(os.path.dirname(__file__), "..", "..", "fixtures", "roi-align.json")
    gen = torch.Generator().manual_seed(seed)

    # A 2-image map at stride 2 (image about 26 x 20): boxes inside, crossing each border,
    # fully outside, zero-size, inverted, tiny, huge, exactly the whole map, and random ones.
    x1 = features(gen, 2, 3, 10, 13)
    edge_rois = [
        [0, 2.3, 3.1, 15.7, 12.9],
        [0, -6.2, -3.5, 8.4, 7.0],
        [1, 14.0, 10.5, 31.0, 25.0],
        [1, 40.0, 30.0, 52.0, 44.0],
        [0, -30.0, -20.0, -5.0, -2.0],
        [0, 5.0, 5.0, 5.0, 5.0],
        [0, 8.0, 8.0, 6.0, 6.0],
        [1, 7.1, 9.2, 7.3, 9.5],
        [0, -50.0, -40.0, 120.0, 90.0],
        [1, 0.0, 0.0, 26.0, 20.0],
        [1, -2.0, 17.9, 27.9, 21.7],
        [0, 23.5, -1.9, 28.3, 3.3],
    ]
    rnd = torch.rand((6, 4), generator=gen) * torch.tensor([26.0, 20.0, 26.0, 20.0])
    for i in range(6):
        xa, ya, xb, yb = rnd[i].tolist()
        edge_rois.append([i % 2, min(xa, xb), min(ya, yb), max(xa, xb), max(ya, yb)])
    edge_rois = [[float(np.float32(v)) for v in r] for r in edge_rois]

    cases = []
    for aligned in (False, True):
        for ratio in (2, 0):
            cases.append(roi_align_case(f"edges aligned={aligned} ratio={ratio}", x1, edge_rois, (3, 3), 0.5, ratio, aligned, gen))
    cases.append(roi_align_case("edges 2x4 ratio=1 aligned", x1, edge_rois, (2, 4), 0.5, 1, True, gen))
    cases.append(roi_align_case("7x7 ratio=2", x1, edge_rois[:4], (7, 7), 0.5, 2, False, gen))
    cases.append(roi_align_case("7x7 ratio=3 scale=0.25", x1, edge_rois[8:11], (7, 7), 0.25, 3, False, gen))

    # A padded batch: image 0 is 6 x 5 inside an 8 x 8 map, image 1 fills it.
    x2 = features(gen, 2, 2, 8, 8, valid=[(6, 5), (8, 8)])
    pad_rois = [[0, 3.0, 4.0, 7.5, 7.9], [0, 4.2, 0.5, 9.0, 5.5], [1, 4.2, 0.5, 9.0, 5.5], [0, -1.0, 5.8, 8.0, 8.0], [1, 6.5, 6.5, 8.0, 8.0], [0, 0.0, 0.0, 8.0, 8.0]]
    for aligned, ratio in ((False, 2), (True, 0)):
        cases.append(roi_align_case(f"padded aligned={aligned} ratio={ratio}", x2, pad_rois, (2, 2), 1.0, ratio, aligned, gen))

    # FPN levels of a 64 x 96 padded batch (strides 4..32), two images.
    feats = {str(i): features(gen, 2, 2, 64 >> (i + 2), 96 >> (i + 2)) for i in range(4)}
    image_shapes = [(64, 90), (58, 96)]
    boxes0 = [
        square_box(40, 30, 112, 112),
        square_box(48, 32, 224, 224),
        square_box(20, 20, 448, 448),
        square_box(30, 30, 56, 224),
        square_box(30, 30, 111.9, 112),
        square_box(30, 30, 112.1, 112),
        square_box(50, 30, 223.5, 224),
        square_box(10, 50, 2, 3),
        [3, 4, 3, 9],
        square_box(40, 30, 1000, 900),
    ]
    # The inverted box has a NaN size: torchvision assigns it no level and leaves its row 0.
    boxes1 = [square_box(60, 20, 30, 40), square_box(80, 50, 448.2, 448), [80.5, 50.25, 95.75, 57.5], [30, 30, 20, 40], square_box(45, 25, 160, 200)]
    boxes = [boxes0, boxes1]
    ms = [
        multi_scale_case("torchvision 7x7 ratio=2", feats, boxes, image_shapes, (7, 7), 2, "torchvision", gen),
        multi_scale_case("detectron2 ROIAlignV2 3x3 ratio=0", feats, boxes, image_shapes, (3, 3), 0, "detectron2", gen),
    ]

    # Level table: box sizes at and around the borders, for each mapper variant.
    # The 4-digit fractions straddle the rounding of 4 + log2(s/224) in float32, where the
    # three variants disagree.
    sides = [1, 28, 55.99, 56, 56.01, 111.9999, 111.99995, 111.99, 112, 112.01, 150, 223.99, 223.9998, 223.9999, 223.99995, 224, 224.01, 300,
             447.99, 447.9997, 447.9998, 447.9999, 448, 448.01, 600, 895.99, 896, 2000]
    mapper_boxes = [torch.tensor([[10.0, 20.0, 10.0 + s, 20.0 + s] for s in sides], dtype=torch.float32)]
    mapper_boxes[0] = torch.cat([mapper_boxes[0], torch.tensor([[0.0, 0.0, 56.0, 224.0], [0.0, 0.0, 112.0, 448.0], [5.0, 5.0, 5.0, 5.0], [8.0, 8.0, 6.0, 9.0]])])
    mapper = {
        "boxes": numbers(mapper_boxes[0]),
        "torchvision": in_range(tv_levels(mapper_boxes, 2, 5)),
        "detectron2": in_range(d2_levels(mapper_boxes, 2, 5)),
        "mmdet": in_range(mmdet_levels(mapper_boxes, 4)),
    }

    data = {
        "generator": "packages/heads/tools/reference/roi_align.py",
        "seed": seed,
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "roiAlign": cases,
        "multiScale": ms,
        "levelMapper": mapper,
    }
    os.makedirs(os.path.dirname(os.path.abspath(out_path)), exist_ok=True)
    with open(out_path, "w") as f:
        json.dump(data, f, separators=(",", ":"))
        f.write("\n")
    print(f"wrote {out_path} ({os.path.getsize(out_path)} bytes)")


if __name__ == "__main__":
    main()
