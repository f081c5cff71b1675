#!/usr/bin/python3
"""Reference cases for the box ops of @tfvision/heads, computed by torchvision 0.14 on CPU.

Run with Debian's /usr/bin/python3 (torch 1.13 + torchvision 0.14):

    /usr/bin/python3 packages/heads/tools/reference/box_ops.py [--seed 0] [--out packages/heads/fixtures/box-ops.json]

Covers box_area, box_iou, clip_boxes_to_image, remove_small_boxes, BoxCoder encode/decode,
nms, batched_nms (both of its CPU code paths), the unstable CPU sort its per-class path re-sorts
with, Matcher and BalancedPositiveNegativeSampler. Small cases store their inputs; large
batched-NMS cases and the sort probes are regenerated in TypeScript from a mulberry32 seed
(src/ops/seeded-rng.ts, src/bench/synthetic-detections.ts), so only their outputs are stored.
Floats are written as the shortest decimal that reads back to the same float32; non-finite
values as the strings "nan", "inf", "-inf".
"""
import argparse
import json
import math
import random

import numpy as np
import torch
import torchvision
from torchvision.models.detection import _utils as det_utils
from torchvision.ops import boxes as box_ops

torch.set_num_threads(1)

IMAGE_H, IMAGE_W = 480, 640


# ---- seeded stream shared with TypeScript ---------------------------------------------------

class Mulberry32:
    """Bit-exact port of SeededRng (src/ops/seeded-rng.ts)."""

    def __init__(self, seed):
        self.state = seed & 0xFFFFFFFF

    def next_uint32(self):
        self.state = (self.state + 0x6D2B79F5) & 0xFFFFFFFF
        t = self.state
        t = ((t ^ (t >> 15)) * (t | 1)) & 0xFFFFFFFF
        t ^= (t + (((t ^ (t >> 7)) * (t | 61)) & 0xFFFFFFFF)) & 0xFFFFFFFF
        return (t ^ (t >> 14)) & 0xFFFFFFFF

    def next(self):
        return self.next_uint32() / 4294967296

    def next_int(self, n):
        return math.floor(self.next() * n)


def synthetic_detections(seed, n, num_classes, width=1088, height=800, score_levels=1000):
    """Same values, same double-precision order as syntheticDetections (src/bench/synthetic-detections.ts)."""
    rng = Mulberry32(seed)
    objects = max(1, n // 8)
    obj = []
    for _ in range(objects):
        cx = rng.next() * width
        cy = rng.next() * height
        w = 8 + rng.next() * (width / 3)
        h = 8 + rng.next() * (height / 3)
        obj.append((cx, cy, w, h, rng.next_int(num_classes)))
    boxes = np.zeros((n, 4), dtype=np.float32)
    scores = np.zeros(n, dtype=np.float32)
    classes = np.zeros(n, dtype=np.int64)
    for i in range(n):
        cx, cy, w, h, c = obj[rng.next_int(objects)]
        jx = (rng.next() - 0.5) * 0.3 * w
        jy = (rng.next() - 0.5) * 0.3 * h
        sw = w * (0.8 + 0.4 * rng.next())
        sh = h * (0.8 + 0.4 * rng.next())
        x1 = cx + jx - sw / 2
        y1 = cy + jy - sh / 2
        degenerate = rng.next() < 0.02
        boxes[i] = (x1, y1, x1 if degenerate else x1 + sw, y1 + sh)
        classes[i] = c if rng.next() < 0.8 else rng.next_int(num_classes)
        scores[i] = math.floor(rng.next() * score_levels) / score_levels
    return torch.from_numpy(boxes), torch.from_numpy(scores), torch.from_numpy(classes)


def sort_probe_values(seed, n, levels, nan_rate):
    """Same values as sortProbeValues in src/ops/__tests__/box-fixture.ts."""
    rng = Mulberry32(seed)
    out = np.zeros(n, dtype=np.float32)
    for i in range(n):
        v = math.floor(rng.next() * levels) / levels
        out[i] = math.nan if rng.next() < nan_rate else v
    return torch.from_numpy(out)


# ---- JSON encoding ---------------------------------------------------------------------------

def f32(values):
    """Shortest decimal that reads back to the same float32, or a string for non-finite values."""
    out = []
    for v in np.asarray(values, dtype=np.float32).reshape(-1):
        if math.isnan(v):
            out.append("nan")
        elif math.isinf(v):
            out.append("inf" if v > 0 else "-inf")
        else:
            out.append(float(repr(v)))
    return out


def ints(t):
    return [int(v) for v in t.reshape(-1).tolist()]


def checksum(t):
    return float(t.double().sum())


# ---- case builders ---------------------------------------------------------------------------

def random_boxes(rng, n, grid=False):
    """Boxes of every kind the ops must handle: ordinary, crossing the border, integer-grid
    (exact IoU ties), zero width or height, negative size, single points."""
    out = []
    for _ in range(n):
        kind = rng.random()
        x1 = rng.uniform(-40, IMAGE_W)
        y1 = rng.uniform(-40, IMAGE_H)
        w = rng.uniform(1, 200)
        h = rng.uniform(1, 200)
        if grid or kind < 0.2:
            x1, y1, w, h = round(x1), round(y1), round(w), round(h)
        elif kind < 0.3:
            if rng.random() < 0.5:
                w = 0.0
            else:
                h = 0.0
        elif kind < 0.38:
            w = -rng.uniform(1, 20)
        elif kind < 0.42:
            w = h = 0.0
        out.append((x1, y1, x1 + w, y1 + h))
    return torch.tensor(out, dtype=torch.float32)


def clustered_boxes(rng, n, clusters):
    centres = [(rng.uniform(0, IMAGE_W), rng.uniform(0, IMAGE_H), rng.uniform(10, 150), rng.uniform(10, 150)) for _ in range(clusters)]
    out = []
    for _ in range(n):
        cx, cy, w, h = rng.choice(centres)
        jx, jy = rng.gauss(0, 0.1 * w), rng.gauss(0, 0.1 * h)
        sw, sh = w * rng.uniform(0.7, 1.3), h * rng.uniform(0.7, 1.3)
        if rng.random() < 0.05:
            sw = 0.0
        out.append((cx + jx - sw / 2, cy + jy - sh / 2, cx + jx + sw / 2, cy + jy + sh / 2))
    boxes = torch.tensor(out, dtype=torch.float32)
    # A few exact duplicates: identical boxes have IoU exactly 1 (or NaN when zero-area).
    for i in range(0, n - 1, 37):
        boxes[i + 1] = boxes[i]
    return boxes


def tied_scores(rng, n, levels):
    return torch.tensor([rng.randrange(levels) / levels for _ in range(n)], dtype=torch.float32)


def box_ops_case(rng):
    b1 = random_boxes(rng, 60)
    b2 = torch.cat([random_boxes(rng, 20), b1[:5]])  # duplicates give IoU 1 and ties
    exact_width = float(b1[(b1[:, 2] - b1[:, 0]) > 5][0, 2] - b1[(b1[:, 2] - b1[:, 0]) > 5][0, 0])
    return {
        "imageSize": [IMAGE_H, IMAGE_W],
        "boxes1": f32(b1),
        "boxes2": f32(b2),
        "area1": f32(box_ops.box_area(b1)),
        "iou": f32(box_ops.box_iou(b1, b2)),
        "clip1": f32(box_ops.clip_boxes_to_image(b1, (IMAGE_H, IMAGE_W))),
        # [20, 3, 4] as roi_heads clips per-class boxes.
        "clip1Rank3": f32(box_ops.clip_boxes_to_image(b1.reshape(20, 3, 4), (IMAGE_H, IMAGE_W))),
        "removeSmall": [
            {"minSize": m, "keep": ints(box_ops.remove_small_boxes(b1, m))} for m in (1e-3, 1e-2, 4.0, exact_width)
        ],
    }


def box_coder_case(rng, weights, clip):
    coder = det_utils.BoxCoder(weights) if clip is None else det_utils.BoxCoder(weights, clip)
    n, k = 30, 3
    proposals = random_boxes(rng, n, grid=False).abs()
    proposals[:, 2:] = proposals[:, :2] + torch.rand(n, 2, generator=torch.Generator().manual_seed(rng.randrange(1 << 30))) * 150 + 1
    gts = proposals + torch.randn(n, 4, generator=torch.Generator().manual_seed(rng.randrange(1 << 30))) * 12
    gts[:, 2:] = torch.maximum(gts[:, 2:], gts[:, :2] + 0.5)
    # Zero-size proposals and gts: torchvision divides by zero / takes log(0), giving inf and nan.
    proposals[3, 2] = proposals[3, 0]
    gts[4, 3] = gts[4, 1]
    codes = torch.randn(n, 4 * k, generator=torch.Generator().manual_seed(rng.randrange(1 << 30)))
    codes[:, 2::4] *= 3
    codes[0, 2] = 6.0  # above log(1000/16): clamped
    codes[1, 3] = 50.0
    codes[2, 2] = -8.0  # no lower clamp
    split = 18
    encoded = coder.encode([gts[:split], gts[split:]], [proposals[:split], proposals[split:]])
    return {
        "weights": list(weights),
        "bboxXformClip": clip,
        "references": f32(gts),
        "proposals": f32(proposals),
        "encodeSingle": f32(coder.encode_single(gts, proposals)),
        "split": split,
        "encode": [f32(e) for e in encoded],
        "relCodes": f32(codes),
        "numClasses": k,
        "decodeSingle": f32(coder.decode_single(codes, proposals)),
        # decode over two images' boxes gives [sum, k, 4].
        "decode": f32(coder.decode(codes, [proposals[:split], proposals[split:]])),
    }


def nms_cases(rng):
    cases = []
    boxes = clustered_boxes(rng, 300, 25)
    scores = tied_scores(rng, 300, 20)
    cases.append(nms_case("clustered-300", boxes, scores, (0.3, 0.5, 0.7, 0.0, 1.0, -0.1)))
    mixed = random_boxes(rng, 200)
    cases.append(nms_case("mixed-edges-200", mixed, tied_scores(rng, 200, 5), (0.5,)))
    # IoU exactly float32(0.3) = 0.30000001 > 0.3: torchvision compares in double, so it suppresses.
    # Identical zero-area boxes have IoU 0/0 = nan, which suppresses nothing.
    edge = torch.tensor([[0, 0, 10, 1], [0, 0, 3, 1], [5, 5, 5, 9], [5, 5, 5, 9], [20, 20, 30, 30], [20, 20, 30, 30],
                         [0, 0, 7, 1], [40, 40, 30, 50]], dtype=torch.float32)
    edge_scores = torch.tensor([0.9, 0.8, 0.7, 0.7, 0.5, 0.5, 0.5, 0.6], dtype=torch.float32)
    cases.append(nms_case("edges", edge, edge_scores, (0.3, 0.7)))
    cases.append(nms_case("empty", torch.zeros((0, 4)), torch.zeros(0), (0.5,)))
    cases.append(nms_case("single", torch.tensor([[1.0, 2.0, 3.0, 4.0]]), torch.tensor([0.25]), (0.5,)))
    return cases


def nms_case(name, boxes, scores, thresholds):
    return {"name": name, "boxes": f32(boxes), "scores": f32(scores),
            "runs": [{"iouThreshold": t, "keep": ints(torchvision.ops.nms(boxes, scores, t))} for t in thresholds]}


def batched_paths(boxes, scores, classes, thr):
    """Both private code paths, and which one the public batched_nms took (its result is that path's)."""
    trick = ints(box_ops._batched_nms_coordinate_trick(boxes, scores, classes, thr))
    vanilla = ints(box_ops._batched_nms_vanilla(boxes, scores, classes, thr))
    public = ints(box_ops.batched_nms(boxes, scores, classes, thr))
    path = "vanilla" if boxes.numel() > 4000 else "coordinateTrick"
    assert public == (vanilla if path == "vanilla" else trick)
    return {"publicPath": path, "keepCoordinateTrick": trick, "keepVanilla": vanilla}


def batched_nms_cases(rng):
    cases = []
    boxes = clustered_boxes(rng, 300, 30)
    scores = tied_scores(rng, 300, 10)
    # Class ids up to 90 make the coordinate offsets large, where float32 rounding of the shifted boxes matters.
    classes = torch.tensor([rng.choice([0, 1, 2, 5, 7, 11, 30, 45, 89, 90]) for _ in range(300)], dtype=torch.int64)
    cases.append({"name": "clustered-300-classes10", "boxes": f32(boxes), "scores": f32(scores), "classes": ints(classes),
                  "iouThreshold": 0.5, **batched_paths(boxes, scores, classes, 0.5)})
    cases.append({"name": "empty", "boxes": [], "scores": [], "classes": [], "iouThreshold": 0.5, "publicPath": "coordinateTrick",
                  "keepCoordinateTrick": ints(box_ops.batched_nms(torch.zeros((0, 4)), torch.zeros(0), torch.zeros(0, dtype=torch.int64), 0.5))})
    return cases


# (seed, n, classes, scoreLevels, iouThreshold), seeds offset by 1000 * --seed: numel 4000 is the last size on the coordinate-trick path.
SYNTHETIC_BATCHED = [
    (11, 1000, 30, 1000, 0.5),
    (12, 1001, 30, 1000, 0.5),
    (13, 5000, 80, 1000, 0.5),
    (14, 4500, 3, 50, 0.7),
    (15, 2000, 1, 20, 0.5),
    (16, 1500, 400, 1000, 0.6),
]


def synthetic_batched_cases(base_seed):
    cases = []
    for seed, n, k, levels, thr in SYNTHETIC_BATCHED:
        seed += 1000 * base_seed
        boxes, scores, classes = synthetic_detections(seed, n, k, score_levels=levels)
        cases.append({"seed": seed, "n": n, "numClasses": k, "scoreLevels": levels, "iouThreshold": thr,
                      "boxesChecksum": checksum(boxes), "scoresChecksum": checksum(scores),
                      **batched_paths(boxes, scores, classes, thr)})
    return cases


# (seed, n, levels, nanRate), seeds offset by 1000 * --seed: sizes around the 16-element insertion-sort cut-off and beyond.
SORT_PROBES = [(100 + i, n, lv, nan) for i, (n, lv, nan) in enumerate([
    (2, 1, 0), (16, 2, 0), (17, 2, 0), (20, 1, 0), (33, 3, 0), (64, 4, 0.1), (100, 1, 0), (150, 7, 0),
    (257, 10, 0.05), (500, 3, 0), (700, 1000, 0), (1000, 30, 0.02), (1500, 5, 0), (2500, 200, 0),
])]


def sort_probe_cases(base_seed):
    cases = []
    for seed, n, levels, nan_rate in SORT_PROBES:
        seed += 1000 * base_seed
        values = sort_probe_values(seed, n, levels, nan_rate)
        cases.append({"seed": seed, "n": n, "levels": levels, "nanRate": nan_rate,
                      "order": ints(values.sort(descending=True)[1])})
    return cases


def matcher_cases(rng):
    gts = torch.tensor([[10, 10, 60, 60], [100, 80, 180, 200], [300, 300, 340, 330], [0, 0, 5, 5],
                        [600, 400, 620, 420], [100, 80, 180, 200]], dtype=torch.float32)  # gt 5 = gt 1: ties across gts
    anchors = torch.cat([random_boxes(rng, 120, grid=True).abs(), gts[:3] + torch.tensor([2.0, 2.0, 2.0, 2.0]),
                         gts[:3] + torch.tensor([2.0, 2.0, 2.0, 2.0])])  # duplicated anchors tie for a gt's best
    anchors[:, 2:] = torch.maximum(anchors[:, 2:], anchors[:, :2] + 1)
    anchors[:20] = torch.tensor([[1000.0, 1000.0, 1010.0, 1010.0]])  # IoU 0 with everything
    # gt 4 overlaps nothing: its best is 0, so every anchor with IoU 0 to it is a low-quality tie.
    matrix = box_ops.box_iou(gts, anchors)
    crafted = torch.tensor([[0.7, 0.3, 0.5, 0.69999999, 0.29999999, 0.2, 0.0],
                            [0.1, 0.30000001, 0.5, 0.2, 0.2, 0.2, 0.0]], dtype=torch.float32)
    cases = []
    for name, m in (("iou", matrix), ("crafted", crafted)):
        for high, low, allow in ((0.7, 0.3, True), (0.7, 0.3, False), (0.5, 0.5, False), (0.5, 0.4, True)):
            cases.append({"name": f"{name}-{high}-{low}-{allow}", "numGt": m.shape[0], "numPred": m.shape[1],
                          "matrix": f32(m), "highThreshold": high, "lowThreshold": low,
                          "allowLowQualityMatches": allow,
                          "matches": ints(det_utils.Matcher(high, low, allow)(m.clone()))})
    return cases


def sampler_cases(rng, seed):
    def labels(n, pos, neg):
        lab = [1 + rng.randrange(3)] * pos + [0] * neg + [-1] * (n - pos - neg)
        rng.shuffle(lab)
        return lab

    images = [labels(300, 5, 250), labels(300, 150, 100), labels(200, 0, 190), labels(150, 100, 0), labels(0, 0, 0)]
    cases = []
    real_randperm = torch.randperm
    for bsz, frac in ((256, 0.5), (512, 0.25), (16, 0.25), (0, 0.5), (10, 1.0)):
        draws = []

        def recording_randperm(n, **kwargs):
            p = real_randperm(n, **kwargs)
            draws.append(ints(p))
            return p

        torch.manual_seed(seed + bsz)
        torch.randperm = recording_randperm
        try:
            pos, neg = det_utils.BalancedPositiveNegativeSampler(bsz, frac)([torch.tensor(l, dtype=torch.int64) for l in images])
        finally:
            torch.randperm = real_randperm
        cases.append({"batchSizePerImage": bsz, "positiveFraction": frac, "randperms": draws,
                      "positive": [ints(torch.where(p)[0]) for p in pos], "negative": [ints(torch.where(m)[0]) for m in neg]})
    return {"labels": images, "cases": cases}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="packages/heads/fixtures/box-ops.json")
    args = parser.parse_args()
    rng = random.Random(args.seed)
    torch.manual_seed(args.seed)
    fixture = {
        "generator": "packages/heads/tools/reference/box_ops.py",
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "seed": args.seed,
        "boxOps": box_ops_case(rng),
        "boxCoder": [box_coder_case(rng, (1.0, 1.0, 1.0, 1.0), None), box_coder_case(rng, (10.0, 10.0, 5.0, 5.0), None),
                     box_coder_case(rng, (2.0, 3.0, 0.5, 1.5), 2.0)],
        "nms": nms_cases(rng),
        "batchedNms": batched_nms_cases(rng),
        "syntheticBatchedNms": synthetic_batched_cases(args.seed),
        "sortProbes": sort_probe_cases(args.seed),
        "matcher": matcher_cases(rng),
        "sampler": sampler_cases(rng, args.seed),
    }
    with open(args.out, "w") as f:
        json.dump(fixture, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
