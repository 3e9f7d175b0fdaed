export { batchValueType, sampleLines, tagMetaRow, TagTypes, valueTypeOf, type ValueType } from './samples.js';
export {
  commandResultRow,
  commandRow,
  inspectionRow,
  orderRow,
  recordRows,
  riskEventRow,
  type TableRows,
} from './records.js';
export { storeMappings, type MappedBatch, type StoreMapping } from './mappings.js';
