import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { StackError } from './errors.js';
import { assertPortFree, isPortFree } from './ports.js';

function listen(): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('no port');
      resolve({ server, port: address.port });
    });
  });
}

describe('port checks', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
  });

  it('names the server and the port that is in use', async () => {
    const { server, port } = await listen();
    servers.push(server);
    expect(await isPortFree('127.0.0.1', port)).toBe(false);
    const error = await assertPortFree(
      'Kafka',
      '127.0.0.1',
      port,
      'set MILLRACE_KAFKA_BROKERS to use an existing Kafka',
    ).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(StackError);
    expect((error as Error).message).toBe(
      `Kafka cannot start: port ${port} on 127.0.0.1 is already in use. Stop what holds it or set MILLRACE_KAFKA_BROKERS to use an existing Kafka.`,
    );
  });

  it('accepts a free port and leaves it free', async () => {
    const { server, port } = await listen();
    await new Promise((resolve) => server.close(resolve));
    await expect(assertPortFree('QuestDB', '127.0.0.1', port)).resolves.toBeUndefined();
    expect(await isPortFree('127.0.0.1', port)).toBe(true);
  });
});
