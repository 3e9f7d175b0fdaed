import { tagMetaSchema, tagPath } from '@millrace/schema';
import { describe, expect, it } from 'vitest';
import { describeItem } from './describe.js';

const item = { tag: tagPath('plant1/pltcm/tcm/stand1/rollForce') };

describe('describeItem', () => {
  it('takes the unit from EngineeringUnits and the type from the DataType', () => {
    const described = describeItem(item, 'opcua:opc.tcp://127.0.0.1:4840', {
      builtInDataType: 11, // Double
      unit: ' kN ',
      description: 'plant1/pltcm/tcm/stand1/rollForce [kN]',
    });
    expect(described).toEqual({
      tag: item.tag,
      source: 'opcua:opc.tcp://127.0.0.1:4840',
      valueType: 'number',
      unit: 'kN',
      description: 'plant1/pltcm/tcm/stand1/rollForce [kN]',
    });
    expect(tagMetaSchema.safeParse({ ...described, ts: 1 }).success).toBe(true);
  });

  it('maps Boolean to boolean, String and LocalizedText to string, and leaves out what is missing', () => {
    const facts = { unit: undefined, description: '  ' };
    expect(describeItem(item, 's', { ...facts, builtInDataType: 1 })).toEqual({
      tag: item.tag,
      source: 's',
      valueType: 'boolean',
    });
    expect(describeItem(item, 's', { ...facts, builtInDataType: 12 }).valueType).toBe('string');
    expect(describeItem(item, 's', { ...facts, builtInDataType: 21 }).valueType).toBe('string');
    expect(describeItem(item, 's', { ...facts, builtInDataType: undefined }).valueType).toBe('number');
  });

  it('cuts a unit or description longer than the catalog allows instead of losing the entry', () => {
    const described = describeItem(item, 's', {
      builtInDataType: 11,
      unit: 'u'.repeat(40),
      description: 'd'.repeat(600),
    });
    expect(tagMetaSchema.safeParse({ ...described, ts: 1 }).success).toBe(true);
    expect(described.unit).toHaveLength(32);
  });
});
