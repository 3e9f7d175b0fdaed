export { ConfigError, type ConfigIssue } from './errors.js';
export { loadConfig, describeConfig, CONFIG_FILE_KEY, type LoadConfigOptions } from './load.js';
export { configField } from './fields.js';
export { addressesShape, DEFAULT_ADDRESSES } from './addresses.js';
export { ingestFilesConfigSchema, type IngestFilesConfig } from './services/ingest-files.js';
export { streamProcessorConfigSchema, type StreamProcessorConfig } from './services/stream-processor.js';
export { simulatorConfigSchema, type SimulatorConfig } from './services/simulator.js';
export { ingestMqttConfigSchema, type IngestMqttConfig } from './services/ingest-mqtt.js';
export { ingestOpcuaConfigSchema, type IngestOpcuaConfig } from './services/ingest-opcua.js';
export { queryApiConfigSchema, type QueryApiConfig } from './services/query-api.js';
export { authConfigShape } from './auth.js';
export {
  mesBridgeConfigSchema,
  mesProxyConfigSchema,
  type MesBridgeConfig,
  type MesProxyConfig,
} from './services/mes-bridge.js';
export { inferenceConfigSchema, type InferenceConfig } from './services/inference.js';
