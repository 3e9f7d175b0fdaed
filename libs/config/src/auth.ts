import { z } from 'zod';
import { configField } from './fields.js';

const role = z.enum(['viewer', 'operator', 'engineer', 'admin']);

/**
 * API authentication keys (libs/auth), spread into the schema of every service with an HTTP API that
 * writes. Tokens are configured as hashes only; see docs/mes-bridge.md, "Authentication".
 */
export const authConfigShape = {
  /** JSON file `{ "tokens": [{ "name", "role", "sha256" }] }`; hashes of the bearer tokens, never the tokens. */
  AUTH_TOKENS_FILE: z.string().min(1).optional(),
  /** The same as a list `name:role:sha256hex` separated by commas; adds to the file. */
  AUTH_TOKENS: z.string().min(1).optional(),
  /** Role a GET needs; `none` leaves read routes open. */
  AUTH_READ_ROLE: z.enum(['none', ...role.options]).default('none'),
  /** Role a write route without its own role needs (a route forgotten by its author is still protected). */
  AUTH_WRITE_ROLE: role.default('operator'),
  /**
   * With no token configured, generate one token per role into `<MILLRACE_DATA_DIR>/auth/dev-tokens.json`
   * at first start and log them, so `npm start` works out of the box. Turn off in production.
   */
  AUTH_DEV_TOKENS: configField.boolean(true),
};
