import { join } from 'node:path';
import { LevelMapper } from './level-mapper.js';
import { readRoiAlignFixture } from './roi-align-fixture.js';

const fixture = readRoiAlignFixture(join(__dirname, '..', '..', 'fixtures', 'roi-align.json'));

describe('LevelMapper', () => {
  it.each(['torchvision', 'detectron2', 'mmdet'] as const)('matches %s on boxes at and around the FPN borders', (variant) => {
    const levels = new LevelMapper(2, 5, { variant }).levels(fixture.levelMapper.boxes);
    expect(Array.from(levels)).toEqual(fixture.levelMapper[variant]);
  });

  it('puts sqrt(area) 112 / 224 / 448 on levels 3 / 4 / 5 and clamps tiny and huge boxes', () => {
    const mapper = new LevelMapper(2, 5);
    const boxes = [0, 0, 112, 112, 0, 0, 224, 224, 0, 0, 448, 448, 0, 0, 2, 2, 0, 0, 5000, 5000, 0, 0, 0, 0, 4, 4, 2, 6];
    // Last: an inverted box (negative area, NaN size) has no level.
    expect(Array.from(mapper.levels(boxes))).toEqual([1, 2, 3, 0, 3, 0, -1]);
    // RoI rows carry a batch index first.
    expect(Array.from(mapper.levels([1, 0, 0, 224, 224], 5))).toEqual([2]);
  });

  it('rejects a bad level range and variant', () => {
    expect(() => new LevelMapper(5, 2)).toThrow('LevelMapper: kMin and kMax must be integers with kMin <= kMax, got 5 and 2');
    expect(() => new LevelMapper(2, 5, { variant: 'd2' as 'mmdet' })).toThrow('LevelMapper: variant must be torchvision, detectron2 or mmdet, got d2');
  });
});
