import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { provisionStack, startStack, type RunningStack, type StackPorts } from '@millrace/infra';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Ports of a benchmark's own stack in the dev stack's pattern (9092, 9000, 8812, ...) moved to
 * `thousands` (and `offset`): benches that may run side by side each take their own.
 */
export function benchPorts(thousands: number, offset = 0): StackPorts {
  const base = thousands * 1_000 + offset;
  return {
    kafka: base + 92,
    kafkaController: base + 93,
    questdbHttp: base,
    questdbPg: base - 1_000 + 812,
    questdbIlp: base + 9,
    mqtt: Math.floor(thousands / 10) * 10_000 + 1_883 + offset,
  };
}

/** Ports of a benchmark's own stack, clear of the dev stack and of the test stack. */
export const BENCH_PORTS: StackPorts = benchPorts(29);

/**
 * A fresh Kafka + QuestDB + Mosquitto for one benchmark run, so a figure never depends on leftovers.
 * A bench that may run while another holds {@link BENCH_PORTS} passes ports of its own.
 */
export async function startBenchStack(name: string, ports: StackPorts = BENCH_PORTS): Promise<RunningStack> {
  const stack = await startStack({
    dataDir: `${repoRoot}.millrace/bench-${name}`,
    cacheDir: `${repoRoot}.millrace/cache`,
    ports,
    fresh: true,
    log: () => undefined,
  });
  await provisionStack(stack.addresses, () => undefined);
  return stack;
}

export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** Resident set size of a process in MB, from /proc (Linux). */
export function rssMb(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) / 1024 : Number.NaN;
}

/** CPU time a process has used, user + system, in ms (Linux /proc; clock ticks of 10 ms). */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/**
 * Waits until a process has used under `share` of one core for a whole `windowMs` (e.g. QuestDB done
 * with the merges and housekeeping a bulk load leaves behind), at most `timeoutMs`; returns the wait in ms.
 */
export async function quiet(
  pid: number,
  share = 0.05,
  windowMs = 2_000,
  timeoutMs = 120_000,
): Promise<number> {
  const started = Date.now();
  for (;;) {
    const before = cpuMs(pid);
    await new Promise((resolve) => setTimeout(resolve, windowMs));
    if (cpuMs(pid) - before < share * windowMs || Date.now() - started > timeoutMs)
      return Date.now() - started;
  }
}

export async function until(
  check: () => Promise<boolean>,
  timeoutMs: number,
  what: string,
  everyMs = 100,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** One line per figure, `name: value unit (goal)`, so docs/benchmarks.md can quote it as printed. */
export function figure(name: string, value: number, unit: string, goal: string): void {
  const shown =
    Number.isInteger(value) || Math.abs(value) >= 100
      ? Math.round(value).toLocaleString('en-US')
      : value.toFixed(2);
  console.log(`${name}: ${shown} ${unit}  (goal: ${goal})`);
}
