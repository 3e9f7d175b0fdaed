import { describe, expect, it } from 'vitest';
import { renderMosquittoConf } from './mosquitto.js';

describe('renderMosquittoConf', () => {
  const conf = renderMosquittoConf({
    host: '127.0.0.1',
    port: 11883,
    persistenceDir: '/data/mosquitto/data',
    logFile: '/data/logs/mosquitto.log',
    user: 'alice',
  });
  const lines = conf.split('\n');

  it('listens on the loopback port and allows anonymous clients', () => {
    expect(lines).toContain('listener 11883 127.0.0.1');
    expect(lines).toContain('allow_anonymous true');
  });

  it('persists in the data dir (with the trailing slash mosquitto needs)', () => {
    expect(lines).toContain('persistence true');
    expect(lines).toContain('persistence_location /data/mosquitto/data/');
  });

  it('runs as the given user and logs to the file', () => {
    expect(lines).toContain('user alice');
    expect(lines).toContain('log_dest file /data/logs/mosquitto.log');
  });

  it('does not double the trailing slash', () => {
    const text = renderMosquittoConf({ host: 'h', port: 1, persistenceDir: '/p/', logFile: '/l', user: 'u' });
    expect(text).toContain('persistence_location /p/\n');
  });
});
