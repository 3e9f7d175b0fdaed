import { describe, expect, it } from 'vitest';
import { tagPath, tagPathLevels, tagPathProblem, tagPathSchema } from './tag-path.js';

describe('tag paths', () => {
  it('accepts ISA-95 paths with and without a cell', () => {
    expect(tagPathLevels(tagPath('plant1/coldmill/pltcm/stand3/roll_force'))).toEqual({
      site: 'plant1',
      area: 'coldmill',
      line: 'pltcm',
      cell: 'stand3',
      tag: 'roll_force',
    });
    expect(tagPathLevels(tagPath('plant1/cells/line1/speed')).cell).toBeUndefined();
  });

  it.each([
    ['too few levels', 'plant1/coldmill/roll_force'],
    ['empty level', 'plant1//pltcm/stand3/roll_force'],
    ['space', 'plant1/cold mill/pltcm/stand3/roll_force'],
    ['quote (SQL)', "plant1/coldmill/pltcm/stand3/x'; drop table samples;--"],
    ['leading dot', 'plant1/coldmill/pltcm/../roll_force'],
  ])('refuses %s', (_label, path) => {
    expect(tagPathProblem(path)).toBeDefined();
    expect(tagPathSchema.safeParse(path).success).toBe(false);
    expect(() => tagPath(path)).toThrow(RangeError);
  });
});
