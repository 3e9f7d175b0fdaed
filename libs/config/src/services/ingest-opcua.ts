import { z } from 'zod';
import { addressesShape } from '../addresses.js';
import { configField } from '../fields.js';

/**
 * services/ingest-opcua. `INGEST_OPCUA_ENDPOINTS` is a JSON array of endpoints (see `endpointsSchema`
 * in @millrace/opcua-mapping, which the service checks it against at start-up): per endpoint `url`,
 * `name`, `securityMode` (None | SignAndEncrypt), `securityPolicy`, `samplingIntervalMs`,
 * `publishingIntervalMs`, `browse` roots `{namespaceUri, path, tagPrefix?, deadband?}` and `items`
 * `{nodeId, namespaceUri?, tag, deadband?, samplingIntervalMs?}`. Unset: the demo plant's server with
 * its PLTCM folder browsed.
 */
export const ingestOpcuaConfigSchema = z.object({
  ...addressesShape,
  INGEST_OPCUA_PORT: configField.port(8091),
  INGEST_OPCUA_ENDPOINTS: configField.json(),
  /** Client certificate and trust lists; default `<MILLRACE_DATA_DIR>/ingest-opcua/pki`. */
  INGEST_OPCUA_PKI_DIR: z.string().min(1).optional(),
  /** Trust any server certificate (a demo plant's self-signed one); false needs it in `<pki>/trusted`. */
  INGEST_OPCUA_TRUST_UNKNOWN_SERVERS: configField.boolean(true),
  /** First wait before reconnecting an endpoint, doubling (with jitter) up to the max. */
  INGEST_OPCUA_RECONNECT_INITIAL_MS: configField.integer(1_000, 50),
  INGEST_OPCUA_RECONNECT_MAX_MS: configField.integer(30_000, 100),
  /** One connect, session, browse and subscribe attempt gives up after this long. */
  INGEST_OPCUA_CONNECT_TIMEOUT_MS: configField.integer(15_000, 1_000),
  /**
   * An endpoint that sends neither a value nor a keep-alive for this long is treated as lost and
   * rebuilt from scratch; keep-alives come about every 2 s, so this must be well above that.
   */
  INGEST_OPCUA_SILENCE_TIMEOUT_MS: configField.integer(10_000, 3_000),
  /** An endpoint first reached within this long after the service started has no gap recorded for the wait. */
  INGEST_OPCUA_STARTUP_GRACE_MS: configField.integer(30_000, 0),
  /** Samples wait at most this long to be sent together. */
  INGEST_OPCUA_LINGER_MS: configField.integer(30, 0, 10_000),
  /** ...or until this many samples are waiting (at most 10 000, the cap of one sample batch). */
  INGEST_OPCUA_BATCH_MAX_SAMPLES: configField.integer(2_000, 1, 10_000),
  /** Bound on the store-and-forward spool under `<MILLRACE_DATA_DIR>/spool/ingest-opcua`. */
  SPOOL_MAX_BYTES: configField.spoolMaxBytes(),
});
export type IngestOpcuaConfig = z.infer<typeof ingestOpcuaConfigSchema>;
