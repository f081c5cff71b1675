#!/usr/bin/python3
"""Times torchvision 0.14 batched_nms on CPU (one thread) for src/bench/nms.bench.ts.

The inputs are regenerated from the same seed as the TypeScript side (reference/box_ops.py's
synthetic_detections), so nothing is passed but the parameters. Prints one JSON line: the
median seconds per call, the keep list (to check both sides agree) and the inputs' checksums.

    /usr/bin/python3 packages/heads/tools/bench_nms.py --seed 2017 --n 5000 --classes 80 --iou 0.5 --repeats 50
"""
import argparse
import json
import os
import sys
import time

import torch
from torchvision.ops import boxes as box_ops

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference"))
from box_ops import synthetic_detections  # noqa: E402


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--seed", type=int, default=2017)
    p.add_argument("--n", type=int, default=5000)
    p.add_argument("--classes", type=int, default=80)
    p.add_argument("--iou", type=float, default=0.5)
    p.add_argument("--repeats", type=int, default=50)
    a = p.parse_args()
    torch.set_num_threads(1)
    boxes, scores, classes = synthetic_detections(a.seed, a.n, a.classes)
    for _ in range(5):
        keep = box_ops.batched_nms(boxes, scores, classes, a.iou)
    times = []
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        keep = box_ops.batched_nms(boxes, scores, classes, a.iou)
        times.append(time.perf_counter() - t0)
    times.sort()
    print(json.dumps({
        "seconds": times[len(times) // 2],
        "minSeconds": times[0],
        "keep": keep.tolist(),
        "boxesChecksum": float(boxes.double().sum()),
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
    }))


if __name__ == "__main__":
    main()
