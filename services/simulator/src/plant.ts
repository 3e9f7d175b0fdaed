import { CellLine, type CellLineOutput, type PltcmOptions } from '@millrace/plant-sim';
import { Inject, Injectable } from '@nestjs/common';
import { SIMULATOR_CONFIG, type SimulatorSettings } from './tokens.js';

/**
 * The simulated plant shared by the three outputs: the steel line (a pure function of time) and the
 * battery line (stateful). A setpoint written over OPC UA or MQTT runs the battery line up to that
 * instant first; what it produced meanwhile is kept for the MQTT publisher's next drain.
 */
@Injectable()
export class Plant {
  readonly pltcm: PltcmOptions;
  readonly cells: CellLine;
  private readonly backlog: CellLineOutput = { signals: [], inspections: [], completedOrders: [] };
  /** Without the MQTT publisher nobody drains the backlog: keep nothing. */
  private readonly keepBacklog: boolean;

  constructor(@Inject(SIMULATOR_CONFIG) config: SimulatorSettings) {
    this.keepBacklog = config.SIMULATOR_MQTT_ENABLED;
    this.pltcm = { seed: config.SIMULATOR_SEED, coilSeconds: config.SIMULATOR_COIL_SECONDS };
    this.cells = new CellLine(
      {
        seed: config.SIMULATOR_SEED,
        line: config.SIMULATOR_CELL_LINE,
        signalPeriodMs: config.SIMULATOR_MQTT_PERIOD_MS,
        cellPeriodMs: config.SIMULATOR_CELL_PERIOD_MS,
        speedSetpointRpm: config.SIMULATOR_CELL_SPEED_SETPOINT_RPM,
        speedDriftRpmPerHour: config.SIMULATOR_CELL_SPEED_DRIFT_RPM_PER_HOUR,
        fqcDelayMs: config.SIMULATOR_FQC_DELAY_MS,
        oqcDelayMs: config.SIMULATOR_OQC_DELAY_MS,
      },
      Date.now(),
    );
  }

  /** Applies a CAS_01 speed setpoint now; throws a RangeError for a value the drive refuses. */
  setSpeedSetpoint(rpm: number, nowMs: number = Date.now()): void {
    this.keep(this.cells.setSpeedSetpoint(rpm, nowMs));
  }

  /** Everything the battery line produced up to `nowMs` that nobody has taken yet. */
  drainCells(nowMs: number): CellLineOutput {
    this.keep(this.cells.advanceTo(nowMs));
    const drained = {
      signals: this.backlog.signals.splice(0),
      inspections: this.backlog.inspections.splice(0),
      completedOrders: this.backlog.completedOrders.splice(0),
    };
    return drained;
  }

  private keep(output: CellLineOutput): void {
    if (!this.keepBacklog) return;
    this.backlog.signals.push(...output.signals);
    this.backlog.inspections.push(...output.inspections);
    this.backlog.completedOrders.push(...output.completedOrders);
  }
}
