import { decodeBF16, decodeF16, encodeBF16, encodeF16, floatToBF16Bits, floatToHalfBits, halfBitsToFloat } from './half.js';

describe('F16', () => {
  it('decodes bit patterns worked out by hand', () => {
    // sign | exponent (bias 15) | 10-bit fraction
    expect(halfBitsToFloat(0x3c00)).toBe(1);
    expect(halfBitsToFloat(0xc100)).toBe(-2.5); // -(1 + 256/1024) * 2^1
    expect(halfBitsToFloat(0x7bff)).toBe(65504); // largest finite
    expect(halfBitsToFloat(0x0001)).toBe(2 ** -24); // smallest subnormal
    expect(halfBitsToFloat(0x0200)).toBe(2 ** -15); // subnormal 512 * 2^-24
    expect(halfBitsToFloat(0x3555)).toBe(0.333251953125); // (1 + 341/1024) / 4
    expect(halfBitsToFloat(0x8000)).toBe(-0);
    expect(halfBitsToFloat(0xfc00)).toBe(-Infinity);
    expect(halfBitsToFloat(0x7e00)).toBeNaN();
  });

  it('encodes with round-to-nearest-even, overflow to Inf and subnormals', () => {
    expect(floatToHalfBits(1)).toBe(0x3c00);
    expect(floatToHalfBits(1 + 2 ** -11)).toBe(0x3c00); // tie, 0x3c00 is even
    expect(floatToHalfBits(1 + 3 * 2 ** -11)).toBe(0x3c02); // tie, rounds up to even
    expect(floatToHalfBits(1 + 2 ** -11 + 2 ** -20)).toBe(0x3c01); // just above the tie
    expect(floatToHalfBits(65519)).toBe(0x7bff);
    expect(floatToHalfBits(65520)).toBe(0x7c00); // tie between 65504 and 2^16 → even → Inf
    expect(floatToHalfBits(-1e6)).toBe(0xfc00);
    expect(floatToHalfBits(2 ** -25)).toBe(0x0000); // tie between 0 and the smallest subnormal
    expect(floatToHalfBits(3 * 2 ** -25)).toBe(0x0002); // 1.5 ulps → even
    expect(floatToHalfBits(2 ** -14 - 2 ** -25)).toBe(0x0400); // rounds up into the normals
    expect(floatToHalfBits(NaN) & 0x7c00).toBe(0x7c00);
    expect(floatToHalfBits(NaN) & 0x3ff).not.toBe(0);
  });

  it('round-trips every non-NaN half exactly', () => {
    const bits = new Uint16Array(65536).map((_, i) => i);
    const back = encodeF16(decodeF16(bits));
    for (let h = 0; h < 65536; h++) {
      const nan = (h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0;
      if (!nan && back[h] !== h) throw new Error(`half 0x${h.toString(16)} came back as 0x${back[h].toString(16)}`);
    }
  });
});

describe('BF16', () => {
  it('decodes as the top half of a float32 and encodes with ties to even', () => {
    expect(Array.from(decodeBF16(new Uint16Array([0x3f80, 0xc049, 0xbe20])))).toEqual([1, -3.140625, -0.15625]);
    expect(floatToBF16Bits(Math.PI)).toBe(0x4049); // 0x40490fdb: low half < 0x8000
    expect(floatToBF16Bits(1 + 2 ** -8)).toBe(0x3f80); // 0x3f808000: tie → even
    expect(floatToBF16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82); // 0x3f818000: tie → even (up)
    expect(floatToBF16Bits(NaN) & 0x7fc0).toBe(0x7fc0);
    expect(Array.from(encodeBF16(new Float32Array([1, -2, 0.5])))).toEqual([0x3f80, 0xc000, 0x3f00]);
  });
});
