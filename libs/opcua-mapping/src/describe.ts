import type { TagMeta } from '@millrace/schema';
import type { PlannedItem } from './plan.js';

/** What the server says about a variable besides its value; each may be missing (an optional property). */
export interface NodeFacts {
  /** The numeric id of its DataType when it is a built-in type of namespace 0 (Part 6, §5.1.2). */
  builtInDataType: number | undefined;
  /** The display name of its EngineeringUnits property (an EUInformation, Part 8, §5.6.3), e.g. `mm`. */
  unit: string | undefined;
  description: string | undefined;
}

/** Built-in DataType ids (Part 6, §5.1.2) whose values the pipeline carries as booleans or strings. */
const BOOLEAN = 1;
const STRING_TYPES = new Set([12 /* String */, 21 /* LocalizedText */]);
const MAX_UNIT_LENGTH = 32;
const MAX_DESCRIPTION_LENGTH = 512;

/**
 * The catalog entry of a monitored variable (`plant.tags.v1`): its value type from the DataType
 * attribute, its unit from the EngineeringUnits property, its description. Texts too long for the
 * catalog are cut rather than the whole entry lost.
 */
export function describeItem(
  item: Pick<PlannedItem, 'tag'>,
  source: string,
  facts: NodeFacts,
): Omit<TagMeta, 'ts'> {
  const unit = facts.unit?.trim().slice(0, MAX_UNIT_LENGTH);
  const description = facts.description?.trim().slice(0, MAX_DESCRIPTION_LENGTH);
  return {
    tag: item.tag,
    source,
    valueType:
      facts.builtInDataType === BOOLEAN
        ? 'boolean'
        : facts.builtInDataType !== undefined && STRING_TYPES.has(facts.builtInDataType)
          ? 'string'
          : 'number',
    ...(unit ? { unit } : {}),
    ...(description ? { description } : {}),
  };
}
