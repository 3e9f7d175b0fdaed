import { join } from 'node:path';
import { AuthError } from './errors.js';
import type { Role } from './roles.js';
import {
  ensureDevTokens,
  hashToken,
  parseTokenList,
  readTokenFile,
  TokenRegistry,
  type TokenEntry,
} from './tokens.js';

/** The `authConfigShape` keys of @millrace/config, plus the data folder for development tokens. */
export interface AuthConfig {
  readonly MILLRACE_DATA_DIR: string;
  readonly AUTH_TOKENS_FILE?: string | undefined;
  readonly AUTH_TOKENS?: string | undefined;
  readonly AUTH_READ_ROLE: Role | 'none';
  readonly AUTH_WRITE_ROLE: Role;
  readonly AUTH_DEV_TOKENS: boolean;
}

/** What the guard enforces. */
export interface AuthSettings {
  readonly registry: TokenRegistry;
  /** Role a read (GET, HEAD) needs when its route names none; `none`: open. */
  readonly readRole: Role | 'none';
  /** Role any other method needs when its route names none. */
  readonly writeRole: Role;
}

export interface LoadedAuth {
  settings: AuthSettings;
  /** Set when development tokens are in use: the service logs where they are (and them, once made). */
  dev?: { path: string; created: boolean; tokens: Record<Role, string> };
}

/**
 * Builds the token registry from the file and the env list; with neither, and `AUTH_DEV_TOKENS` on,
 * from the development tokens in `<MILLRACE_DATA_DIR>/auth`. With no token at all every protected
 * route refuses: a misconfiguration locks the API instead of opening it.
 */
export function loadAuth(config: AuthConfig): LoadedAuth {
  const entries: TokenEntry[] = [];
  if (config.AUTH_TOKENS_FILE !== undefined) entries.push(...readTokenFile(config.AUTH_TOKENS_FILE));
  if (config.AUTH_TOKENS !== undefined) entries.push(...parseTokenList(config.AUTH_TOKENS));
  const base = { readRole: config.AUTH_READ_ROLE, writeRole: config.AUTH_WRITE_ROLE };
  if (entries.length > 0 || !config.AUTH_DEV_TOKENS) {
    return { settings: { ...base, registry: new TokenRegistry(entries) } };
  }
  const dev = ensureDevTokens(join(config.MILLRACE_DATA_DIR, 'auth'));
  const devEntries = Object.entries(dev.tokens).map(([role, token]) => ({
    name: `dev-${role}`,
    role: role as Role,
    sha256: hashToken(token),
  }));
  if (devEntries.length === 0) throw new AuthError(`no dev tokens in ${dev.path}`, false);
  return { settings: { ...base, registry: new TokenRegistry(devEntries) }, dev };
}
