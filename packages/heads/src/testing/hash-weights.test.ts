import { hashTensor, hashUniform } from './hash-weights.js';

// Values printed by packages/heads/tools/reference/hash_weights.py (numpy, uint64 arithmetic).
describe('hash weights equal the Python generator', () => {
  it('uniform values, including a flat index past 2^21 (where i * 0x9E3779B9 leaves 2^53)', () => {
    expect(Array.from(hashUniform('rpn.head.conv.0.0.weight', 5))).toEqual([0.5998974619433284, 0.1698261140845716, -0.9747909586876631, -0.9828639943152666, -0.4460184290073812]);
    expect(hashUniform('x', 4000000)[3999999]).toBe(0.08225597254931927);
  });

  it('a conv weight scaled by sqrt(6 / fan_in), in float32', () => {
    const t = hashTensor('backbone.fpn.layer_blocks.0.0.weight', [256, 256, 3, 3]);
    const got = [0, 1, 12345, 589823].map((i) => (t.data as Float32Array)[i]);
    expect(got).toEqual([0.04957631230354309, -0.048913437873125076, 0.04419448971748352, -0.02333960495889187]);
  });
});
