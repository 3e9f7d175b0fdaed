import type { Logger } from '@millrace/observability';
import type { CommandResult, MachineCommand } from '@millrace/schema';
import { epochMs, nowUs, type EpochMs } from '@millrace/time';
import { Counter, type Registry } from 'prom-client';
import type { MqttSetpointWriter, OpcuaSetpointWriter } from './machine-writers.js';
import { checkCommand, type TargetState } from './safety.js';
import { targetKey, type CommandTarget } from './targets.js';

export interface CommandExecutorOptions {
  targets: readonly CommandTarget[];
  /** Global dry run: every command is checked and audited, nothing is written. */
  dryRun: boolean;
  maxAgeMs: number;
  opcua: Pick<OpcuaSetpointWriter, 'read' | 'write'>;
  mqtt: Pick<MqttSetpointWriter, 'write'>;
  metrics: Registry;
  logger: Logger;
  now?: () => EpochMs;
}

const REMEMBERED_RESULTS = 10_000;

/**
 * Executes machine commands one at a time: allow-list, bounds, step and rate checks (safety.ts),
 * then the write. Results are remembered by command id, so a command delivered twice (a Kafka batch
 * retried after its result could not be sent) is answered again without writing twice.
 */
export class CommandExecutor {
  private readonly targets = new Map<string, CommandTarget>();
  private readonly states = new Map<string, TargetState & { lastWritten?: number }>();
  private readonly results = new Map<string, CommandResult>();
  private readonly outcomes: Counter<'result'>;
  private readonly now: () => EpochMs;

  constructor(private readonly options: CommandExecutorOptions) {
    for (const target of options.targets)
      this.targets.set(targetKey(target.machine, target.setpoint), target);
    this.now = options.now ?? (() => epochMs(Date.now()));
    this.outcomes = new Counter({
      name: 'millrace_mes_commands_total',
      help: 'Machine commands by result (accepted, rejected, failed)',
      labelNames: ['result'],
      registers: [options.metrics],
    });
  }

  async execute(command: MachineCommand): Promise<CommandResult> {
    const known = this.results.get(command.commandId);
    if (known) return known;
    const result = await this.run(command);
    this.results.set(command.commandId, result);
    if (this.results.size > REMEMBERED_RESULTS) {
      const oldest = this.results.keys().next().value;
      if (oldest !== undefined) this.results.delete(oldest);
    }
    this.outcomes.inc({ result: result.result });
    this.options.logger.info(
      {
        commandId: command.commandId,
        machine: command.machine,
        setpoint: command.setpoint,
        value: command.value,
        issuedBy: command.issuedBy,
        result: result.result,
        detail: result.detail,
      },
      'machine command',
    );
    return result;
  }

  private async run(command: MachineCommand): Promise<CommandResult> {
    const key = targetKey(command.machine, command.setpoint);
    const target = this.targets.get(key);
    const state = this.states.get(key) ?? {};
    const base = { commandId: command.commandId, machine: command.machine, setpoint: command.setpoint };
    const finish = (
      result: CommandResult['result'],
      detail: string,
      appliedValue?: number,
    ): CommandResult => ({
      ...base,
      ts: nowUs(),
      result,
      detail: detail.slice(0, 1024),
      ...(appliedValue === undefined ? {} : { appliedValue }),
    });
    let current: number | undefined;
    if (target?.via === 'opcua') {
      try {
        current = await this.options.opcua.read(target);
      } catch (error) {
        return finish('failed', `cannot read the current value: ${(error as Error).message}`);
      }
    } else if (target?.via === 'mqtt') {
      current = state.lastWritten;
    }
    const now = this.now();
    const decision = checkCommand(command, target, state, current, now, { maxAgeMs: this.options.maxAgeMs });
    if (!decision.ok || target === undefined)
      return finish('rejected', decision.ok ? 'no target' : decision.reason);
    if (command.dryRun || this.options.dryRun) {
      return finish(
        'accepted',
        `dry run (${command.dryRun ? 'command' : 'bridge'}): would set ${decision.detail}; nothing written`,
      );
    }
    try {
      if (target.via === 'opcua') await this.options.opcua.write(target, decision.value);
      else await this.options.mqtt.write(target.topic, decision.value);
    } catch (error) {
      return finish('failed', (error as Error).message);
    }
    this.states.set(key, { lastExecutedMs: now, lastWritten: decision.value });
    return finish('accepted', `set ${decision.detail} via ${target.via}`, decision.value);
  }
}
