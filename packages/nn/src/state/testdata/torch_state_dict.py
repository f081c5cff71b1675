"""PyTorch side of state.slow.test.ts (run with /usr/bin/python3: torch + numpy).

  export DIR  writes DIR/torch.safetensors (a TinyNet state dict, via a hand-rolled
              safetensors writer: the safetensors package is not installed), DIR/x.npy (NHWC
              input), DIR/y.npy (torch output), DIR/dtypes.safetensors + DIR/dtypes.npy (F16,
              BF16, I64 tensors and their values as float64).
  check DIR   loads DIR/ours.safetensors (written by saveStateDict) with a hand-rolled reader
              into a fresh TinyNet with strict=True, runs DIR/x.npy and compares with
              DIR/ours_y.npy (written by writeNpy); prints the max difference, exits 1 if > 1e-4.
"""
import json
import struct
import sys

import numpy as np
import torch
from torch import nn

DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64", torch.int32: "I32"}
FROM_DTYPE = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16, "I64": torch.int64, "I32": torch.int32}


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(4, 4, 3, padding=1, groups=2, bias=False)
        self.bn1 = nn.BatchNorm2d(4)

    def forward(self, x):
        return torch.relu(x + self.bn1(self.conv1(x)))


class TinyNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 4, 3, stride=2, padding=1, bias=False), nn.BatchNorm2d(4), nn.ReLU())
        self.layer1 = nn.Sequential(Block())
        self.fc = nn.Linear(4, 3)

    def forward(self, x):
        return self.fc(self.layer1(self.stem(x)).mean((2, 3)))


def tensor_bytes(t):
    t = t.contiguous()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().tobytes()
    return t.numpy().tobytes()


def write_safetensors(path, tensors):
    header, blobs, offset = {"__metadata__": {"format": "pt"}}, [], 0
    # Reverse name order on purpose: readers must not depend on the writer's order.
    for name in sorted(tensors, reverse=True):
        data = tensor_bytes(tensors[name])
        header[name] = {"dtype": DTYPES[tensors[name].dtype], "shape": list(tensors[name].shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8 : 8 + n])
    header.pop("__metadata__", None)
    out = {}
    for name, info in header.items():
        begin, end = info["data_offsets"]
        buf = bytearray(raw[8 + n + begin : 8 + n + end])
        dtype = FROM_DTYPE[info["dtype"]]
        if dtype == torch.bfloat16:
            t = torch.frombuffer(buf, dtype=torch.int16).view(torch.bfloat16)
        else:
            t = torch.frombuffer(buf, dtype=dtype) if buf else torch.empty(0, dtype=dtype)
        out[name] = t.reshape(info["shape"]).clone()
    return out


def model_and_input():
    torch.manual_seed(0)
    model = TinyNet()
    model.train()
    model(torch.randn(4, 3, 8, 8))  # move BN running statistics and num_batches_tracked
    model.eval()
    return model, torch.randn(2, 3, 8, 8)


def export(d):
    model, x = model_and_input()
    write_safetensors(f"{d}/torch.safetensors", model.state_dict())
    with torch.no_grad():
        y = model(x)
    np.save(f"{d}/x.npy", x.permute(0, 2, 3, 1).contiguous().numpy())
    np.save(f"{d}/y.npy", y.numpy())
    values = torch.tensor([1.0, -2.5, 0.1, 65504.0, 1e-7, 3.14159])
    big = torch.tensor([-1, 2**31 - 1, -(2**31), 7], dtype=torch.int64)
    write_safetensors(f"{d}/dtypes.safetensors", {"h": values.half(), "b": values.bfloat16(), "n": big})
    np.save(f"{d}/dtypes.npy", np.concatenate([values.half().double().numpy(), values.bfloat16().double().numpy(), big.double().numpy()]))


def check(d):
    model = TinyNet().eval()
    model.load_state_dict(read_safetensors(f"{d}/ours.safetensors"), strict=True)
    x = torch.from_numpy(np.load(f"{d}/x.npy")).permute(0, 3, 1, 2)
    with torch.no_grad():
        y = model(x).numpy()
    ours = np.load(f"{d}/ours_y.npy")
    diff = float(np.abs(y - ours).max())
    print(json.dumps({"max_abs_diff": diff, "num_batches_tracked": int(model.stem[1].num_batches_tracked)}))
    sys.exit(0 if diff <= 1e-4 else 1)


if __name__ == "__main__":
    {"export": export, "check": check}[sys.argv[1]](sys.argv[2])
