import { createServer } from 'node:net';
import { StackError } from './errors.js';

/** Resolves true when `host:port` can be bound right now (nothing listens there), false when it is in use. */
export function isPortFree(host: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') resolve(false);
      else reject(error);
    });
    server.listen({ host, port, exclusive: true }, () => {
      server.close(() => resolve(true));
    });
  });
}

/**
 * Throws a {@link StackError} naming the server and the port when the port is taken, e.g.
 * "Kafka cannot start: port 9092 on 127.0.0.1 is already in use. Stop what holds it or set ...".
 */
export async function assertPortFree(
  serverName: string,
  host: string,
  port: number,
  externalHint?: string,
): Promise<void> {
  let free: boolean;
  try {
    free = await isPortFree(host, port);
  } catch (error) {
    throw new StackError(
      `${serverName} cannot start: port ${port} on ${host} cannot be bound: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  if (!free) {
    const alternative = externalHint ? ` or ${externalHint}` : '';
    throw new StackError(
      `${serverName} cannot start: port ${port} on ${host} is already in use. Stop what holds it${alternative}.`,
    );
  }
}

/** A port the OS says is free now on `host`: for tests that start servers beside a running stack. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port assigned')),
      );
    });
  });
}
