import { simulatorConfigSchema } from '@millrace/config';
import { runService } from '@millrace/observability';
import { SimulatorModule } from './simulator.module.js';

runService({
  name: 'simulator',
  schema: simulatorConfigSchema,
  port: (config) => config.SIMULATOR_PORT,
  module: (config, observability) => SimulatorModule.forRoot(config, observability),
});
