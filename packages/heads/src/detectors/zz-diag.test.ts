import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from '@tfvision/nn';
import { buildFixtureDetector, type RcnnFixture } from './__tests__/rcnn-equivalence-checks.js';
import { readHeadsFixture } from '../testing/fixture-compare.js';
import { rcnnImage } from '../testing/rcnn-images.js';

beforeAll(async () => { await initBackend({ backend: process.env.TFVISION_EQUIV_BACKEND ?? 'wasm', report: false }); });
it.each((process.env.DIAG ?? 'fasterrcnn_resnet50_fpn').split(','))('%s diag', (name) => {
  const fx = readHeadsFixture<RcnnFixture>(`rcnn/${name}.json`);
  const model = buildFixtureDetector(fx);
  const images = fx.images.map((s) => rcnnImage(s));
  const { images: batch } = model.transform.forward(images);
  const features = model.backbone.forward(batch.tensor);
  const rel = (t: tf.Tensor, s: { positions: number[]; values: number[]; absmax: number }) => { const v = t.dataSync(); return Math.max(...s.positions.map((p, k) => Math.abs(v[p] - s.values[k]))) / s.absmax; };
  const out: Record<string, number> = { batch: rel(batch.tensor, fx.transform.batch) };
  for (const [o, t] of Object.entries({ p2: '0', p3: '1', p4: '2', p5: '3', p6: 'pool' })) out[o] = rel(features[o], fx.fpn[t]);
  const { proposals } = model.rpn.forward(batch, features);
  proposals.forEach((p, i) => { const f = fx.proposals[i].first; const v = p.slice([0, 0], [f.length, 4]).dataSync(); out[`prop${i}`] = Math.max(...f.flat().map((x, k) => Math.abs(x - v[k]))); });
  console.log(name, JSON.stringify(out));
});
