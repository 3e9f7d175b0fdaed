import { mesBridgeConfigSchema } from '@millrace/config';
import { runService } from '@millrace/observability';
import { MesBridgeModule } from './mes-bridge.module.js';

runService({
  name: 'mes-bridge',
  schema: mesBridgeConfigSchema,
  port: (config) => config.MES_BRIDGE_PORT,
  module: (config, observability) => MesBridgeModule.forRoot(config, observability),
});
