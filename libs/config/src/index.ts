export { ConfigError, type ConfigIssue } from './errors.js';
export { loadConfig, describeConfig, CONFIG_FILE_KEY, type LoadConfigOptions } from './load.js';
export { configField } from './fields.js';
export { addressesShape, DEFAULT_ADDRESSES } from './addresses.js';
