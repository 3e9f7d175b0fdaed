import type { MachineCommand } from '@millrace/schema';
import { usToMs, type EpochMs } from '@millrace/time';
import type { CommandTarget } from './targets.js';

/** What the executor knows of a target between commands. */
export interface TargetState {
  /** When a command was last executed (written, or dry-run) on it. */
  lastExecutedMs?: EpochMs;
}

export type SafetyDecision = { ok: true; value: number; detail: string } | { ok: false; reason: string };

export interface SafetyOptions {
  /** A command older than this (by its `ts`) is refused: after an outage, a backlog must not drive the plant. */
  maxAgeMs: number;
}

/**
 * Whether a command may be executed now. Pure: the current value is read by the caller (an OPC UA
 * read, or for an MQTT target, which cannot be read back, the last value written). With none known
 * (the first command to an MQTT target) only min and max bound the change.
 */
export function checkCommand(
  command: MachineCommand,
  target: CommandTarget | undefined,
  state: TargetState,
  current: number | undefined,
  nowMs: EpochMs,
  options: SafetyOptions,
): SafetyDecision {
  if (target === undefined) {
    return { ok: false, reason: `${command.machine}/${command.setpoint} is not an allow-listed target` };
  }
  const unit = target.unit === undefined ? '' : ` ${target.unit}`;
  if (command.unit !== undefined && target.unit !== undefined && command.unit !== target.unit) {
    return { ok: false, reason: `unit ${command.unit} does not match the target's ${target.unit}` };
  }
  const ageMs = nowMs - usToMs(command.ts);
  if (ageMs > options.maxAgeMs) {
    return {
      ok: false,
      reason: `command is ${Math.round(ageMs / 1000)} s old (limit ${options.maxAgeMs / 1000} s)`,
    };
  }
  if (!Number.isFinite(command.value)) return { ok: false, reason: 'value is not a finite number' };
  if (command.value < target.min || command.value > target.max) {
    return {
      ok: false,
      reason: `value ${command.value}${unit} is outside ${target.min}-${target.max}${unit}`,
    };
  }
  const step = current === undefined ? 0 : Math.abs(command.value - current);
  if (current !== undefined && step > target.maxStep) {
    return {
      ok: false,
      reason: `step ${round(step)}${unit} from ${round(current)}${unit} exceeds the maximum step ${target.maxStep}${unit}`,
    };
  }
  if (state.lastExecutedMs !== undefined && nowMs - state.lastExecutedMs < target.minIntervalMs) {
    const waitS = Math.ceil((target.minIntervalMs - (nowMs - state.lastExecutedMs)) / 1000);
    return {
      ok: false,
      reason: `rate limit: one command per ${target.minIntervalMs / 1000} s on this target; next in ${waitS} s`,
    };
  }
  const from = current === undefined ? 'current value unknown' : `from ${round(current)}${unit}`;
  return { ok: true, value: command.value, detail: `${from} to ${command.value}${unit}` };
}

const round = (value: number): number => Math.round(value * 1000) / 1000;
