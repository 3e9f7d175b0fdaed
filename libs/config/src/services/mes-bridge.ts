import { z } from 'zod';
import { addressesShape } from '../addresses.js';
import { authConfigShape } from '../auth.js';
import { configField } from '../fields.js';

const optionalUrl = z
  .string()
  .optional()
  .refine((value) => value === undefined || /^https?:\/\/[^\s]+$/.test(value), 'must be an http(s) URL');

/** services/mes-bridge: orders in, results out, machine commands (docs/mes-bridge.md, "Configuration"). */
export const mesBridgeConfigSchema = z.object({
  ...addressesShape,
  ...authConfigShape,
  MES_BRIDGE_PORT: configField.port(8081),
  /**
   * Base URL of the MES: results go to `<url>/results`, machine-data summaries to `<url>/machine-data`,
   * pull mode reads `<url>/orders`. Default: the simulated MES of the demo plant (services/simulator).
   */
  MES_BRIDGE_MES_URL: optionalUrl.default('http://127.0.0.1:8095/mes'),
  /** Bearer token the bridge presents to the MES (the MES's credential, not one of ours). */
  MES_BRIDGE_MES_TOKEN: z.string().min(1).optional(),
  /** Poll `<MES url>/orders` (ETag / If-Modified-Since); off when the MES pushes orders. */
  MES_BRIDGE_PULL_ENABLED: configField.boolean(true),
  MES_BRIDGE_PULL_PERIOD_MS: configField.integer(5_000, 100),
  MES_BRIDGE_HTTP_TIMEOUT_MS: configField.integer(5_000, 100),
  /** Send QC results and machine-data summaries to the MES. */
  MES_BRIDGE_OUTBOX_ENABLED: configField.boolean(true),
  MES_BRIDGE_OUTBOX_MAX_BYTES: configField.spoolMaxBytes(),
  /** Tries of one outbox item before it goes to the dead letter. */
  MES_BRIDGE_OUTBOX_MAX_ATTEMPTS: configField.integer(10, 1, 1_000),
  MES_BRIDGE_OUTBOX_RETRY_INITIAL_MS: configField.integer(1_000, 10),
  MES_BRIDGE_OUTBOX_RETRY_MAX_MS: configField.integer(60_000, 10),
  /** Period of the machine-data summaries; 0 turns them off. */
  MES_BRIDGE_SUMMARY_PERIOD_MS: configField.integer(60_000, 0),
  /** A summary ends this long before now: samples reach QuestDB through Kafka seconds after their source time. */
  MES_BRIDGE_SUMMARY_SETTLE_MS: configField.integer(15_000, 0),
  /** Tag prefix summarised, e.g. the battery line's machines. */
  MES_BRIDGE_SUMMARY_PREFIX: configField.string('plant1/cells/line1/'),
  /** Execute machine commands from `machine.commands.v1`. */
  MES_BRIDGE_COMMANDS_ENABLED: configField.boolean(true),
  /**
   * Allow-list of command targets as JSON: `[{ machine, setpoint, via: 'opcua'|'mqtt', nodeId | topic,
   * min, max, maxStep, minIntervalMs }]`. Default: CAS_01 speed setpoint of the demo line over OPC UA.
   */
  MES_BRIDGE_COMMAND_TARGETS: configField.json(),
  /** Check and audit commands but write nothing to the machines. */
  MES_BRIDGE_COMMANDS_DRY_RUN: configField.boolean(false),
  MES_BRIDGE_OPCUA_ENDPOINT: configField.string('opc.tcp://127.0.0.1:4840/millrace'),
  MES_BRIDGE_GROUP_ID: configField.string('millrace-mes-bridge'),
});
export type MesBridgeConfig = z.infer<typeof mesBridgeConfigSchema>;

/**
 * What query-api needs for its `/api/mes/*` proxy and for checking tokens on its own write routes;
 * loaded by query-api next to its own schema (same env, same config file).
 */
export const mesProxyConfigSchema = z.object({
  MILLRACE_DATA_DIR: addressesShape.MILLRACE_DATA_DIR,
  ...authConfigShape,
  /** Where the MES bridge listens. */
  QUERY_API_MES_BRIDGE_URL: configField.url('http://127.0.0.1:8081', ['http', 'https']),
  QUERY_API_MES_BRIDGE_TIMEOUT_MS: configField.integer(10_000, 100),
});
export type MesProxyConfig = z.infer<typeof mesProxyConfigSchema>;
