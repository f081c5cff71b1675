#!/usr/bin/env node
// Writes packages/heads/src/detectors/backbone-features.json: for every registered backbone,
// the weights of its feature extractor (numClasses 0; all weights, frozen or not, no running
// statistics) and its channels per level. `model list` reads it to count a detector's weights
// without building a hundred models; registry.test.ts rebuilds a sample and compares.
// Run after `npm run build`: node packages/heads/tools/backbone-features.mjs
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { initBackend } from '@tfvision/nn';
import { createBackbone, listModels } from '@tfvision/backbones';

const here = path.dirname(fileURLToPath(import.meta.url));
await initBackend({ backend: 'cpu', report: false });
const table = {};
for (const { name } of listModels()) {
  const m = createBackbone(name, { numClasses: 0 });
  table[name] = { params: m.numParameters(), channels: Object.fromEntries(m.featureInfo.map((f) => [f.level, f.channels])) };
  m.dispose();
  process.stderr.write(`${name} `);
}
const out = path.join(here, '..', 'src', 'detectors', 'backbone-features.json');
writeFileSync(out, `${JSON.stringify(table, null, 1)}\n`);
process.stderr.write(`\nwrote ${path.relative(process.cwd(), out)} (${Object.keys(table).length} backbones)\n`);
