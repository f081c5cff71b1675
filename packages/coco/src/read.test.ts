import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { JsonSyntaxError } from './json/json-syntax-error.js';
import { parseJsonBytes } from './json/parse-json-bytes.js';
import { parseCocoDataset, parseCocoResults, readCocoFile, readCocoResultsFile } from './read.js';
import { CocoValidationError } from './validate/problems.js';

function dataset(): Record<string, unknown> {
  return {
    info: { year: 2017 },
    images: [
      { id: 1, width: 40, height: 30, file_name: 'a.png' },
      { id: 2, width: 20, height: 10, file_name: 'b.png' },
    ],
    categories: [
      { id: 3, name: 'circle', supercategory: 'shape' },
      { id: 7, name: 'square', supercategory: 'shape' },
    ],
    annotations: [
      { id: 10, image_id: 1, category_id: 3, bbox: [1, 2, 3, 4], area: 12, iscrowd: 0, segmentation: [[1, 2, 4, 2, 4, 6]] },
      { id: 11, image_id: 2, category_id: 7, bbox: [0, 0, 2, 1], area: 2, iscrowd: 1, segmentation: { size: [10, 20], counts: [0, 1, 9, 1, 189] } },
      { id: 12, image_id: 2, category_id: 7, bbox: [0, 0, 2, 1], area: 2, iscrowd: 0, segmentation: { size: [10, 20], counts: 'PP0' } },
    ],
  };
}

function errorOf(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected an error');
}

describe('parseCocoDataset', () => {
  it('accepts a valid file and returns its content', () => {
    const ds = parseCocoDataset(JSON.stringify(dataset()), 'ok.json');
    expect(ds.images).toHaveLength(2);
    expect(ds.annotations[1].segmentation).toEqual({ size: [10, 20], counts: [0, 1, 9, 1, 189] });
  });

  it('accepts bytes (with a UTF-8 BOM) as well as text', () => {
    const bytes = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(dataset()))]);
    expect(parseCocoDataset(bytes, 'bom.json').categories.map((c) => c.name)).toEqual(['circle', 'square']);
  });

  it('treats missing annotations as none (test-split image_info files)', () => {
    const d = dataset();
    delete d.annotations;
    expect(parseCocoDataset(JSON.stringify(d), 'test.json').annotations).toEqual([]);
  });

  it('names the file, byte offset and line of truncated JSON', () => {
    const text = JSON.stringify(dataset(), null, 1);
    const cut = text.slice(0, 200);
    const err = errorOf(() => parseCocoDataset(cut, 'instances_cut.json'));
    expect(err).toBeInstanceOf(JsonSyntaxError);
    const lines = cut.split('\n');
    expect(err.message).toBe(
      `instances_cut.json: invalid JSON at byte 200 (line ${lines.length}, column ${lines[lines.length - 1].length + 1}): ` +
        err.message.split('): ')[1],
    );
    expect(err.message).toMatch(/file truncated\?/);
  });

  it('points at the offending byte of malformed JSON', () => {
    const err = errorOf(() => parseCocoDataset('{"images": [1, 2,, 3]}', 'bad.json'));
    expect(err.message).toBe("bad.json: invalid JSON at byte 17 (line 1, column 18): unexpected ',', expected a value");
    const trailing = '{\n  "images": [],\n  "categories": [] }\n}';
    const err2 = errorOf(() => parseCocoDataset(trailing, 'trail.json'));
    expect(err2.message).toBe(
      `trail.json: invalid JSON at byte ${trailing.length - 1} (line 4, column 1): unexpected '}' after the end of the top-level value`,
    );
  });

  it('collects wrong types with their JSON paths', () => {
    const d = dataset() as { annotations: Record<string, unknown>[]; images: Record<string, unknown>[] };
    d.annotations[0].bbox = [1, 2, 3];
    d.annotations[1].area = '2';
    d.annotations[2].iscrowd = true;
    d.images[1].width = 0;
    const err = errorOf(() => parseCocoDataset(JSON.stringify(d), 'types.json'));
    expect(err).toBeInstanceOf(CocoValidationError);
    expect(err.message).toBe(
      [
        'types.json: not a valid COCO instances file: 4 problems',
        '  images[1].width: expected a positive integer, got 0',
        '  annotations[0].bbox: expected 4 numbers, got 3',
        '  annotations[1].area: expected a number >= 0, got "2"',
        '  annotations[2].iscrowd: expected 0 or 1, got true',
      ].join('\n'),
    );
  });

  it('reports dangling ids, duplicate ids and negative box sizes together', () => {
    const d = dataset() as { annotations: Record<string, unknown>[]; categories: Record<string, unknown>[] };
    d.annotations[0].image_id = 99;
    d.annotations[1].category_id = 4;
    d.annotations[2].id = 10;
    d.annotations[2].bbox = [0, 0, -2, 1];
    d.categories[1].id = 3;
    const err = errorOf(() => parseCocoDataset(JSON.stringify(d), 'refs.json')) as CocoValidationError;
    expect(err.problems).toEqual([
      { path: 'categories[1].id', message: 'duplicate category id 3 (first at categories[0])' },
      { path: 'annotations[0].image_id', message: 'no image with id 99' },
      { path: 'annotations[1].category_id', message: 'no category with id 4' },
      { path: 'annotations[2].id', message: 'duplicate annotation id 10 (first at annotations[0])' },
      { path: 'annotations[2].category_id', message: 'no category with id 7' },
      { path: 'annotations[2].bbox', message: 'negative box size: width -2, height 1' },
    ]);
    expect(err.message.startsWith('refs.json: not a valid COCO instances file: 6 problems\n')).toBe(true);
  });

  it('checks segmentations: odd polygons, RLE sums, RLE size against the image, bad RLE characters', () => {
    const d = dataset() as { annotations: Record<string, unknown>[] };
    d.annotations[0].segmentation = [[1, 2, 3]];
    d.annotations[1].segmentation = { size: [10, 20], counts: [0, 1, 9] };
    d.annotations[2].segmentation = { size: [11, 20], counts: 'PP0' };
    const err = errorOf(() => parseCocoDataset(JSON.stringify(d), 'seg.json')) as CocoValidationError;
    expect(err.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      'annotations[0].segmentation[0]: expected an even number of coordinates, got 3',
      'annotations[1].segmentation.counts: run lengths sum to 10, expected height*width = 200',
      "annotations[2].segmentation.size: [11, 20] does not match the image's [height, width] [10, 20]",
    ]);
    (d.annotations[2].segmentation as Record<string, unknown>).size = [10, 20];
    (d.annotations[2].segmentation as Record<string, unknown>).counts = 'P~';
    const err2 = errorOf(() => parseCocoDataset(JSON.stringify(d), 'seg.json')) as CocoValidationError;
    expect(err2.problems[2].message).toBe('character 1 ("~") is not a compressed RLE character (\'0\'..\'o\')');
  });

  it('lists 20 problems and counts the rest', () => {
    const d = dataset() as { annotations: Record<string, unknown>[] };
    d.annotations = Array.from({ length: 25 }, (_, i) => ({ id: i, image_id: 1, category_id: 3, bbox: [0, 0, 1], area: 1, iscrowd: 0 }));
    const lines = errorOf(() => parseCocoDataset(JSON.stringify(d), 'many.json')).message.split('\n');
    expect(lines[0]).toBe('many.json: not a valid COCO instances file: 25 problems');
    expect(lines).toHaveLength(22);
    expect(lines[20]).toBe('  annotations[19].bbox: expected 4 numbers, got 3');
    expect(lines[21]).toBe('  ... and 5 more');
  });

  it('refuses a top-level array', () => {
    expect(errorOf(() => parseCocoDataset('[]', 'list.json')).message).toBe(
      'list.json: not a valid COCO instances file: 1 problem\n  $: expected an object with images, annotations and categories, got an array of 0',
    );
  });
});

describe('readCocoFile / readCocoResultsFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tfvision-coco-read-'));

  it('reads a file and names it in errors', async () => {
    const good = join(dir, 'good.json');
    writeFileSync(good, JSON.stringify(dataset()));
    expect((await readCocoFile(good)).annotations).toHaveLength(3);
    const cut = join(dir, 'cut.json');
    writeFileSync(cut, JSON.stringify(dataset()).slice(0, 50));
    await expect(readCocoFile(cut)).rejects.toThrow(`${cut}: invalid JSON at byte 50 (line 1, column 51)`);
    await expect(readCocoFile(join(dir, 'missing.json'))).rejects.toThrow(`${join(dir, 'missing.json')}: cannot read file: ENOENT`);
  });

  it('reads results and checks them against the ground truth', async () => {
    const gt = parseCocoDataset(JSON.stringify(dataset()), 'gt.json');
    const file = join(dir, 'dt.json');
    writeFileSync(file, JSON.stringify([{ image_id: 1, category_id: 3, score: 0.5, bbox: [0, 0, 2, 2] }]));
    expect(await readCocoResultsFile(file, { groundTruth: gt })).toHaveLength(1);
    writeFileSync(file, JSON.stringify([{ image_id: 5, category_id: 3, score: 0.5, bbox: [0, 0, 2, 2] }]));
    await expect(readCocoResultsFile(file, { groundTruth: gt })).rejects.toThrow(
      `${file}: not a valid COCO results file: 1 problem\n  [0].image_id: no image with id 5 in the ground truth`,
    );
  });
});

describe('parseCocoResults', () => {
  it('accepts bbox and segm results (an empty bbox beside a segmentation is allowed)', () => {
    const res = parseCocoResults(
      JSON.stringify([
        { image_id: 1, category_id: 3, score: 0.9, bbox: [1, 2, 3, 4] },
        { image_id: 2, category_id: 7, score: 0.1, bbox: [], segmentation: { size: [10, 20], counts: 'PP0' } },
      ]),
      'dt.json',
    );
    expect(res[1].score).toBe(0.1);
  });

  it('reports missing fields and wrong types', () => {
    const err = errorOf(() =>
      parseCocoResults([{ image_id: 1.5, category_id: 3, score: 'high', bbox: [0, 0, 1, -1] }, { image_id: 1, category_id: 3, score: 1 }], 'dt.json'),
    ) as CocoValidationError;
    expect(err.problems.map((p) => `${p.path}: ${p.message}`)).toEqual([
      '[0].image_id: expected an integer, got 1.5',
      '[0].score: expected a number, got "high"',
      '[0].bbox: negative box size: width 1, height -1',
      '[1]: expected a bbox or a segmentation, got neither',
    ]);
  });
});

describe('parseJsonBytes', () => {
  it('gives the same values as JSON.parse', () => {
    const samples = [
      '{"a":[1,-2,3.5,1e3,-0.25E-2,12345678901234567890,0],"b":"x\\u00e9\\n\\"y\\"","c":"ünï","d":[true,false,null],"e":{}}',
      '[]',
      ' 42 ',
      '"\\ud83d\\ude00 ok \\/"',
      '{"__proto__": 1}',
      '[1, "a", {"b": [2, -3.5]}, [], [0, [1]], null]',
    ];
    for (const s of samples) expect(parseJsonBytes(Buffer.from(s), 's')).toEqual(JSON.parse(s));
    const proto = parseJsonBytes(Buffer.from('{"__proto__": {"x": 1}}'), 's') as Record<string, unknown>;
    expect(Object.getPrototypeOf(proto)).toBe(Object.prototype);
    expect(Object.keys(proto)).toEqual(['__proto__']);
  });

  it('reads numbers to the same doubles as JSON.parse (fast path and fallback)', () => {
    const texts = ['-0', '-0.0', '0.1', '0.3', '1e22', '1e23', '9007199254740993', '123456789012345.6', '2.5e-300', '1E+2', '-12.340e-5', '0.000001'];
    let seed = 12345;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) / 2 ** 32;
    for (let i = 0; i < 3000; i++) {
      const v = (next() - 0.5) * 10 ** Math.floor(next() * 12 - 4);
      texts.push(v.toFixed(Math.floor(next() * 8)), String(v), v.toExponential(Math.floor(next() * 16)));
    }
    const text = `[${texts.join(',')}]`;
    const ours = parseJsonBytes(Buffer.from(text), 'n') as number[];
    const ref = JSON.parse(text) as number[];
    ours.forEach((v, i) => expect(Object.is(v, ref[i])).toBe(true));
  });

  it('interns repeated keys without confusing different ones', () => {
    const rows = Array.from({ length: 3000 }, (_, i) => ({ [`k${i % 1500}`]: i, id: i, bbox: [i] }));
    expect(parseJsonBytes(Buffer.from(JSON.stringify(rows)), 'k')).toEqual(rows);
  });

  it('rejects what JSON.parse rejects, with the location', () => {
    const bad: [string, string][] = [
      ['[01]', 'invalid JSON at byte 1 (line 1, column 2): leading zeros are not allowed in JSON numbers'],
      ['[1.]', "invalid JSON at byte 3 (line 1, column 4): unexpected ']', expected a digit after the decimal point"],
      ['{"a" 1}', "invalid JSON at byte 5 (line 1, column 6): unexpected '1', expected ':'"],
      ['[tru]', "invalid JSON at byte 4 (line 1, column 5): unexpected ']', expected 'true'"],
      ['["a\nb"]', 'invalid JSON at byte 3 (line 1, column 4): control character 0x0a inside a string'],
      ['[1,2', 'invalid JSON at byte 4 (line 1, column 5): unexpected end of input (file truncated?), expected \',\' or \']\''],
    ];
    for (const [text, message] of bad) {
      expect(() => JSON.parse(text)).toThrow(SyntaxError);
      expect(() => parseJsonBytes(Buffer.from(text), 'f.json')).toThrow(`f.json: ${message}`);
    }
  });
});
