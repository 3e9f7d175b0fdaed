import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { closeSync, linkSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { AuthError } from './errors.js';
import { ROLES, isRole, type Role } from './roles.js';

/**
 * Tokens are stored as SHA-256, not scrypt: they are 256-bit random strings (generated here, or
 * refused below 32 characters), so there is nothing to brute-force that a slow hash would protect,
 * and a fast hash keeps the check off the request's latency (scrypt at safe cost is ~50 ms a call).
 * Operators can also make the hash with standard tools: `printf %s "$TOKEN" | sha256sum`.
 */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** A new bearer token: `mr_` and 32 random bytes in base64url (43 characters). */
export function generateToken(): string {
  return `mr_${randomBytes(32).toString('base64url')}`;
}

export const MIN_TOKEN_LENGTH = 32;

export interface Principal {
  /** Who holds the token, e.g. `mes`, `alice`; written to audits as the actor. */
  readonly name: string;
  readonly role: Role;
}

const entrySchema = z.object({
  name: z.string().regex(/^[A-Za-z0-9_.@-]{1,64}$/, 'letters, digits, _ . @ - (1-64)'),
  role: z.enum(ROLES as [Role, ...Role[]]),
  sha256: z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits (the SHA-256 of the token)'),
});
export type TokenEntry = z.infer<typeof entrySchema>;
const fileSchema = z.object({ tokens: z.array(entrySchema) });

/** Holds token hashes only; {@link authenticate} hashes what a caller presents and compares in constant time. */
export class TokenRegistry {
  private readonly byHash = new Map<string, { entry: TokenEntry; digest: Buffer }>();

  constructor(entries: readonly TokenEntry[]) {
    for (const entry of entries) {
      if (this.byHash.has(entry.sha256)) {
        throw new AuthError(`token of ${entry.name} is configured twice`, false, { name: entry.name });
      }
      this.byHash.set(entry.sha256, { entry, digest: Buffer.from(entry.sha256, 'hex') });
    }
  }

  get size(): number {
    return this.byHash.size;
  }

  /** The token's holder, or undefined for an unknown token. */
  authenticate(token: string): Principal | undefined {
    if (token.length < MIN_TOKEN_LENGTH || token.length > 512) return undefined;
    const hash = hashToken(token);
    const found = this.byHash.get(hash);
    // The map lookup already matched; the constant-time compare guards against a future lookup by prefix.
    if (!found || !timingSafeEqual(found.digest, Buffer.from(hash, 'hex'))) return undefined;
    return { name: found.entry.name, role: found.entry.role };
  }
}

/** Parses `AUTH_TOKENS`: `name:role:sha256hex` entries separated by commas. */
export function parseTokenList(text: string): TokenEntry[] {
  return text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part, index) => {
      const [name = '', role = '', sha256 = '', ...rest] = part.split(':');
      const parsed = entrySchema.safeParse({ name, role, sha256 });
      if (rest.length > 0 || !parsed.success) {
        const reason = parsed.success
          ? 'too many fields'
          : parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
        throw new AuthError(`AUTH_TOKENS entry ${index + 1} (name:role:sha256): ${reason}`, false);
      }
      return parsed.data;
    });
}

/** Reads an `AUTH_TOKENS_FILE`: `{ "tokens": [{ "name", "role", "sha256" }] }`. */
export function readTokenFile(path: string): TokenEntry[] {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new AuthError(`cannot read token file ${path}: ${(error as Error).message}`, false, { path });
  }
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const reason = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ');
    throw new AuthError(`token file ${path}: ${reason}`, false, { path });
  }
  return parsed.data.tokens;
}

const devFileSchema = z.record(z.string(), z.string().min(MIN_TOKEN_LENGTH));
export const DEV_TOKEN_FILE = 'dev-tokens.json';

/**
 * Development tokens, one per role, in `<dir>/dev-tokens.json` (mode 0600): made at the first start of
 * whichever service comes first and read by the others, so every service of `npm start` accepts the
 * same tokens. The file is created by a hard link of a complete temporary file, which fails if another
 * process made it first: no service ever reads a half-written file or overwrites another's tokens.
 */
export function ensureDevTokens(dir: string): {
  tokens: Record<Role, string>;
  created: boolean;
  path: string;
} {
  const path = join(dir, DEV_TOKEN_FILE);
  const existing = readDevTokens(path);
  if (existing) return { tokens: existing, created: false, path };
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const tokens = Object.fromEntries(ROLES.map((role) => [role, generateToken()])) as Record<Role, string>;
  const temp = join(dir, `${DEV_TOKEN_FILE}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(temp, 'w', 0o600);
  try {
    writeSync(fd, `${JSON.stringify(tokens, null, 2)}\n`);
  } finally {
    closeSync(fd);
  }
  try {
    linkSync(temp, path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const won = readDevTokens(path);
    if (!won) throw new AuthError(`${path} exists but is not a dev token file`, false, { path });
    return { tokens: won, created: false, path };
  } finally {
    rmSync(temp, { force: true });
  }
  return { tokens, created: true, path };
}

function readDevTokens(path: string): Record<Role, string> | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
  const parsed = devFileSchema.safeParse(JSON.parse(text));
  if (!parsed.success) throw new AuthError(`${path} is not a dev token file`, false, { path });
  const tokens: Partial<Record<Role, string>> = {};
  for (const [role, token] of Object.entries(parsed.data)) if (isRole(role)) tokens[role] = token;
  for (const role of ROLES) {
    if (tokens[role] === undefined) throw new AuthError(`${path} has no ${role} token`, false, { path });
  }
  return tokens as Record<Role, string>;
}
