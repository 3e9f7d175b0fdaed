import { z } from 'zod';

/** Field builders for env-style config: every value arrives as a string and is coerced here, once. */
export const configField = {
  string: (fallback?: string) =>
    fallback === undefined ? z.string().min(1) : z.string().min(1).default(fallback),
  integer: (fallback: number, min = 0, max = Number.MAX_SAFE_INTEGER) =>
    z.coerce.number().int().min(min).max(max).default(fallback),
  port: (fallback: number) => z.coerce.number().int().min(1).max(65_535).default(fallback),
  boolean: (fallback: boolean) =>
    z
      .enum(['true', 'false', '1', '0', 'yes', 'no'])
      .default(fallback ? 'true' : 'false')
      .transform((value) => value === 'true' || value === '1' || value === 'yes'),
  url: (fallback: string, protocols: readonly string[]) =>
    z
      .string()
      .default(fallback)
      .refine(
        (value) => {
          try {
            return protocols.includes(new URL(value).protocol.replace(/:$/, ''));
          } catch {
            return false;
          }
        },
        `must be a URL with protocol ${protocols.join(' or ')}`,
      ),
  /** Comma-separated `host:port` list, as Kafka clients take bootstrap servers. */
  hostPortList: (fallback: string) =>
    z
      .string()
      .default(fallback)
      .transform((value) =>
        value
          .split(',')
          .map((part) => part.trim())
          .filter(Boolean),
      )
      .pipe(
        z
          .array(z.string().regex(/^[A-Za-z0-9.\-[\]:]+:\d{1,5}$/, 'each entry must be host:port'))
          .min(1, 'needs at least one host:port'),
      ),
  logLevel: () => z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  /** Optional JSON text, parsed here; its shape is checked by the service that owns the schema. */
  json: () =>
    z
      .string()
      .optional()
      .transform((text, context): unknown => {
        if (text === undefined) return undefined;
        try {
          return JSON.parse(text) as unknown;
        } catch (error) {
          context.addIssue({ code: 'custom', message: `not JSON: ${(error as Error).message}` });
          return z.NEVER;
        }
      }),
  /** Bound of a store-and-forward spool on disk (libs/spool). */
  spoolMaxBytes: () =>
    z.coerce
      .number()
      .int()
      .min(1024 * 1024)
      .default(1024 * 1024 * 1024), // 1 GiB
};
