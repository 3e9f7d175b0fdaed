import { ingestMqttConfigSchema } from '@millrace/config';
import { runService } from '@millrace/observability';
import { IngestMqttModule } from './ingest-mqtt.module.js';

runService({
  name: 'ingest-mqtt',
  schema: ingestMqttConfigSchema,
  port: (config) => config.INGEST_MQTT_PORT,
  module: (config) => IngestMqttModule.forRoot(config),
});
