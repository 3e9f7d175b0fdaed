import { readFileSync } from 'node:fs';
import type { z } from 'zod';
import { ConfigError, type ConfigIssue } from './errors.js';

/** Env var that names an optional JSON file of config keys; the environment overrides the file. */
export const CONFIG_FILE_KEY = 'MILLRACE_CONFIG_FILE';

export interface LoadConfigOptions {
  env?: Readonly<Record<string, string | undefined>>;
}

type ConfigShape = z.ZodRawShape;

/**
 * Parses a service's config once: keys are the env var names (units in the name, e.g. `..._MS`),
 * values come from the environment, falling back to the JSON file named by `MILLRACE_CONFIG_FILE`.
 * Throws {@link ConfigError} naming every invalid key. The result is frozen.
 */
export function loadConfig<Shape extends ConfigShape>(
  schema: z.ZodObject<Shape>,
  options: LoadConfigOptions = {},
): Readonly<z.infer<z.ZodObject<Shape>>> {
  const env = options.env ?? process.env;
  const raw: Record<string, unknown> = { ...readConfigFile(env[CONFIG_FILE_KEY]) };
  for (const key of Object.keys(schema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') raw[key] = value;
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue): ConfigIssue => {
        // The key is the env var; a deeper path (a list's entry) belongs to the message.
        const [key = '(root)', ...rest] = issue.path.map(String);
        return {
          key,
          message: rest.length > 0 ? `entry ${rest.join('.')}: ${issue.message}` : issue.message,
        };
      }),
    );
  }
  return Object.freeze(parsed.data);
}

function readConfigFile(path: string | undefined): Record<string, unknown> {
  if (!path) return {};
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError([
      { key: CONFIG_FILE_KEY, message: `cannot read ${path}: ${(error as Error).message}` },
    ]);
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new ConfigError([
      { key: CONFIG_FILE_KEY, message: `${path} is not JSON: ${(error as Error).message}` },
    ]);
  }
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new ConfigError([
      { key: CONFIG_FILE_KEY, message: `${path} must hold a JSON object of config keys` },
    ]);
  }
  // File values may be numbers or booleans; the schemas coerce from strings, so normalise to what env would give.
  return Object.fromEntries(
    Object.entries(data).map(([key, value]) => [
      key,
      typeof value === 'string' ? value : JSON.stringify(value),
    ]),
  );
}

const SECRET_KEY = /(TOKEN|SECRET|PASSWORD|PASSPHRASE|PRIVATE_KEY)/i;

/** Lines for the start-up banner: every key and value, secrets and URL passwords masked. */
export function describeConfig(config: Readonly<Record<string, unknown>>): string[] {
  return Object.keys(config)
    .sort()
    .map((key) => `${key}=${maskValue(key, config[key])}`);
}

function maskValue(key: string, value: unknown): string {
  if (value === undefined) return '(unset)';
  if (SECRET_KEY.test(key)) return '****';
  const text = Array.isArray(value) ? value.join(',') : String(value);
  return text.replace(/(\/\/[^:/@\s]+:)[^@/\s]+@/g, '$1****@');
}
