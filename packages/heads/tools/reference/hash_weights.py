"""Deterministic full-rank "hash" weights for detector references (Python side).

The backbones' sine formula (packages/backbones/tools/make_equivalence.py) makes every conv and
linear weight rank 2 (sin(a + b) = sin a cos b + cos a sin b over the flat index), so a deep
detector's features lose their spatial detail and every RoI gets the same scores. Detectors are
compared with these weights instead: a uniform value in [-1, 1) from a 32-bit integer hash of
(name, flat index) in PyTorch layout, computed exactly in integers on both sides
(packages/heads/src/testing/hash-weights.ts is the TypeScript side; keep the two in step).

  h = (fnv1a32(name) + i * 0x9E3779B9) mod 2^32, then murmur3's fmix32; u = h / 2^32 * 2 - 1
  conv / linear weight (ndim >= 2): u * sqrt(6 / fan_in)   (std sqrt(2 / fan_in), He uniform)
  norm weight (ndim 1, '.weight'): 0.6 + 0.1 u;  bias: 0.1 u
  running_mean: 0.1 u;  running_var: 1 + 0.25 (u + 1);  num_batches_tracked: 0
"""
import math

import numpy as np

MASK = np.uint64(0xFFFFFFFF)


def fnv1a32(s):
    h = 0x811C9DC5
    for b in s.encode('utf-8'):
        h ^= b
        h = (h * 0x01000193) & 0xFFFFFFFF
    return h


def hash_uniform(name, n):
    h = (np.uint64(fnv1a32(name)) + np.arange(n, dtype=np.uint64) * np.uint64(0x9E3779B9)) & MASK
    h ^= h >> np.uint64(16)
    h = (h * np.uint64(0x85EBCA6B)) & MASK
    h ^= h >> np.uint64(13)
    h = (h * np.uint64(0xC2B2AE35)) & MASK
    h ^= h >> np.uint64(16)
    return h.astype(np.float64) / 2 ** 32 * 2 - 1


def hash_tensor(name, shape):
    n = int(np.prod(shape)) if len(shape) else 1
    if name.endswith('num_batches_tracked'):
        return np.zeros(shape, dtype=np.int64)
    u = hash_uniform(name, n)
    if name.endswith('running_mean'):
        v = 0.1 * u
    elif name.endswith('running_var'):
        v = 1.0 + 0.25 * (u + 1.0)
    elif len(shape) >= 2:
        v = u * math.sqrt(6.0 / np.prod(shape[1:]))
    elif name.endswith('.weight'):
        v = 0.6 + 0.1 * u
    else:
        v = 0.1 * u
    return v.reshape(shape).astype(np.float32)
