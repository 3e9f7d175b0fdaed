import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { addressesShape, configField, ConfigError, describeConfig, loadConfig } from './index.js';

const schema = z.object({
  ...addressesShape,
  SERVICE_PORT: configField.port(8080),
  KAFKA_SESSION_TIMEOUT_MS: configField.integer(30_000, 1_000),
  MES_API_TOKEN: configField.string('dev-token'),
  DRY_RUN: configField.boolean(false),
});

describe('loadConfig', () => {
  it('applies defaults and coerces env strings', () => {
    const config = loadConfig(schema, { env: { SERVICE_PORT: '9999', DRY_RUN: 'yes' } });
    expect(config.SERVICE_PORT).toBe(9999);
    expect(config.DRY_RUN).toBe(true);
    expect(config.MILLRACE_KAFKA_BROKERS).toEqual(['127.0.0.1:9092']);
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('splits a broker list', () => {
    const config = loadConfig(schema, { env: { MILLRACE_KAFKA_BROKERS: 'k1:9092, k2:9092' } });
    expect(config.MILLRACE_KAFKA_BROKERS).toEqual(['k1:9092', 'k2:9092']);
  });

  it('names every invalid key at once', () => {
    let caught: unknown;
    try {
      loadConfig(schema, {
        env: { SERVICE_PORT: '70000', KAFKA_SESSION_TIMEOUT_MS: 'soon', MILLRACE_QUESTDB_URL: 'ftp://x' },
      });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ConfigError);
    const keys = (caught as ConfigError).issues.map((issue) => issue.key).sort();
    expect(keys).toEqual(['KAFKA_SESSION_TIMEOUT_MS', 'MILLRACE_QUESTDB_URL', 'SERVICE_PORT']);
    expect((caught as ConfigError).message).toContain('SERVICE_PORT');
  });

  it('reads a JSON file and lets the environment override it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'millrace-config-'));
    const file = join(dir, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({ SERVICE_PORT: 7000, DRY_RUN: true, KAFKA_SESSION_TIMEOUT_MS: 5000 }),
    );
    const config = loadConfig(schema, { env: { MILLRACE_CONFIG_FILE: file, SERVICE_PORT: '7001' } });
    expect(config.SERVICE_PORT).toBe(7001);
    expect(config.DRY_RUN).toBe(true);
    expect(config.KAFKA_SESSION_TIMEOUT_MS).toBe(5000);
  });

  it('rejects an unreadable config file with its key', () => {
    expect(() => loadConfig(schema, { env: { MILLRACE_CONFIG_FILE: '/nonexistent/millrace.json' } })).toThrow(
      /MILLRACE_CONFIG_FILE: cannot read/,
    );
  });
});

describe('describeConfig', () => {
  it('masks secrets and URL passwords', () => {
    const lines = describeConfig(loadConfig(schema, { env: { MES_API_TOKEN: 'hunter2' } }));
    expect(lines).toContain('MES_API_TOKEN=****');
    expect(lines).toContain('MILLRACE_QUESTDB_PG_URL=postgresql://admin:****@127.0.0.1:8812/qdb');
    expect(lines.join('\n')).not.toContain('hunter2');
    expect(lines.join('\n')).not.toContain(':quest@');
  });
});

describe('list values', () => {
  it('names the env var and the failing entry of a list', () => {
    expect(() => loadConfig(schema, { env: { MILLRACE_KAFKA_BROKERS: 'k1:9092,nonsense' } })).toThrow(
      /MILLRACE_KAFKA_BROKERS: entry 1: each entry must be host:port/,
    );
  });
});

describe('JSON values', () => {
  const withJson = z.object({ RULES: configField.json(), SPOOL_MAX_BYTES: configField.spoolMaxBytes() });

  it('parses JSON text, leaves an unset key undefined, and names a key that is not JSON', () => {
    expect(loadConfig(withJson, { env: { RULES: '[{"a":1}]' } }).RULES).toEqual([{ a: 1 }]);
    expect(loadConfig(withJson, { env: {} })).toEqual({ RULES: undefined, SPOOL_MAX_BYTES: 1024 ** 3 });
    expect(() => loadConfig(withJson, { env: { RULES: '[{' } })).toThrow(/RULES: not JSON/);
  });
});
