"""torchvision CPU timing of MultiScaleRoIAlign forward + backward, for roi-align.bench.ts.

Reads the boxes the bench made (JSON: {"boxes": [[x1, y1, x2, y2], ...], "imageSize": [h, w],
"channels": C, "outputSize": n, "samplingRatio": r, "repeats": n, "threads": t}), pools the
four FPN levels ('0'..'3', strides 4..32) of one image and back-propagates a random dy.
Prints one JSON line: median forward and forward+backward milliseconds.
Run: /usr/bin/python3 packages/heads/tools/bench_roi_align.py spec.json
"""
import json
import statistics
import sys
import time

import torch
from torchvision.ops import MultiScaleRoIAlign


def main():
    spec = json.load(open(sys.argv[1]))
    torch.set_num_threads(spec["threads"])
    h, w = spec["imageSize"]
    c = spec["channels"]
    gen = torch.Generator().manual_seed(0)
    feats = {str(i): torch.rand((1, c, h >> (i + 2), w >> (i + 2)), generator=gen) for i in range(4)}
    boxes = [torch.tensor(spec["boxes"], dtype=torch.float32)]
    pooler = MultiScaleRoIAlign(list(feats), spec["outputSize"], spec["samplingRatio"])
    dy = torch.rand((len(spec["boxes"]), c, spec["outputSize"], spec["outputSize"]), generator=gen)
    forward, both = [], []
    for i in range(spec["repeats"] + 1):
        leaves = {k: v.clone().requires_grad_(True) for k, v in feats.items()}
        t0 = time.perf_counter()
        out = pooler(leaves, boxes, [(h, w)])
        t1 = time.perf_counter()
        out.backward(dy)
        t2 = time.perf_counter()
        if i > 0:  # the first run is a warm-up (scales are inferred and cached there)
            forward.append((t1 - t0) * 1000)
            both.append((t2 - t0) * 1000)
    print(json.dumps({"forwardMs": statistics.median(forward), "forwardBackwardMs": statistics.median(both), "torch": torch.__version__, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
