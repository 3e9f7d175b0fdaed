import { Observability } from '@millrace/observability';
import { Inject, Injectable } from '@nestjs/common';
import { Counter } from 'prom-client';

/** What the simulator published, for /metrics. */
@Injectable()
export class SimulatorMetrics {
  readonly opcuaUpdates: Counter<'profile'>;
  readonly mqttMessages: Counter<'kind'>;
  readonly mqttDropped: Counter<'kind'>;
  readonly setpointWrites: Counter<'via' | 'result'>;
  readonly filesWritten: Counter<'kind'>;
  readonly coilsFinished: Counter;

  constructor(@Inject(Observability) observability: Observability) {
    const registers = [observability.metrics];
    this.opcuaUpdates = new Counter({
      name: 'millrace_simulator_opcua_value_updates_total',
      help: 'OPC UA variable values set by the simulator',
      labelNames: ['profile'],
      registers,
    });
    this.mqttMessages = new Counter({
      name: 'millrace_simulator_mqtt_messages_total',
      help: 'MQTT messages acknowledged by the broker (QoS 1), by kind (signal, inspection)',
      labelNames: ['kind'],
      registers,
    });
    this.mqttDropped = new Counter({
      name: 'millrace_simulator_mqtt_dropped_total',
      help: 'MQTT messages not published because the broker was unreachable (a machine does not buffer)',
      labelNames: ['kind'],
      registers,
    });
    this.setpointWrites = new Counter({
      name: 'millrace_simulator_setpoint_writes_total',
      help: 'CAS_01 speed setpoint writes, by channel (opcua, mqtt) and result (accepted, rejected)',
      labelNames: ['via', 'result'],
      registers,
    });
    this.filesWritten = new Counter({
      name: 'millrace_simulator_files_written_total',
      help: 'PLTCM flat files dropped, by kind (COIL, COILER, STRIP, MEAS, SEG, SETUP)',
      labelNames: ['kind'],
      registers,
    });
    this.coilsFinished = new Counter({
      name: 'millrace_simulator_coils_finished_total',
      help: 'Coils whose six files were dropped',
      registers,
    });
  }
}
