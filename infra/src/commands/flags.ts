import { isoToUs, type EpochUs } from '@millrace/time';

export class UsageError extends Error {
  override name = 'UsageError';
}

/** `--name value` and `--switch` flags; anything else, or a flag not in `allowed`, is a usage error. */
export function parseFlags(
  args: readonly string[],
  allowed: { values: readonly string[]; switches?: readonly string[] },
): Map<string, string | true> {
  const flags = new Map<string, string | true>();
  for (let index = 0; index < args.length; index += 1) {
    const arg = args[index]!;
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    if (name !== undefined && allowed.switches?.includes(name)) {
      flags.set(name, true);
    } else if (name !== undefined && allowed.values.includes(name)) {
      const value = args[index + 1];
      if (value === undefined || value.startsWith('--')) throw new UsageError(`--${name} needs a value`);
      flags.set(name, value);
      index += 1;
    } else {
      throw new UsageError(`unknown argument ${arg}`);
    }
  }
  return flags;
}

export function requiredFlag(flags: Map<string, string | true>, name: string): string {
  const value = flags.get(name);
  if (typeof value !== 'string') throw new UsageError(`--${name} is required`);
  return value;
}

/** An instant on the command line: ISO-8601 with a zone (`2026-11-20T06:00:00Z`, `...+01:00`). */
export function instantFlag(flags: Map<string, string | true>, name: string): EpochUs {
  const text = requiredFlag(flags, name);
  try {
    return isoToUs(text);
  } catch {
    throw new UsageError(
      `--${name} must be an ISO-8601 instant with a zone, e.g. 2026-11-20T06:00:00Z; got ${text}`,
    );
  }
}
