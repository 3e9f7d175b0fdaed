import { Observability } from '@millrace/observability';
import type { MachineCommand } from '@millrace/schema';
import { epochMs, epochUs } from '@millrace/time';
import { describe, expect, it } from 'vitest';
import { CommandExecutor } from './command-executor.js';
import { DEFAULT_COMMAND_TARGETS, type CommandTarget } from './targets.js';

let clock = 1_751_356_800_000;
const command = (over: Partial<MachineCommand> = {}): MachineCommand => ({
  commandId: crypto.randomUUID(),
  ts: epochUs(clock * 1000),
  machine: 'CAS_01',
  setpoint: 'speed_setpoint',
  value: 950,
  reason: 'test',
  issuedBy: { kind: 'user', id: 'op' },
  dryRun: false,
  ...over,
});

function executor(over: { dryRun?: boolean; failWrite?: boolean; targets?: CommandTarget[] } = {}) {
  const writes: { via: string; value: number }[] = [];
  let value = 1_000;
  const observability = new Observability('test', { logLevel: 'silent', defaultMetrics: false });
  const instance = new CommandExecutor({
    targets: over.targets ?? [...DEFAULT_COMMAND_TARGETS],
    dryRun: over.dryRun ?? false,
    maxAgeMs: 60_000,
    opcua: {
      read: () => Promise.resolve(value),
      write: (_target, next) => {
        if (over.failWrite) return Promise.reject(new Error('BadNotWritable'));
        writes.push({ via: 'opcua', value: next });
        value = next;
        return Promise.resolve();
      },
    },
    mqtt: {
      write: (_topic, next) => {
        writes.push({ via: 'mqtt', value: next });
        return Promise.resolve();
      },
    },
    metrics: observability.metrics,
    logger: observability.logger,
    now: () => epochMs(clock),
  });
  return { instance, writes };
}

describe('CommandExecutor', () => {
  it('writes an accepted command and answers a re-delivery without writing again', async () => {
    const { instance, writes } = executor();
    const first = command();
    expect(await instance.execute(first)).toMatchObject({ result: 'accepted', appliedValue: 950 });
    expect(await instance.execute(first)).toMatchObject({ result: 'accepted' });
    expect(writes).toEqual([{ via: 'opcua', value: 950 }]);
  });

  it('rate-limits the next command, then allows it', async () => {
    const { instance } = executor();
    await instance.execute(command());
    clock += 2_000;
    expect(await instance.execute(command({ value: 900, ts: epochUs(clock * 1000) }))).toMatchObject({
      result: 'rejected',
      detail: expect.stringMatching(/rate limit/),
    });
    clock += 10_000;
    expect(await instance.execute(command({ value: 900, ts: epochUs(clock * 1000) }))).toMatchObject({
      result: 'accepted',
    });
  });

  it('writes nothing in a dry run, by command or by config', async () => {
    const { instance, writes } = executor();
    expect(await instance.execute(command({ dryRun: true }))).toMatchObject({
      result: 'accepted',
      detail: expect.stringMatching(/dry run \(command\)/),
    });
    const bridge = executor({ dryRun: true });
    expect(await bridge.instance.execute(command())).toMatchObject({
      result: 'accepted',
      detail: expect.stringMatching(/dry run \(bridge\)/),
    });
    expect([...writes, ...bridge.writes]).toEqual([]);
  });

  it('reports a failed write as failed', async () => {
    const { instance } = executor({ failWrite: true });
    expect(await instance.execute(command({ ts: epochUs(clock * 1000) }))).toMatchObject({
      result: 'failed',
      detail: 'BadNotWritable',
    });
  });

  it('checks an MQTT target against the last value it wrote', async () => {
    const mqtt: CommandTarget = {
      machine: 'M',
      setpoint: 's',
      via: 'mqtt',
      topic: 't',
      min: 0,
      max: 100,
      maxStep: 10,
      minIntervalMs: 0,
    };
    const { instance, writes } = executor({ targets: [mqtt] });
    const at = () => epochUs(clock * 1000);
    expect(
      await instance.execute(command({ machine: 'M', setpoint: 's', value: 50, ts: at() })),
    ).toMatchObject({ result: 'accepted' });
    expect(
      await instance.execute(command({ machine: 'M', setpoint: 's', value: 70, ts: at() })),
    ).toMatchObject({ result: 'rejected' });
    expect(
      await instance.execute(command({ machine: 'M', setpoint: 's', value: 58, ts: at() })),
    ).toMatchObject({ result: 'accepted' });
    expect(writes).toEqual([
      { via: 'mqtt', value: 50 },
      { via: 'mqtt', value: 58 },
    ]);
  });
});
