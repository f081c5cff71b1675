import { listOption, median, option, parseReferenceLines, positiveIntOption, rateRatio, referenceFor, type ReferenceRow } from './bench-common.js';
import { DETECTRON2_SOURCES, missingSource } from './reference-sources.js';

describe('bench options', () => {
  const argv = ['node', 'x.js', '--repeats', '4', '--models', 'a,,b', '--top'];
  it('reads values, lists and falls back when a flag has no value', () => {
    expect(option(argv, 'repeats', '3')).toBe('4');
    expect(option(argv, 'top', '8')).toBe('8');
    expect(listOption(argv, 'models', ['z'])).toEqual(['a', 'b']);
    expect(listOption(argv, 'backends', ['wasm'])).toEqual(['wasm']);
    expect(positiveIntOption(argv, 'repeats', 3, 'b')).toBe(4);
  });
  it('names the bench, the option and the value of a bad integer', () => {
    expect(() => positiveIntOption(['--repeats', '0'], 'repeats', 3, 'cascade.bench')).toThrow('cascade.bench: --repeats must be a positive integer, got 0');
    expect(() => positiveIntOption(['--repeats', '1.5'], 'repeats', 3, 'x')).toThrow('got 1.5');
  });
});

describe('median', () => {
  it('is the middle value, or the mean of the two middle ones', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 10])).toBe(3.5);
    expect(() => median([])).toThrow('median: values must not be empty');
  });
});

describe('reference rows', () => {
  interface Row extends ReferenceRow {
    imagesPerSecond?: number;
  }
  const stdout = 'progress line\n{"name": "a", "imagesPerSecond": 0.25}\n{"name": "b", "error": "boom"}\n';
  const rows = parseReferenceLines<Row>(stdout);
  it('parses the JSON lines by name and skips the rest', () => {
    expect([...rows.keys()]).toEqual(['a', 'b']);
    expect(rows.get('a')?.imagesPerSecond).toBe(0.25);
  });
  it('says why a model has no row', () => {
    expect(referenceFor(rows, 'a', 's.py')).toEqual({ name: 'a', imagesPerSecond: 0.25 });
    expect(referenceFor(rows, 'b', 's.py')).toBe('failed: boom');
    expect(referenceFor(rows, 'c', 's.py')).toBe('missing from s.py output');
    expect(referenceFor<Row>('skipped: --no-torch', 'a', 's.py')).toBe('skipped: --no-torch');
  });
  it('divides our rate by theirs, and gives none without a positive one', () => {
    expect(rateRatio(0.1, { imagesPerSecond: 0.08 })).toBe(1.25);
    expect(rateRatio(0.1, 'skipped')).toBeUndefined();
    expect(rateRatio(0.1, {})).toBeUndefined();
    expect(rateRatio(0.1, { imagesPerSecond: 0 })).toBeUndefined();
  });
});

describe('missingSource', () => {
  it('names the first checkout without its package folder, honouring the environment', () => {
    const present = new Set(['/tmp/d2src/detectron2', '/tmp/fvcore_src/fvcore', '/src/yacs/yacs', '/tmp/iopath_src/iopath', '/tmp/timm_src/timm']);
    const exists = (p: string) => present.has(p);
    expect(missingSource(DETECTRON2_SOURCES, { YACS_SRC: '/src/yacs' }, exists)).toBeUndefined();
    expect(missingSource(DETECTRON2_SOURCES, {}, exists)).toBe('YACS_SRC=/tmp/yacs_src has no yacs/ folder (git archive the fetched repository there)');
    expect(missingSource(DETECTRON2_SOURCES, { D2_SRC: '/nowhere' }, exists)).toBe('D2_SRC=/nowhere has no detectron2/ folder (git archive the fetched repository there)');
  });
});
