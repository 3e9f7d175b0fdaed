import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bearerToken } from './guard.js';
import { roleSatisfies } from './roles.js';
import { loadAuth } from './settings.js';
import {
  ensureDevTokens,
  generateToken,
  hashToken,
  parseTokenList,
  readTokenFile,
  TokenRegistry,
} from './tokens.js';

const dirs: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'millrace-auth-'));
  dirs.push(dir);
  return dir;
};
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const config = (over: Record<string, unknown> = {}) => ({
  MILLRACE_DATA_DIR: tempDir(),
  AUTH_READ_ROLE: 'none' as const,
  AUTH_WRITE_ROLE: 'operator' as const,
  AUTH_DEV_TOKENS: false,
  ...over,
});

describe('roles', () => {
  it('orders people viewer < operator < engineer < admin', () => {
    expect(roleSatisfies('operator', ['viewer'])).toBe(true);
    expect(roleSatisfies('operator', ['operator'])).toBe(true);
    expect(roleSatisfies('operator', ['engineer'])).toBe(false);
    expect(roleSatisfies('viewer', ['operator'])).toBe(false);
    expect(roleSatisfies('admin', ['engineer'])).toBe(true);
  });

  it('keeps the MES token outside the ladder: it reads and pushes orders, nothing else', () => {
    expect(roleSatisfies('mes', ['mes'])).toBe(true);
    expect(roleSatisfies('mes', ['viewer'])).toBe(true);
    expect(roleSatisfies('mes', ['operator'])).toBe(false);
    expect(roleSatisfies('engineer', ['mes'])).toBe(false);
    expect(roleSatisfies('admin', ['mes'])).toBe(true);
    expect(roleSatisfies('engineer', ['mes', 'engineer'])).toBe(true);
  });
});

describe('TokenRegistry', () => {
  it('knows a token by its hash only, and refuses a wrong or short one', () => {
    const token = generateToken();
    const registry = new TokenRegistry([{ name: 'alice', role: 'operator', sha256: hashToken(token) }]);
    expect(registry.authenticate(token)).toEqual({ name: 'alice', role: 'operator' });
    expect(registry.authenticate(`${token}x`)).toBeUndefined();
    expect(registry.authenticate('short')).toBeUndefined();
    expect(registry.authenticate('')).toBeUndefined();
  });

  it('refuses the same token configured twice', () => {
    const sha256 = hashToken(generateToken());
    expect(
      () =>
        new TokenRegistry([
          { name: 'a', role: 'viewer', sha256 },
          { name: 'b', role: 'admin', sha256 },
        ]),
    ).toThrow(/configured twice/);
  });

  it('makes the same hash as sha256sum of the token', () => {
    // printf %s abc | sha256sum
    expect(hashToken('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('configuration', () => {
  it('parses AUTH_TOKENS and names the bad entry', () => {
    const sha = hashToken(generateToken());
    expect(parseTokenList(`mes:mes:${sha}, bob:viewer:${sha}`)).toHaveLength(2);
    expect(() => parseTokenList(`mes:mes:${sha},bob:king:${sha}`)).toThrow(/entry 2.*role/);
    expect(() => parseTokenList(`mes:mes:${sha.toUpperCase()}`)).toThrow(/sha256/);
    expect(() => parseTokenList(`mes:mes:${sha}:extra`)).toThrow(/too many/);
  });

  it('reads a token file and refuses one with plain tokens', () => {
    const dir = tempDir();
    const token = generateToken();
    const path = join(dir, 'tokens.json');
    writeFileSync(path, JSON.stringify({ tokens: [{ name: 'mes', role: 'mes', sha256: hashToken(token) }] }));
    expect(readTokenFile(path)).toHaveLength(1);
    writeFileSync(path, JSON.stringify({ tokens: [{ name: 'mes', role: 'mes', token }] }));
    expect(() => readTokenFile(path)).toThrow(/sha256/);
    expect(() => loadAuth(config({ AUTH_TOKENS_FILE: join(dir, 'missing.json') }))).toThrow(/cannot read/);
  });

  it('with no token and dev tokens off, accepts nobody (locked, not open)', () => {
    const { settings, dev } = loadAuth(config());
    expect(settings.registry.size).toBe(0);
    expect(dev).toBeUndefined();
  });

  it('makes dev tokens once, private, and every later load (another service) reads the same', () => {
    const dataDir = tempDir();
    const first = loadAuth(config({ MILLRACE_DATA_DIR: dataDir, AUTH_DEV_TOKENS: true }));
    expect(first.dev?.created).toBe(true);
    const path = join(dataDir, 'auth', 'dev-tokens.json');
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const second = loadAuth(config({ MILLRACE_DATA_DIR: dataDir, AUTH_DEV_TOKENS: true }));
    expect(second.dev?.created).toBe(false);
    expect(second.dev?.tokens).toEqual(first.dev?.tokens);
    const tokens = JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>;
    expect(second.settings.registry.authenticate(tokens.mes ?? '')).toEqual({ name: 'dev-mes', role: 'mes' });
  });

  it('two services racing to make dev tokens end with one set', () => {
    const dir = tempDir();
    const results = Array.from({ length: 5 }, () => ensureDevTokens(dir));
    expect(results.filter((result) => result.created)).toHaveLength(1);
    expect(new Set(results.map((result) => result.tokens.admin)).size).toBe(1);
  });
});

describe('bearerToken', () => {
  it('takes the RFC 6750 form only', () => {
    expect(bearerToken('Bearer abc.DEF-_~+/=')).toBe('abc.DEF-_~+/=');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
    expect(bearerToken(['Bearer a'])).toBeUndefined();
  });
});
