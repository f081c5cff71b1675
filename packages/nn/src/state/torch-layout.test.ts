import { fromTorchLayout, layoutMismatch, permuteAxes, toTorchLayout, torchLayoutFor, torchShapeOf } from './torch-layout.js';

describe('PyTorch layouts', () => {
  it('OIHW [out, in, kh, kw] → HWIO [kh, kw, in, out]', () => {
    // torch w[o][i][h][x] = 1000o + 100i + 10h + x for O=2, I=2, KH=2, KW=3
    const torch = new Float32Array(2 * 2 * 2 * 3);
    let k = 0;
    for (let o = 0; o < 2; o++) for (let i = 0; i < 2; i++) for (let h = 0; h < 2; h++) for (let x = 0; x < 3; x++) torch[k++] = 1000 * o + 100 * i + 10 * h + x;
    const ours = fromTorchLayout('conv.weight', [2, 2, 2, 3], torch, [2, 3, 2, 2]);
    const expected: number[] = [];
    for (let h = 0; h < 2; h++) for (let x = 0; x < 3; x++) for (let i = 0; i < 2; i++) for (let o = 0; o < 2; o++) expected.push(1000 * o + 100 * i + 10 * h + x);
    expect(Array.from(ours)).toEqual(expected);
    expect(ours).toBeInstanceOf(Float32Array);
    expect(toTorchLayout('conv.weight', [2, 3, 2, 2], ours)).toEqual({ shape: [2, 2, 2, 3], data: torch });
  });

  it('covers depthwise [out, 1, kh, kw] with the same rule', () => {
    expect(torchShapeOf([3, 3, 1, 32])).toEqual([32, 1, 3, 3]);
    expect(layoutMismatch('dw.weight', [32, 1, 3, 3], [3, 3, 1, 32])).toBeUndefined();
  });

  it('Linear [out, in] → [in, out], also when square', () => {
    expect(Array.from(fromTorchLayout('fc.weight', [3, 2], new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]))).toEqual([1, 3, 5, 2, 4, 6]);
    expect(Array.from(fromTorchLayout('sq.weight', [2, 2], new Float32Array([1, 2, 3, 4]), [2, 2]))).toEqual([1, 3, 2, 4]);
  });

  it('leaves 0-D, 1-D and 3-D tensors alone (same array)', () => {
    const bias = new Float32Array([1, 2]);
    expect(fromTorchLayout('b', [2], bias, [2])).toBe(bias);
    const n = new Int32Array([5]);
    expect(fromTorchLayout('bn.num_batches_tracked', [], n, [])).toBe(n);
    expect(torchLayoutFor([1, 197, 768])).toBe('same');
  });

  it('names the parameter and both shapes on a mismatch', () => {
    expect(() => fromTorchLayout('fc.weight', [1000, 512], new Float32Array(512000), [512, 10])).toThrow(
      'fc.weight: PyTorch shape [1000, 512] does not match [10, 512] (our [512, 10], Linear [out, in] -> [in, out])',
    );
    expect(layoutMismatch('conv1.weight', [3, 3, 4, 8], [3, 3, 4, 8])).toBe(
      'conv1.weight: PyTorch shape [3, 3, 4, 8] does not match [8, 4, 3, 3] (our [3, 3, 4, 8], conv OIHW [out, in/groups, kh, kw] -> HWIO [kh, kw, in/groups, out]); it looks already converted to our layout',
    );
    expect(layoutMismatch('bn.weight', [4], [8])).toBe('bn.weight: PyTorch shape [4] does not match [8] (our [8], same layout)');
    // A grouped conv's weight with the wrong in/groups is caught by shape, not by element count.
    expect(layoutMismatch('g.weight', [8, 4, 3, 3], [3, 3, 2, 8])).toMatch(/^g\.weight: PyTorch shape \[8, 4, 3, 3\] does not match \[8, 2, 3, 3\]/);
  });

  it('permutes any rank; toTorchLayout inverts fromTorchLayout', () => {
    // [2, 3, 2] → axes (2, 0, 1): out[c][a][b] = in[a][b][c]
    const data = new Int32Array(12).map((_, i) => i);
    expect(Array.from(permuteAxes(data, [2, 3, 2], [2, 0, 1]))).toEqual([0, 2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11]);
    const ours = new Float32Array(3 * 1 * 4 * 5).map((_, i) => i * 0.5);
    const torch = toTorchLayout('w', [3, 1, 4, 5], ours);
    expect(torch.shape).toEqual([5, 4, 3, 1]);
    expect(fromTorchLayout('w', torch.shape, torch.data, [3, 1, 4, 5])).toEqual(ours);
  });
});
