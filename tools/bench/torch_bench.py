"""PyTorch CPU figures for the tfvision bench (tools/bench/run.js starts this script).

Models come from torchvision where it has them (resnext50_32x4d, efficientnet_b0); the timm
variants torchvision lacks are built here as equivalents of timm's definitions (same layer
shapes, same FLOPs): resnet50d (deep stem, avg-down shortcut), seresnet50 (SE after bn3),
resnest50d (split attention, radix 2, avd) and skresnet50 (selective kernel 3x3 + dilated
3x3). Prints one JSON object per line: name, mode, batch, imagesPerSecond.
"""
import json
import statistics
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision


def deep_stem(model):
    model.conv1 = nn.Sequential(
        nn.Conv2d(3, 32, 3, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(inplace=True),
        nn.Conv2d(32, 32, 3, 1, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(inplace=True),
        nn.Conv2d(32, 64, 3, 1, 1, bias=False))


def avg_down(model):
    for layer in (model.layer1, model.layer2, model.layer3, model.layer4):
        block = layer[0]
        if block.downsample is None:
            continue
        conv, bn = block.downsample[0], block.downsample[1]
        stride = conv.stride[0]
        pool = nn.AvgPool2d(2, stride, ceil_mode=True, count_include_pad=False) if stride > 1 else nn.Identity()
        block.downsample = nn.Sequential(pool, nn.Conv2d(conv.in_channels, conv.out_channels, 1, bias=False), bn)


def resnet50d():
    m = torchvision.models.resnet50()
    deep_stem(m)
    avg_down(m)
    return m


class SE(nn.Module):
    def __init__(self, ch, rd):
        super().__init__()
        self.fc1 = nn.Conv2d(ch, rd, 1)
        self.fc2 = nn.Conv2d(rd, ch, 1)

    def forward(self, x):
        s = x.mean((2, 3), keepdim=True)
        return x * torch.sigmoid(self.fc2(F.relu(self.fc1(s))))


def seresnet50():
    m = torchvision.models.resnet50()
    for layer in (m.layer1, m.layer2, m.layer3, m.layer4):
        for block in layer:
            ch = block.bn3.num_features
            block.bn3 = nn.Sequential(block.bn3, SE(ch, ch // 16))
    return m


class SplitAttn(nn.Module):
    """timm SplitAttn with radix 2, groups 1 (resnest50d)."""

    def __init__(self, ch, radix=2):
        super().__init__()
        self.radix = radix
        attn = max(ch * radix // 4, 32)
        attn = (attn + 7) // 8 * 8
        self.conv = nn.Conv2d(ch, ch * radix, 3, 1, 1, groups=radix, bias=False)
        self.bn0 = nn.BatchNorm2d(ch * radix)
        self.fc1 = nn.Conv2d(ch, attn, 1)
        self.bn1 = nn.BatchNorm2d(attn)
        self.fc2 = nn.Conv2d(attn, ch * radix, 1)

    def forward(self, x):
        x = F.relu(self.bn0(self.conv(x)))
        b, rc, h, w = x.shape
        xs = x.reshape(b, self.radix, rc // self.radix, h, w)
        gap = xs.sum(1).mean((2, 3), keepdim=True)
        attn = self.fc2(F.relu(self.bn1(self.fc1(gap))))
        attn = attn.view(b, self.radix, -1).softmax(1).view(b, self.radix, -1, 1, 1)
        return (xs * attn).sum(1)


def resnest50d():
    m = resnet50d()
    for layer in (m.layer1, m.layer2, m.layer3, m.layer4):
        for block in layer:
            ch = block.conv2.in_channels
            stride = block.conv2.stride[0]
            attn = SplitAttn(ch)
            block.conv2 = nn.Sequential(attn, nn.AvgPool2d(3, stride, 1)) if stride > 1 else attn
            block.bn2 = nn.Identity()
    return m


class SelectiveKernel(nn.Module):
    """timm SelectiveKernel as skresnet50 uses it: 3x3 and 3x3 dilation 2 paths, split input."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        half = cin // 2
        self.paths = nn.ModuleList([
            nn.Sequential(nn.Conv2d(half, cout, 3, stride, d, dilation=d, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))
            for d in (1, 2)])
        attn = max(cout // 16, 32)
        self.fc_reduce = nn.Conv2d(cout, attn, 1, bias=False)
        self.bn = nn.BatchNorm2d(attn)
        self.fc_select = nn.Conv2d(attn, cout * 2, 1, bias=False)

    def forward(self, x):
        xs = torch.split(x, x.shape[1] // 2, 1)
        ys = torch.stack([p(xi) for p, xi in zip(self.paths, xs)], 1)
        b, r, c, h, w = ys.shape
        s = ys.sum(1).mean((2, 3), keepdim=True)
        a = self.fc_select(F.relu(self.bn(self.fc_reduce(s)))).view(b, r, c, 1, 1).softmax(1)
        return (ys * a).sum(1)


def skresnet50():
    m = torchvision.models.resnet50()
    for layer in (m.layer1, m.layer2, m.layer3, m.layer4):
        for block in layer:
            c = block.conv2
            block.conv2 = SelectiveKernel(c.in_channels, c.out_channels, c.stride[0])
            block.bn2 = nn.Identity()
    return m


BUILDERS = {
    'resnet50d': resnet50d,
    'resnext50_32x4d': torchvision.models.resnext50_32x4d,
    'seresnet50': seresnet50,
    'skresnet50': skresnet50,
    'resnest50d': resnest50d,
    'efficientnet_b0': torchvision.models.efficientnet_b0,
}


def sync(device):
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def bench(model, mode, batch, iters, device='cpu'):
    x = torch.randn(batch, 3, 224, 224, device=device)
    labels = torch.arange(batch, device=device) % 1000
    opt = torch.optim.SGD(model.parameters(), lr=0.01)

    def step():
        if mode == 'infer':
            with torch.no_grad():
                model(x)
        else:
            opt.zero_grad()
            F.cross_entropy(model(x), labels).backward()
            opt.step()

    model.train(mode == 'train')
    step()
    sync(device)
    times = []
    for _ in range(iters):
        t0 = time.perf_counter()
        step()
        sync(device)
        times.append(time.perf_counter() - t0)
    return batch / statistics.median(times)


def main():
    args = dict(zip(sys.argv[1::2], sys.argv[2::2]))
    names = [n for n in args.get('--models', '').split(',') if n]
    iters = int(args.get('--iters', '3'))
    torch.set_num_threads(int(args.get('--threads', '1')))
    # --device cuda on a GPU machine; --timm 1 builds timm's own models where timm is installed
    # (the GPU image has it; Debian does not package it).
    device = args.get('--device', 'cpu')
    use_timm = args.get('--timm', '0') == '1'
    for name in names:
        if use_timm:
            import timm
            model = timm.create_model(name)
        elif name in BUILDERS:
            model = BUILDERS[name]()
        else:
            print(json.dumps({'name': name, 'error': 'no PyTorch equivalent built'}), flush=True)
            continue
        model = model.to(device)
        for mode, batch in (('infer', 1), ('infer', 8), ('train', 8)):
            ips = bench(model, mode, batch, iters, device)
            print(json.dumps({'name': name, 'mode': mode, 'batch': batch, 'imagesPerSecond': ips,
                              'threads': torch.get_num_threads(), 'device': device,
                              'torch': torch.__version__}), flush=True)


if __name__ == '__main__':
    main()
