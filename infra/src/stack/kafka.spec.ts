import { describe, expect, it } from 'vitest';
import { newClusterId, renderLog4jProperties, renderServerProperties } from './kafka.js';

function parseProperties(text: string): Map<string, string> {
  const entries = text
    .split('\n')
    .filter((line) => line && !line.startsWith('#'))
    .map((line): [string, string] => {
      const at = line.indexOf('=');
      return [line.slice(0, at), line.slice(at + 1)];
    });
  return new Map(entries);
}

describe('renderServerProperties', () => {
  const props = parseProperties(
    renderServerProperties({
      host: '127.0.0.1',
      port: 19092,
      controllerPort: 19093,
      logDir: '/data/kafka/data',
    }),
  );

  it('configures a single-node KRaft broker+controller on the given ports', () => {
    expect(props.get('process.roles')).toBe('broker,controller');
    expect(props.get('node.id')).toBe('1');
    expect(props.get('controller.quorum.voters')).toBe('1@127.0.0.1:19093');
    expect(props.get('listeners')).toBe('PLAINTEXT://127.0.0.1:19092,CONTROLLER://127.0.0.1:19093');
    expect(props.get('advertised.listeners')).toBe('PLAINTEXT://127.0.0.1:19092');
    expect(props.get('controller.listener.names')).toBe('CONTROLLER');
    expect(props.get('listener.security.protocol.map')).toBe('PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT');
    expect(props.get('log.dirs')).toBe('/data/kafka/data');
  });

  it('sets replication to 1 and turns off topic auto-creation', () => {
    expect(props.get('offsets.topic.replication.factor')).toBe('1');
    expect(props.get('transaction.state.log.replication.factor')).toBe('1');
    expect(props.get('transaction.state.log.min.isr')).toBe('1');
    expect(props.get('group.initial.rebalance.delay.ms')).toBe('0');
    expect(props.get('auto.create.topics.enable')).toBe('false');
    expect(props.get('num.partitions')).toBe('3');
  });

  it('has no duplicate keys', () => {
    const keys = renderServerProperties({ host: 'h', port: 1, controllerPort: 2, logDir: '/x' })
      .split('\n')
      .filter((line) => line && !line.startsWith('#'))
      .map((line) => line.split('=')[0]);
    expect(new Set(keys).size).toBe(keys.length);
  });
});

describe('renderLog4jProperties', () => {
  it('logs INFO to stdout', () => {
    const text = renderLog4jProperties();
    expect(text).toContain('log4j.rootLogger=INFO, stdout');
    expect(text).toContain('log4j.appender.stdout.Target=System.out');
  });
});

describe('newClusterId', () => {
  it('is 16 random bytes in base64url without padding', () => {
    const id = newClusterId();
    expect(id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(Buffer.from(id, 'base64url')).toHaveLength(16);
  });

  it('differs between calls', () => {
    expect(new Set(Array.from({ length: 50 }, newClusterId)).size).toBe(50);
  });

  it('never starts with a dash, which the storage tool would read as an option (1 in 64 ids would)', () => {
    expect(Array.from({ length: 2_000 }, newClusterId).filter((id) => id.startsWith('-'))).toEqual([]);
  });
});
