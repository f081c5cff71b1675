#!/usr/bin/python3
"""PyTorch reference values for @tfvision/nn's losses and GroupNorm.

Usage: /usr/bin/python3 losses.py losses OUT.json
       /usr/bin/python3 losses.py group-norm OUT.json

Writes random seeded cases with torch 1.13's forward value and autograd gradient:
  losses      torch.nn.functional.cross_entropy (int labels and probabilities; class weights,
              ignore_index, label_smoothing), binary_cross_entropy_with_logits (weight,
              pos_weight) and smooth_l1_loss (beta, beta=0 meaning L1), each in reductions
              'mean' | 'sum' | 'none', with logits of +-100 among the cases;
  group-norm  torch.nn.GroupNorm on NCHW, stored NHWC as tfvision lays it out.
Gradients are of sum(loss * upstream) with a random upstream gradient for 'none' (1 for
scalars). Committed outputs: packages/nn/src/losses/testdata/losses.json and
packages/nn/src/layers/testdata/group-norm.json; the *.slow.test.ts files rerun this script.
"""
import json
import sys

import torch
import torch.nn.functional as F

torch.set_num_threads(1)


def values(t):
    """Float32 values as Python floats (exact: every float32 is a double); float64 kept as is."""
    t = t.detach()
    return (t if t.dtype == torch.float64 else t.to(torch.float32)).tolist()


def upstream_for(loss, gen):
    if loss.dim() == 0:
        return torch.tensor(1.0)
    return torch.randn(loss.shape, generator=gen)


def logits_of(gen, n, c, extreme=False):
    x = torch.randn(n, c, generator=gen) * 3
    if extreme:
        signs = torch.randint(0, 2, (n, c), generator=gen) * 2 - 1
        big = torch.rand(n, c, generator=gen) < 0.5
        x = torch.where(big, signs.float() * 100.0, x)
    return x


def cross_entropy_cases(gen):
    cases = []

    def add(name, logits, target, reduction, weight=None, ignore_index=None, label_smoothing=0.0):
        x = logits.clone().requires_grad_(True)
        kwargs = {'reduction': reduction, 'label_smoothing': label_smoothing}
        if weight is not None:
            kwargs['weight'] = weight
        if ignore_index is not None:
            kwargs['ignore_index'] = ignore_index
        loss = F.cross_entropy(x, target, **kwargs)
        up = upstream_for(loss, gen)
        (loss * up).sum().backward()
        options = {'reduction': reduction}
        if weight is not None:
            options['weight'] = values(weight)
        if ignore_index is not None:
            options['ignoreIndex'] = ignore_index
        if label_smoothing:
            options['labelSmoothing'] = label_smoothing
        cases.append({
            'name': name,
            'logits': values(logits),
            'target': target.tolist() if target.dtype == torch.long else values(target),
            'soft': target.dtype != torch.long,
            'options': options,
            'upstream': values(up),
            'loss': values(loss),
            'grad': values(x.grad),
        })

    n, c = 7, 5
    for reduction in ('mean', 'sum', 'none'):
        labels = torch.randint(0, c, (n,), generator=gen)
        add(f'int labels, {reduction}', logits_of(gen, n, c), labels, reduction)
        ignored = labels.clone()
        ignored[torch.tensor([1, 4])] = -100
        add(f'default ignore index -100, {reduction}', logits_of(gen, n, c), ignored, reduction)
        weight = torch.rand(c, generator=gen) * 2 + 0.1
        add(f'class weights + ignore index, {reduction}', logits_of(gen, n, c), ignored, reduction, weight=weight)
        add(f'ignore index 2 (a class), {reduction}', logits_of(gen, n, c), labels, reduction, ignore_index=2)
        add(f'label smoothing 0.1, {reduction}', logits_of(gen, n, c), labels, reduction, label_smoothing=0.1)
        add(f'label smoothing 0.2 + weights + ignore, {reduction}', logits_of(gen, n, c), ignored, reduction, weight=weight, label_smoothing=0.2)
        add(f'extreme logits +-100, {reduction}', logits_of(gen, n, c, extreme=True), labels, reduction, weight=weight)
        soft = torch.softmax(torch.randn(n, c, generator=gen), dim=1)
        add(f'soft targets, {reduction}', logits_of(gen, n, c), soft, reduction)
        add(f'soft targets + weights + smoothing 0.1, {reduction}', logits_of(gen, n, c, extreme=True), soft, reduction, weight=weight, label_smoothing=0.1)
    return cases


def bce_cases(gen):
    cases = []

    def add(name, logits, target, reduction, weight=None, pos_weight=None):
        x = logits.clone().requires_grad_(True)
        loss = F.binary_cross_entropy_with_logits(x, target, weight=weight, pos_weight=pos_weight, reduction=reduction)
        up = upstream_for(loss, gen)
        (loss * up).sum().backward()
        options = {'reduction': reduction}
        if weight is not None:
            options['weight'] = values(weight)
            options['weightShape'] = list(weight.shape)
        if pos_weight is not None:
            options['posWeight'] = values(pos_weight)
        cases.append({
            'name': name,
            'shape': list(logits.shape),
            'logits': values(logits.flatten()),
            'target': values(target.flatten()),
            'options': options,
            'upstream': values(up.flatten()) if up.dim() else values(up),
            'loss': values(loss.flatten()) if loss.dim() else values(loss),
            'grad': values(x.grad.flatten()),
        })

    n, c = 6, 4
    for reduction in ('mean', 'sum', 'none'):
        hard = torch.randint(0, 2, (n, c), generator=gen).float()
        add(f'hard targets, {reduction}', logits_of(gen, n, c), hard, reduction)
        add(f'soft targets, {reduction}', logits_of(gen, n, c), torch.rand(n, c, generator=gen), reduction)
        add(f'extreme logits +-100, {reduction}', logits_of(gen, n, c, extreme=True), torch.rand(n, c, generator=gen), reduction)
        pw = torch.rand(c, generator=gen) * 3 + 0.2
        add(f'pos_weight, {reduction}', logits_of(gen, n, c, extreme=True), hard, reduction, pos_weight=pw)
        w = torch.rand(n, 1, generator=gen) + 0.5
        add(f'weight [N,1] + pos_weight, {reduction}', logits_of(gen, n, c), torch.rand(n, c, generator=gen), reduction, weight=w, pos_weight=pw)
        x1 = torch.randn(9, generator=gen) * 4
        x1[0] = 0.0
        add(f'rank 1 with a zero logit, {reduction}', x1, torch.rand(9, generator=gen), reduction)
    return cases


def smooth_l1_cases(gen):
    cases = []

    def add(name, inp, target, reduction, beta):
        x = inp.clone().requires_grad_(True)
        loss = F.smooth_l1_loss(x, target, reduction=reduction, beta=beta)
        up = upstream_for(loss, gen)
        (loss * up).sum().backward()
        cases.append({
            'name': name,
            'shape': list(inp.shape),
            'input': values(inp.flatten()),
            'target': values(target.flatten()),
            'options': {'reduction': reduction, 'beta': beta},
            'upstream': values(up.flatten()) if up.dim() else values(up),
            'loss': values(loss.flatten()) if loss.dim() else values(loss),
            'grad': values(x.grad.flatten()),
        })

    for reduction in ('mean', 'sum', 'none'):
        for beta in (1.0 / 9, 1.0, 0.0):
            target = torch.randn(5, 4, generator=gen)
            inp = target + torch.randn(5, 4, generator=gen) * 0.5
            # Exact zeros (L1's gradient there is 0 in torch) and |d| == beta exactly.
            inp[0, 0] = target[0, 0]
            inp[1, 1] = target[1, 1] + 0.5 if beta == 0.0 else target[1, 1]
            inp[2, 2] = 0.0
            target[2, 2] = 1.0
            if beta == 1.0:
                inp[3, 3] = 0.0
                target[3, 3] = -1.0  # d = 1 == beta
            add(f'beta {beta:.4g}, {reduction}', inp, target, reduction, beta)
        big = torch.randn(6, generator=gen) * 100
        add(f'large differences beta 1/9, {reduction}', big, torch.zeros(6), reduction, 1.0 / 9)
    return cases


def group_norm_cases(gen):
    cases = []

    def add(name, n, c, h, w, groups, affine, offset=0.0, scale=1.0, eps=1e-5):
        gn = torch.nn.GroupNorm(groups, c, eps=eps, affine=affine)
        if affine:
            with torch.no_grad():
                gn.weight.copy_(torch.randn(c, generator=gen))
                gn.bias.copy_(torch.randn(c, generator=gen))
        x = (torch.randn(n, c, h, w, generator=gen) * scale + offset).requires_grad_(True)
        y = gn(x)
        up = torch.randn(y.shape, generator=gen)
        (y * up).sum().backward()
        # The same in float64: float32 GroupNorm loses digits when the mean dwarfs the spread
        # (torch's own float32 result is off by ~3e-5 at mean 50, std 0.1), so tests hold ours
        # to the exact value and allow torch's float32 its own deviation.
        gn64 = torch.nn.GroupNorm(groups, c, eps=eps, affine=affine).double()
        if affine:
            with torch.no_grad():
                gn64.weight.copy_(gn.weight)
                gn64.bias.copy_(gn.bias)
        x64 = x.detach().double().requires_grad_(True)
        y64 = gn64(x64)
        (y64 * up.double()).sum().backward()
        nhwc = lambda t: values(t.permute(0, 2, 3, 1).flatten())
        case = {
            'name': name,
            'shape': [n, h, w, c],
            'numGroups': groups,
            'eps': eps,
            'affine': affine,
            'x': nhwc(x),
            'upstream': nhwc(up),
            'y': nhwc(y),
            'gradX': nhwc(x.grad),
            'yFloat64': nhwc(y64),
            'gradXFloat64': nhwc(x64.grad),
        }
        if affine:
            case.update({
                'weight': values(gn.weight), 'bias': values(gn.bias),
                'gradWeight': values(gn.weight.grad), 'gradBias': values(gn.bias.grad),
                'gradWeightFloat64': values(gn64.weight.grad), 'gradBiasFloat64': values(gn64.bias.grad),
            })
        cases.append(case)

    add('3 groups of 2 channels', 2, 6, 3, 4, 3, True)
    add('1 group (LayerNorm over C,H,W)', 2, 4, 3, 3, 1, True)
    add('one group per channel (InstanceNorm)', 1, 4, 2, 5, 4, True)
    add('no affine', 2, 8, 2, 2, 4, False)
    add('mean 50, std 0.1 (cancellation)', 1, 6, 4, 4, 2, True, offset=50.0, scale=0.1)
    add('eps 1e-3 on a 1x1 map', 3, 4, 1, 1, 2, True, eps=1e-3)
    return cases


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ('losses', 'group-norm'):
        sys.exit('usage: losses.py losses|group-norm OUT.json')
    what, out = sys.argv[1], sys.argv[2]
    gen = torch.Generator().manual_seed(20240613 if what == 'losses' else 20240614)
    doc = {'generator': 'packages/nn/tools/reference/losses.py', 'torch': torch.__version__}
    if what == 'losses':
        doc['crossEntropy'] = cross_entropy_cases(gen)
        doc['binaryCrossEntropyWithLogits'] = bce_cases(gen)
        doc['smoothL1'] = smooth_l1_cases(gen)
    else:
        doc['groupNorm'] = group_norm_cases(gen)
    with open(out, 'w') as f:
        json.dump(doc, f, allow_nan=False, separators=(',', ':'))
        f.write('\n')


if __name__ == '__main__':
    main()
