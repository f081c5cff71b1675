import { readFileSync } from 'node:fs';
import { join } from 'node:path';
// The driver (ESM) and this test load the same CommonJS renderer.
import * as table from './det-vs-torchvision-table.cjs';

const results = JSON.parse(readFileSync(join(__dirname, 'det-vs-torchvision.results.json'), 'utf8'));
const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');

const side = (AP: number, AP50: number) => ({ AP, AP50, AP75: 0, wallSeconds: 100 });
const made = (ours: number[], tv: number[]) => ({
  config: 'c.json',
  iterations: 10,
  commands: { all: 'a', ours: 'o', torchvision: 't', render: 'r' },
  load: { before: '1.00', after: '2.00' },
  seeds: ours.map((a, i) => ({ seed: i, ours: side(a, 0.5), torchvision: side(tv[i], 0.5) })),
});

describe('det-vs-torchvision table', () => {
  it('the README section is the rendering of the committed results JSON', () => {
    expect(table.readSection(readme)).toBe(table.renderSection(results));
  });

  it('the committed JSON has three seeds with both sides scored and the learning rates equal', () => {
    expect(results.seeds.map((s: { seed: number }) => s.seed)).toEqual([0, 1, 2]);
    for (const s of results.seeds) {
      expect(s.lrCheck).toBe(true);
      expect(s.ours.log).toHaveLength(results.iterations);
      expect(s.torchvision.log).toHaveLength(results.iterations);
      for (const v of [s.ours.AP, s.torchvision.AP]) expect(v >= 0 && v <= 1).toBe(true);
    }
  });

  it('spread is the mean, sample standard deviation and range', () => {
    // 1, 2, 6: mean 3, squared deviations 4 + 1 + 9 = 14, / 2 = 7.
    const s = table.spread([1, 2, 6]);
    expect(s.mean).toBe(3);
    expect(s.std).toBeCloseTo(Math.sqrt(7), 12);
    expect([s.min, s.max]).toEqual([1, 6]);
    expect(table.spread([4]).std).toBe(0);
    expect(() => table.spread([])).toThrow('det-vs-torchvision-table: no seeds');
  });

  it('passes within 2 points of the mean or inside the seed range, and fails outside both', () => {
    // Means 30 vs 31.9: within 2 points.
    expect(table.verdict(made([0.3, 0.3, 0.3], [0.319, 0.319, 0.319])).pass).toBe(true);
    // Means 30 vs 33 (seeds 29..37): 3 points off but inside the seed range.
    const wide = table.verdict(made([0.3, 0.3, 0.3], [0.29, 0.33, 0.37]));
    expect([wide.withinTolerance, wide.withinSeedRange, wide.pass]).toEqual([false, true, true]);
    // Means 30 vs 33 (seeds 32.5..33.5): neither.
    const narrow = table.verdict(made([0.3, 0.3, 0.3], [0.325, 0.33, 0.335]));
    expect(narrow.difference).toBeCloseTo(-3, 10);
    expect(narrow.pass).toBe(false);
    expect(table.renderTable(made([0.3, 0.3, 0.3], [0.325, 0.33, 0.335]))).toContain('**fail**');
  });

  it('replaces the section between the markers and appends one where there is none', () => {
    const r = made([0.3], [0.31]);
    const withSection = `# T\n\nbefore\n\n${table.START}\nold\n${table.END}\n\nafter\n`;
    expect(table.replaceSection(withSection, r, '## H')).toBe(`# T\n\nbefore\n\n${table.renderSection(r)}\n\nafter\n`);
    expect(table.replaceSection('# T\n', r, '## H')).toBe(`# T\n\n## H\n\n${table.renderSection(r)}\n`);
  });
});
