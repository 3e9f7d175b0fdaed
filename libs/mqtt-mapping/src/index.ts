/**
 * MQTT → pipeline mapping, pure: ordered rules (first match wins) from MQTT topic filters to the
 * samples topic (tag = topic, value and time read by a JSON or plain payload mapper) or the
 * inspections topic (payload = the `quality.inspections.v1` JSON).
 */
export { filterCovers, subscriptionFilters, topicFilterProblem, topicMatches } from './topic-filter.js';
export {
  DEMO_PLANT_RULES,
  mappingRuleSchema,
  mappingRulesSchema,
  payloadMapperSchema,
  type MappingRule,
  type MappingRules,
  type PayloadMapper,
  type SamplesMappingRule,
} from './rules.js';
export {
  mapMessage,
  readSample,
  routeTopic,
  ruleFor,
  type MappedMessage,
  type MappedSample,
  type TopicRoute,
} from './map-message.js';
