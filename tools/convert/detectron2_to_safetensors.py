#!/usr/bin/env python3
"""Converts a detectron2 checkpoint to safetensors for tfvision's Cascade (Mask) R-CNN presets.

Reads what users have:
  - model-zoo `.pkl` files: a pickle of {"model": {name: numpy array}, "__author__": ...,
    "matching_heuristics": ...} (older ImageNet-pretrained backbones are a bare {name: array});
  - `.pth` checkpoints written by detectron2's trainer ({"model": state_dict, ...}) or a bare
    state_dict, read with torch.load (torch is only imported for these).
Writes every array under its detectron2 name (`backbone.bottom_up.*`, `backbone.fpn_lateral2.*`,
`proposal_generator.rpn_head.*`, `roi_heads.*`), which packages/heads/src/detectors/
detectron2-checkpoint.ts maps onto tfvision's modules. Non-array entries are dropped and listed.
The safetensors file is written by the small writer below (no safetensors package needed):
8-byte little-endian header length, a JSON header {name: {dtype, shape, data_offsets}},
padded with spaces to a multiple of 8, then the tensors' little-endian bytes.

Channel order: detectron2's zoo models (MSRA and most FAIR ones) take BGR input (INPUT.FORMAT
BGR, PIXEL_MEAN [103.53, 116.28, 123.675], PIXEL_STD [1, 1, 1]). tfvision's detectors take RGB;
either set the preset's transform to inputFormat 'BGR' with those mean/std, or pass
--bgr-to-rgb here, which reverses the input channels of the first convolution
(backbone.bottom_up.stem.conv1.weight, or --first-conv NAME) so the weights expect RGB; then use
the zoo's mean/std reversed ([123.675, 116.28, 103.53] and [1, 1, 1]).

Stride placement: detectron2's R-50/R-101 zoo models use MODEL.RESNETS.STRIDE_IN_1X1 True (the
MSRA backbone: stride on each bottleneck's first 1x1); build them with the backbone option
strideIn1x1: true, e.g. createCascadeDetector('cascade_mask_rcnn_resnet50_fpn', { backbone: {
options: { strideIn1x1: true } } }). ResNeXt zoo models (X-101-32x8d) use False (the default).
Shapes are identical either way, so a wrong choice loads cleanly but gives wrong detections.

Usage:
  /usr/bin/python3 tools/convert/detectron2_to_safetensors.py model_final_480dd8.pkl out.safetensors [--bgr-to-rgb]
"""
import argparse
import json
import pickle
import struct
import sys

import numpy as np

DTYPES = {
    np.dtype('float32'): 'F32', np.dtype('float16'): 'F16', np.dtype('float64'): 'F64',
    np.dtype('int64'): 'I64', np.dtype('int32'): 'I32', np.dtype('int16'): 'I16', np.dtype('int8'): 'I8',
    np.dtype('uint8'): 'U8', np.dtype('bool'): 'BOOL',
}
BOOKKEEPING = ('__author__', 'matching_heuristics')
DEFAULT_FIRST_CONV = 'backbone.bottom_up.stem.conv1.weight'


def read_checkpoint(path):
    """{name: numpy array} and the names of dropped non-array entries."""
    if path.endswith('.pkl'):
        with open(path, 'rb') as f:
            data = pickle.load(f, encoding='latin1')
    else:
        import torch
        data = torch.load(path, map_location='cpu')
    if isinstance(data, dict) and isinstance(data.get('model'), dict):
        data = data['model']
    if not isinstance(data, dict):
        raise SystemExit(f'detectron2_to_safetensors: {path} holds a {type(data).__name__}, not a dict of arrays')
    arrays, dropped = {}, []
    for name, value in data.items():
        if name in BOOKKEEPING:
            continue
        if hasattr(value, 'detach'):  # torch.Tensor
            value = value.detach().cpu().numpy()
        if isinstance(value, np.ndarray):
            arrays[name] = value
        else:
            dropped.append(name)
    return arrays, dropped


def bgr_to_rgb(arrays, name):
    if name not in arrays:
        raise SystemExit(f'detectron2_to_safetensors: --bgr-to-rgb: no tensor "{name}" (use --first-conv to name the first convolution)')
    w = arrays[name]
    if w.ndim != 4 or w.shape[1] != 3:
        raise SystemExit(f'detectron2_to_safetensors: --bgr-to-rgb: "{name}" must be [out, 3, kh, kw], got {list(w.shape)}')
    arrays[name] = np.ascontiguousarray(w[:, ::-1])


def write_safetensors(path, arrays, metadata=None):
    header, offset, blobs = {}, 0, []
    for name, a in arrays.items():
        a = np.ascontiguousarray(a)
        if a.dtype not in DTYPES:
            raise SystemExit(f'detectron2_to_safetensors: {name} has dtype {a.dtype}, which safetensors cannot store')
        blob = a.astype(a.dtype.newbyteorder('<'), copy=False).tobytes()
        header[name] = {'dtype': DTYPES[a.dtype], 'shape': list(a.shape), 'data_offsets': [offset, offset + len(blob)]}
        blobs.append(blob)
        offset += len(blob)
    if metadata:
        header['__metadata__'] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(',', ':')).encode('utf-8')
    text += b' ' * (-len(text) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(text)))
        f.write(text)
        for blob in blobs:
            f.write(blob)


def main(argv=None):
    parser = argparse.ArgumentParser(description='detectron2 checkpoint (.pkl / .pth) -> safetensors')
    parser.add_argument('input')
    parser.add_argument('output')
    parser.add_argument('--bgr-to-rgb', action='store_true', help='reverse the first convolution\'s input channels (zoo models are BGR)')
    parser.add_argument('--first-conv', default=DEFAULT_FIRST_CONV, help=f'the first convolution\'s weight (default {DEFAULT_FIRST_CONV})')
    args = parser.parse_args(argv)
    arrays, dropped = read_checkpoint(args.input)
    if args.bgr_to_rgb:
        bgr_to_rgb(arrays, args.first_conv)
    write_safetensors(args.output, arrays, {'format': 'pt', 'source': 'detectron2', 'channels': 'RGB' if args.bgr_to_rgb else 'as in the checkpoint'})
    print(f'{args.output}: {len(arrays)} tensors' + (f'; dropped non-array entries: {", ".join(dropped)}' if dropped else ''), file=sys.stderr)


if __name__ == '__main__':
    main()
