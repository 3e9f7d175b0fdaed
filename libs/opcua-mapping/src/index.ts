/**
 * The pure side of OPC UA ingest: endpoint config, the monitored-item plan (namespace resolution,
 * browsed tags, parameter groups), DataValue → sample mapping, column batching, reconnect backoff
 * and gap bookkeeping. No OPC UA stack here: services/ingest-opcua drives node-opcua.
 */
export { OpcuaMappingError } from './errors.js';
export {
  DEMO_PLANT_ENDPOINTS,
  DEMO_PLANT_NAMESPACE_URI,
  SECURITY_POLICIES,
  browseRootSchema,
  endpointSchema,
  endpointsSchema,
  monitoredNodeSchema,
  sourceOf,
  type BrowseRoot,
  type Endpoint,
  type MonitoredNode,
} from './endpoints.js';
export {
  browsedTag,
  monitoringGroups,
  namespaceIndex,
  planItems,
  queueSizeFor,
  relativePathText,
  resolveNodeId,
  type MonitoringGroup,
  type PlannedItem,
} from './plan.js';
export {
  MAX_STRING_LENGTH,
  mapDataValue,
  qualityOf,
  type DataValueLike,
  type MappedValue,
} from './data-value.js';
export { Backoff, backoffDelayMs, type BackoffOptions } from './backoff.js';
export { describeItem, type NodeFacts } from './describe.js';
export { GapTracker, type Gap } from './gaps.js';
