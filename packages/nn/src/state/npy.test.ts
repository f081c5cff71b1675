import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseNpy, serializeNpy } from './npy.js';
import { readNpy, writeNpy } from './npy-file.js';

/** A .npy file assembled from the format description: magic, version, header length, dict text, data. */
function npyBytes(major: 1 | 2, dict: string, data: number[] | Uint8Array): Uint8Array {
  const prefix = major === 1 ? 10 : 12;
  const total = Math.ceil((prefix + dict.length + 1) / 64) * 64;
  const text = dict.padEnd(total - prefix - 1, ' ') + '\n';
  const out = new Uint8Array(total + data.length);
  out.set([0x93, ...Array.from('NUMPY', (c) => c.charCodeAt(0)), major, 0], 0);
  const dv = new DataView(out.buffer);
  if (major === 1) dv.setUint16(8, text.length, true);
  else dv.setUint32(8, text.length, true);
  out.set(Array.from(text, (c) => c.charCodeAt(0)), prefix);
  out.set(data, total);
  return out;
}

function le(values: number[], bytesPer: 4 | 8, kind: 'f' | 'i'): Uint8Array {
  const out = new Uint8Array(values.length * bytesPer);
  const dv = new DataView(out.buffer);
  values.forEach((v, k) => {
    if (kind === 'f' && bytesPer === 4) dv.setFloat32(k * 4, v, true);
    else if (kind === 'f') dv.setFloat64(k * 8, v, true);
    else if (bytesPer === 4) dv.setInt32(k * 4, v, true);
    else dv.setBigInt64(k * 8, BigInt(v), true);
  });
  return out;
}

describe('parseNpy', () => {
  it('reads v1.0 <f4 (2, 3) in C order', () => {
    const bytes = npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", le([1, 2, 3, 4, 5, 6.5], 4, 'f'));
    expect(parseNpy(bytes, 'x.npy')).toEqual({ dtype: 'F32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6.5]) });
  });

  it('reads scalars, 1-tuples, int64, uint8, bool, float16 and v2.0 headers', () => {
    expect(parseNpy(npyBytes(1, "{'descr': '<f8', 'fortran_order': False, 'shape': (), }", le([0.1], 8, 'f')))).toEqual({ dtype: 'F64', shape: [], data: new Float64Array([0.1]) });
    expect(parseNpy(npyBytes(1, "{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", le([-1, 2147483647, -5], 8, 'i')))).toEqual({ dtype: 'I64', shape: [3], data: new Int32Array([-1, 2147483647, -5]) });
    expect(parseNpy(npyBytes(1, "{'descr': '|u1', 'fortran_order': False, 'shape': (1, 2), }", [9, 255]))).toEqual({ dtype: 'U8', shape: [1, 2], data: new Uint8Array([9, 255]) });
    expect(parseNpy(npyBytes(1, "{'descr': '|b1', 'fortran_order': False, 'shape': (2,), }", [0, 1]))).toEqual({ dtype: 'BOOL', shape: [2], data: new Uint8Array([0, 1]) });
    expect(parseNpy(npyBytes(1, "{'descr': '<f2', 'fortran_order': False, 'shape': (1,), }", [0x00, 0xc1]))).toEqual({ dtype: 'F16', shape: [1], data: new Float32Array([-2.5]) });
    expect(parseNpy(npyBytes(2, "{'descr': '<i4', 'fortran_order': False, 'shape': (2,), }", le([-7, 8], 4, 'i')))).toEqual({ dtype: 'I32', shape: [2], data: new Int32Array([-7, 8]) });
  });

  it('gives one-line errors naming the file', () => {
    const cases: [Uint8Array, string][] = [
      [npyBytes(1, "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", new Uint8Array(16)),
        'x.npy: .npy fortran_order is true; only C order is supported (save np.ascontiguousarray(a))'],
      [npyBytes(1, "{'descr': '>f4', 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4)),
        `x.npy: .npy dtype '>f4' is not supported (big-endian: save with arr.astype(arr.dtype.newbyteorder("<"))) (supported: <f2, <f4, <f8, <i2, <i4, <i8, |i1, <i1, <u2, |u1, <u1, |b1)`],
      [npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }", new Uint8Array(20)),
        "x.npy: .npy data is 20 bytes but shape [2, 3] x '<f4' needs 24 (truncated)"],
      [npyBytes(1, "{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (1,), }", new Uint8Array(4)),
        'x.npy: .npy descr [["a","<f4"]] is a structured dtype; only plain numeric arrays are supported'],
      [new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0, 0, 0, 0]), 'x.npy: not a .npy file (missing the \\x93NUMPY magic)'],
      [npyBytes(1, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3)", []).subarray(0, 40),
        'x.npy: .npy header length 118 runs past the end of the file (40 bytes)'],
    ];
    for (const [bytes, message] of cases) expect(() => parseNpy(bytes, 'x.npy')).toThrow(message);
    expect(() => parseNpy(npyBytes(1, "{'descr': '<f4', 'shape': (2 3)}", []), 'x.npy')).toThrow(/^x\.npy: \.npy header is not a Python dict literal \(a missing "," or "\)" at character 29/);
  });
});

describe('serializeNpy / writeNpy', () => {
  it('writes NumPy\'s header: v1.0, dict padded with spaces and a newline to a multiple of 64 bytes', () => {
    const bytes = serializeNpy({ dtype: 'F32', shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) });
    const dict = "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }";
    expect(Array.from(bytes)).toEqual(Array.from(npyBytes(1, dict, le([1, 2, 3, 4, 5, 6], 4, 'f'))));
    // The dict is 59 characters: 10 + 59 + 1 rounds up to a 128-byte header.
    expect(bytes.length).toBe(128 + 24);
    expect(new TextDecoder().decode(serializeNpy({ dtype: 'I64', shape: [5], data: new Int32Array(5) }).subarray(10, 128))).toMatch(/^\{'descr': '<i8', 'fortran_order': False, 'shape': \(5,\), \} +\n$/);
  });

  it('round-trips every dtype through a file and refuses bfloat16', () => {
    const dir = mkdtempSync(join(tmpdir(), 'tfvision-npy-'));
    try {
      const arrays = [
        { dtype: 'F32' as const, shape: [2, 1, 2], data: new Float32Array([1, -2, 3.5, 0]) },
        { dtype: 'F64' as const, shape: [], data: new Float64Array([Math.PI]) },
        { dtype: 'I64' as const, shape: [2], data: new Int32Array([-3, 2 ** 31 - 1]) },
        { dtype: 'I32' as const, shape: [1], data: new Int32Array([7]) },
        { dtype: 'U8' as const, shape: [3], data: new Uint8Array([0, 128, 255]) },
        { dtype: 'F16' as const, shape: [2], data: new Float32Array([0.5, -1]) },
      ];
      arrays.forEach((a, k) => writeNpy(join(dir, `${k}.npy`), a));
      arrays.forEach((a, k) => expect(readNpy(join(dir, `${k}.npy`))).toEqual(a));
      expect(readdirSync(dir).sort()).toEqual(['0.npy', '1.npy', '2.npy', '3.npy', '4.npy', '5.npy']);
      expect(() => serializeNpy({ dtype: 'BF16', shape: [1], data: new Float32Array(1) })).toThrow('npy: dtype BF16 has no NumPy equivalent; convert it to F32 first');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
