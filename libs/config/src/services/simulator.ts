import { z } from 'zod';
import { addressesShape } from '../addresses.js';
import { configField } from '../fields.js';

/** services/simulator: the demo plant (docs/demo-plant.md, "Simulator configuration"). */
export const simulatorConfigSchema = z.object({
  ...addressesShape,
  SIMULATOR_PORT: configField.port(8095),
  /** Every random draw of the plant derives from this seed. */
  SIMULATOR_SEED: configField.integer(1, 0, 4_294_967_295),
  MILLRACE_PLANT_TZ: configField.string('Europe/Berlin'),

  SIMULATOR_OPCUA_ENABLED: configField.boolean(true),
  SIMULATOR_OPCUA_PORT: configField.port(4840),
  SIMULATOR_OPCUA_PERIOD_MS: configField.integer(1_000, 10),
  /** PKI folder of the OPC UA server; defaults to `<MILLRACE_DATA_DIR>/simulator/pki`. */
  SIMULATOR_OPCUA_PKI_DIR: z.string().min(1).optional(),
  SIMULATOR_COIL_SECONDS: configField.integer(180, 10, 86_400),

  SIMULATOR_MQTT_ENABLED: configField.boolean(true),
  SIMULATOR_MQTT_PERIOD_MS: configField.integer(1_000, 10),
  SIMULATOR_MQTT_CLIENT_ID: configField.string('millrace-simulator'),
  /** Line level of the battery line's topics and tag paths: `plant1/cells/<line>/...`. */
  SIMULATOR_CELL_LINE: z
    .string()
    .regex(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/, 'must be one tag path level')
    .default('line1'),
  SIMULATOR_CELL_PERIOD_MS: configField.integer(3_000, 100),
  SIMULATOR_CELL_SPEED_SETPOINT_RPM: configField.integer(1_000, 0, 3_000),
  SIMULATOR_CELL_SPEED_DRIFT_RPM_PER_HOUR: configField.integer(120, 0, 10_000),
  SIMULATOR_FQC_DELAY_MS: configField.integer(20_000, 0),
  SIMULATOR_OQC_DELAY_MS: configField.integer(45_000, 0),

  SIMULATOR_FILES_ENABLED: configField.boolean(true),
  /** Defaults to `<MILLRACE_DATA_DIR>/drop/pltcm`. */
  SIMULATOR_DROP_DIR: z.string().min(1).optional(),

  /** The simulated MES at `/mes/*` on SIMULATOR_PORT: order list (pull mode), QC results, machine data. */
  SIMULATOR_MES_ENABLED: configField.boolean(true),
  /** Bearer token the simulated MES requires from the bridge; unset: open. */
  SIMULATOR_MES_TOKEN: z.string().min(1).optional(),

  /** `high` adds the benchmark tags (`plant1/bench/hl/...`) to the OPC UA server. */
  SIMULATOR_PROFILE: z.enum(['normal', 'high']).default('normal'),
  SIMULATOR_HIGH_TAGS: configField.integer(500, 1, 100_000),
  SIMULATOR_HIGH_PERIOD_MS: configField.integer(100, 10),
});
export type SimulatorConfig = z.infer<typeof simulatorConfigSchema>;
