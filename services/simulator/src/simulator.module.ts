import type { Observability } from '@millrace/observability';
import { Module, type DynamicModule, type Provider } from '@nestjs/common';
import { CoilFileWriter } from './coil-file-writer.js';
import { SimulatorMetrics } from './metrics.js';
import { MqttPlantPublisher } from './mqtt-publisher.js';
import { OpcuaPlantServer } from './opcua-server.js';
import { Plant } from './plant.js';
import { SimulatedMes, SimulatedMesController } from './simulated-mes.js';
import { SIMULATOR_CONFIG, type SimulatorSettings } from './tokens.js';

@Module({})
export class SimulatorModule {
  /** The plant and whichever of its outputs (OPC UA, MQTT, files, the simulated MES) the config enables. */
  static forRoot(config: SimulatorSettings, _observability: Observability): DynamicModule {
    const providers: Provider[] = [{ provide: SIMULATOR_CONFIG, useValue: config }, Plant, SimulatorMetrics];
    if (config.SIMULATOR_OPCUA_ENABLED) providers.push(OpcuaPlantServer);
    if (config.SIMULATOR_MQTT_ENABLED) providers.push(MqttPlantPublisher);
    if (config.SIMULATOR_FILES_ENABLED) providers.push(CoilFileWriter);
    if (!config.SIMULATOR_MES_ENABLED) return { module: SimulatorModule, providers, exports: [Plant] };
    providers.push(SimulatedMes);
    return {
      module: SimulatorModule,
      providers,
      controllers: [SimulatedMesController],
      exports: [Plant, SimulatedMes],
    };
  }
}
