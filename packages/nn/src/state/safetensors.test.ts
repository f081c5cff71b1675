import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseSafetensors, serializeSafetensors } from './safetensors.js';
import { readSafetensors, readSafetensorsHeader, writeSafetensors } from './safetensors-file.js';
import type { HostTensor } from './host-tensor.js';

/** A safetensors file assembled from the spec: u64 LE header length, header text, data bytes. */
function handFile(header: string | number[], data: Uint8Array | number[]): Uint8Array {
  const h = typeof header === 'string' ? new TextEncoder().encode(header) : new Uint8Array(header);
  const out = new Uint8Array(8 + h.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  out.set(data, 8 + h.length);
  return out;
}

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected an error');
}

describe('parseSafetensors on a hand-written file', () => {
  // Data section, offsets chosen so that several tensors are misaligned (copy path):
  // u U8 [0,3) | h F16 [3,7) | bf BF16 [7,13) | w F32 [13,29) | n I64 [29,53) | d F64 [53,61) | i I32 [61,69) | m BOOL [69,71)
  const data = new Uint8Array(71);
  const dv = new DataView(data.buffer);
  data.set([0, 7, 255], 0);
  data.set([0x00, 0x3c, 0x00, 0xc1], 3); // F16 1.0, -2.5
  data.set([0x80, 0x3f, 0x49, 0xc0, 0x20, 0xbe], 7); // BF16 1.0, -3.140625, -0.15625
  [1, 2, -0.5, 3.5].forEach((v, k) => dv.setFloat32(13 + 4 * k, v, true));
  data.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 29); // -1
  data.set([0xff, 0xff, 0xff, 0x7f, 0, 0, 0, 0], 37); // 2^31 - 1
  data.set([0, 0, 0, 0x80, 0xff, 0xff, 0xff, 0xff], 45); // -2^31
  dv.setFloat64(53, 0.1, true);
  dv.setInt32(61, -7, true);
  dv.setInt32(65, 123456, true);
  data.set([1, 0], 69);
  const header = JSON.stringify({
    __metadata__: { format: 'pt', note: 'hand made' },
    bf: { dtype: 'BF16', shape: [3], data_offsets: [7, 13] },
    d: { dtype: 'F64', shape: [], data_offsets: [53, 61] },
    h: { dtype: 'F16', shape: [2], data_offsets: [3, 7] },
    i: { dtype: 'I32', shape: [2, 1], data_offsets: [61, 69] },
    m: { dtype: 'BOOL', shape: [2], data_offsets: [69, 71] },
    n: { dtype: 'I64', shape: [3], data_offsets: [29, 53] },
    u: { dtype: 'U8', shape: [3], data_offsets: [0, 3] },
    w: { dtype: 'F32', shape: [2, 2], data_offsets: [13, 29] },
  });

  it('decodes every dtype to the values put in by hand, in file order', () => {
    const { tensors, metadata } = parseSafetensors(handFile(header, data), 'hand.safetensors');
    expect(metadata).toEqual({ format: 'pt', note: 'hand made' });
    expect([...tensors.keys()]).toEqual(['u', 'h', 'bf', 'w', 'n', 'd', 'i', 'm']);
    const get = (k: string): HostTensor => tensors.get(k)!;
    expect(get('h')).toEqual({ dtype: 'F16', shape: [2], data: new Float32Array([1, -2.5]) });
    expect(get('bf')).toEqual({ dtype: 'BF16', shape: [3], data: new Float32Array([1, -3.140625, -0.15625]) });
    expect(get('n')).toEqual({ dtype: 'I64', shape: [3], data: new Int32Array([-1, 2147483647, -2147483648]) });
    expect(get('w')).toEqual({ dtype: 'F32', shape: [2, 2], data: new Float32Array([1, 2, -0.5, 3.5]) });
    expect(get('d')).toEqual({ dtype: 'F64', shape: [], data: new Float64Array([0.1]) });
    expect(get('i')).toEqual({ dtype: 'I32', shape: [2, 1], data: new Int32Array([-7, 123456]) });
    expect(get('u')).toEqual({ dtype: 'U8', shape: [3], data: new Uint8Array([0, 7, 255]) });
    expect(get('m')).toEqual({ dtype: 'BOOL', shape: [2], data: new Uint8Array([1, 0]) });
  });

  it('re-encodes the same values when written back (F16/BF16/I64 included)', () => {
    const { tensors, metadata } = parseSafetensors(handFile(header, data), 'hand.safetensors');
    const again = parseSafetensors(serializeSafetensors(tensors, metadata));
    expect(again.tensors).toEqual(tensors);
    expect(again.metadata).toEqual(metadata);
  });
});

describe('serializeSafetensors', () => {
  it('lays out bytes as the reference writer does: dtype alignment desc, then name; padded header', () => {
    const bytes = serializeSafetensors(
      {
        b: { dtype: 'F32', shape: [1], data: new Float32Array([1]) },
        c: { dtype: 'U8', shape: [3], data: new Uint8Array([1, 2, 3]) },
        a: { dtype: 'I64', shape: [], data: new Int32Array([-2]) },
        '10': { dtype: 'F32', shape: [1], data: new Float32Array([2]) },
      },
      { version: '1', format: 'pt' },
    );
    const json =
      '{"__metadata__":{"format":"pt","version":"1"},' +
      '"a":{"dtype":"I64","shape":[],"data_offsets":[0,8]},' +
      '"10":{"dtype":"F32","shape":[1],"data_offsets":[8,12]},' +
      '"b":{"dtype":"F32","shape":[1],"data_offsets":[12,16]},' +
      '"c":{"dtype":"U8","shape":[3],"data_offsets":[16,19]}}';
    const padded = json + ' '.repeat((8 - (json.length % 8)) % 8);
    const data = [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0x40, 0, 0, 0x80, 0x3f, 1, 2, 3];
    expect(Array.from(bytes)).toEqual(Array.from(handFile(padded, data)));
    expect((8 + padded.length) % 8).toBe(0);
  });

  it('matches the reference implementation test vector for one F32 tensor', () => {
    const bytes = serializeSafetensors({ 'attn.0': { dtype: 'F32', shape: [1, 2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) } });
    // 64-byte header needs no padding; data follows directly.
    expect(bytes[0]).toBe(64);
    expect(new TextDecoder().decode(bytes.subarray(8, 72))).toBe('{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}');
    expect(Array.from(new Float32Array(bytes.slice(72).buffer))).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('writes an empty file as {} padded to 8 bytes', () => {
    expect(Array.from(serializeSafetensors({}))).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 0x7b, 0x7d, 32, 32, 32, 32, 32, 32]);
  });

  it('refuses values that do not fit the dtype or shape', () => {
    expect(() => serializeSafetensors({ x: { dtype: 'F32', shape: [3], data: new Float32Array(2) } })).toThrow('safetensors: tensor "x": shape [3] needs 3 values, got 2');
    expect(() => serializeSafetensors({ x: { dtype: 'I64', shape: [1], data: new Float32Array(1) } })).toThrow('safetensors: tensor "x": dtype I64 needs its values in a Int32Array, got Float32Array');
  });
});

describe('malformed files give one line naming the file', () => {
  const src = 'model.safetensors';
  const cases: [string, Uint8Array, string][] = [
    ['too short', new Uint8Array(5), 'model.safetensors: truncated: 5 bytes, shorter than the 8-byte header length of a safetensors file'],
    ['header past EOF', (() => { const b = new Uint8Array(20); b[0] = 0xe8; b[1] = 0x03; return b; })(), 'model.safetensors: header length 1000 runs past the end of the file (20 bytes; truncated or not a safetensors file)'],
    ['absurd header length', (() => { const b = new Uint8Array(20); b[5] = 1; return b; })(), 'model.safetensors: header length 1099511627776 exceeds the 100000000-byte limit (not a safetensors file, or corrupt)'],
    ['not an object', handFile('[1, 2]', []), 'model.safetensors: header must be a JSON object, got an array'],
    ['bad metadata', handFile('{"__metadata__":{"epoch":3}}', []), 'model.safetensors: __metadata__["epoch"] must be a string, got 3'],
    ['size mismatch', handFile('{"fc.weight":{"dtype":"F32","shape":[10,4],"data_offsets":[0,100]}}', new Uint8Array(100)),
      'model.safetensors: tensor "fc.weight" data_offsets [0, 100] do not match shape [10, 4] x F32 (160 bytes)'],
    ['truncated data', handFile('{"fc.weight":{"dtype":"F32","shape":[10,4],"data_offsets":[0,160]}}', new Uint8Array(100)),
      'model.safetensors: tensor "fc.weight" data_offsets [0, 160] run past the end of the data section (100 bytes; file truncated?)'],
    ['overlap', handFile('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}', new Uint8Array(12)),
      'model.safetensors: tensor "b" data_offsets [4, 12] overlap tensor "a" [0, 8]'],
    ['gap', handFile('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[12,20]}}', new Uint8Array(20)),
      'model.safetensors: tensor "b" data_offsets [12, 20] leave bytes [8, 12) of the data section unused'],
    ['trailing bytes', handFile('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}', new Uint8Array(10)),
      'model.safetensors: tensors cover 8 bytes but the data section has 10 (trailing bytes after the last tensor)'],
    ['end before begin', handFile('{"a":{"dtype":"F32","shape":[0],"data_offsets":[8,0]}}', new Uint8Array(8)),
      'model.safetensors: tensor "a" data_offsets [8, 0] end before they begin'],
    ['bad offsets', handFile('{"a":{"dtype":"F32","shape":[2],"data_offsets":[0]}}', new Uint8Array(8)),
      'model.safetensors: tensor "a": data_offsets must be two non-negative integers [begin, end], got [0]'],
    ['bad shape', handFile('{"a":{"dtype":"F32","shape":[2.5],"data_offsets":[0,8]}}', new Uint8Array(8)),
      'model.safetensors: tensor "a": shape must be an array of non-negative integers, got [2.5]'],
    ['I64 out of int32 range', handFile('{"n":{"dtype":"I64","shape":[1],"data_offsets":[0,8]}}', [0, 0, 0, 0, 1, 0, 0, 0]),
      'model.safetensors: tensor "n": I64 element 0 = 4294967296 does not fit in int32'],
    ['BOOL not 0/1', handFile('{"m":{"dtype":"BOOL","shape":[2],"data_offsets":[0,2]}}', [1, 2]),
      'model.safetensors: tensor "m": BOOL element 1 is 2, expected 0 or 1'],
  ];
  it.each(cases)('%s', (_label, bytes, message) => {
    const got = errorOf(() => parseSafetensors(bytes, src));
    expect(got).toBe(message);
    expect(got).not.toContain('\n');
  });

  it('unknown, unsupported dtypes and invalid JSON', () => {
    const unknown = errorOf(() => parseSafetensors(handFile('{"a":{"dtype":"F12","shape":[1],"data_offsets":[0,4]}}', new Uint8Array(4)), src));
    expect(unknown).toMatch(/^model\.safetensors: tensor "a" has unknown dtype "F12" \(supported: BOOL, U8, .*I64\)$/);
    const unsupported = errorOf(() => parseSafetensors(handFile('{"a":{"dtype":"U64","shape":[1],"data_offsets":[0,8]}}', new Uint8Array(8)), src));
    expect(unsupported).toMatch(/^model\.safetensors: tensor "a" has dtype U64, which is not supported/);
    const json = errorOf(() => parseSafetensors(handFile('{"a": {"dtype":\n', []), src));
    expect(json).toMatch(/^model\.safetensors: header is not valid JSON \(.+\)$/);
    expect(json).not.toContain('\n');
    const utf8 = errorOf(() => parseSafetensors(handFile([0x7b, 0xff, 0x7d], []), src));
    expect(utf8).toBe('model.safetensors: header is not valid UTF-8');
  });
});

describe('safetensors files', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'tfvision-st-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes atomically over an existing file and reads back views on one buffer', () => {
    const path = join(dir, 'm.safetensors');
    writeFileSync(path, 'old contents');
    const tensors = {
      'conv.weight': { dtype: 'F32' as const, shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
      'fc.bias': { dtype: 'F32' as const, shape: [2], data: new Float32Array([-1, 1]) },
      'bn.num_batches_tracked': { dtype: 'I64' as const, shape: [], data: new Int32Array([42]) },
      'h': { dtype: 'F16' as const, shape: [2], data: new Float32Array([0.5, 65504]) },
    };
    writeSafetensors(path, tensors, { format: 'pt' });
    expect(readdirSync(dir)).toEqual(['m.safetensors']); // no temporary file left behind
    const back = readSafetensors(path);
    expect(back.metadata).toEqual({ format: 'pt' });
    expect(Object.fromEntries(back.tensors)).toEqual(tensors);
    // The data section is read once; F32 tensors are views on it, not copies.
    expect(back.tensors.get('conv.weight')!.data.buffer).toBe(back.tensors.get('fc.bias')!.data.buffer);
    expect(readSafetensorsHeader(path).entries.map((e) => [e.name, e.dtype, e.dataOffsets])).toEqual([
      ['bn.num_batches_tracked', 'I64', [0, 8]],
      ['conv.weight', 'F32', [8, 32]],
      ['fc.bias', 'F32', [32, 40]],
      ['h', 'F16', [40, 44]],
    ]);
    expect(parseSafetensors(new Uint8Array(readFileSync(path))).tensors).toEqual(back.tensors);
  });

  it('names the path in errors from readSafetensors and leaves no file when writing fails', () => {
    const path = join(dir, 'short.safetensors');
    writeFileSync(path, new Uint8Array([1, 2, 3]));
    expect(() => readSafetensors(path)).toThrow(`${path}: truncated: 3 bytes`);
    const out = join(dir, 'bad.safetensors');
    expect(() => writeSafetensors(out, { x: { dtype: 'F32', shape: [2], data: new Float32Array(1) } })).toThrow('needs 2 values, got 1');
    expect(readdirSync(dir)).toEqual(['short.safetensors']);
  });
});
