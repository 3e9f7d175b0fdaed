import type { MachineCommand } from '@millrace/schema';
import { epochMs, epochUs } from '@millrace/time';
import { describe, expect, it } from 'vitest';
import { checkCommand } from './safety.js';
import { DEFAULT_COMMAND_TARGETS, type CommandTarget } from './targets.js';

const NOW = epochMs(1_751_356_800_000);
const target = DEFAULT_COMMAND_TARGETS[0] as CommandTarget;
const command = (over: Partial<MachineCommand> = {}): MachineCommand => ({
  commandId: '6f1c1f4e-3f5b-4b7e-9b1a-2d3c4e5f6a7b',
  ts: epochUs(NOW * 1000 - 1_000_000),
  machine: 'CAS_01',
  setpoint: 'speed_setpoint',
  value: 950,
  reason: 'high risk rate',
  issuedBy: { kind: 'model', id: 'risk-v1' },
  dryRun: false,
  ...over,
});
const options = { maxAgeMs: 60_000 };

describe('checkCommand', () => {
  it('accepts a command within bounds, step and rate', () => {
    expect(checkCommand(command(), target, {}, 1_000, NOW, options)).toEqual({
      ok: true,
      value: 950,
      detail: 'from 1000 rpm to 950 rpm',
    });
  });

  it('refuses a target not on the allow-list', () => {
    const result = checkCommand(command({ machine: 'FORM_01' }), undefined, {}, 1_000, NOW, options);
    expect(result).toEqual({ ok: false, reason: 'FORM_01/speed_setpoint is not an allow-listed target' });
  });

  it('refuses values outside min/max', () => {
    expect(checkCommand(command({ value: 1_500 }), target, {}, 1_400, NOW, options)).toEqual({
      ok: false,
      reason: 'value 1500 rpm is outside 600-1400 rpm',
    });
    expect(checkCommand(command({ value: 599 }), target, {}, 650, NOW, options)).toMatchObject({ ok: false });
  });

  it('refuses a step larger than maxStep from the current value', () => {
    expect(checkCommand(command({ value: 850 }), target, {}, 1_000, NOW, options)).toEqual({
      ok: false,
      reason: 'step 150 rpm from 1000 rpm exceeds the maximum step 100 rpm',
    });
    // Unknown current value (first MQTT command): min/max only.
    expect(checkCommand(command({ value: 700 }), target, {}, undefined, NOW, options)).toMatchObject({
      ok: true,
    });
  });

  it('rate-limits executions on one target', () => {
    const state = { lastExecutedMs: epochMs(NOW - 4_000) };
    expect(checkCommand(command(), target, state, 1_000, NOW, options)).toEqual({
      ok: false,
      reason: 'rate limit: one command per 10 s on this target; next in 6 s',
    });
    expect(
      checkCommand(command(), target, { lastExecutedMs: epochMs(NOW - 10_000) }, 1_000, NOW, options),
    ).toMatchObject({
      ok: true,
    });
  });

  it('refuses a stale command and a unit mismatch', () => {
    const stale = command({ ts: epochUs((NOW - 120_000) * 1000) });
    expect(checkCommand(stale, target, {}, 1_000, NOW, options)).toEqual({
      ok: false,
      reason: 'command is 120 s old (limit 60 s)',
    });
    expect(checkCommand(command({ unit: 'Hz' }), target, {}, 1_000, NOW, options)).toMatchObject({
      ok: false,
      reason: "unit Hz does not match the target's rpm",
    });
  });
});
