import { createServer, type Server } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeMqttConnect, encodeRemainingLength, mqttHandshake } from './mqtt.js';

describe('encodeRemainingLength', () => {
  it.each([
    [0, [0x00]],
    [127, [0x7f]],
    [128, [0x80, 0x01]],
    [16_383, [0xff, 0x7f]],
    [16_384, [0x80, 0x80, 0x01]],
  ])('encodes %i', (length, bytes) => {
    expect(encodeRemainingLength(length)).toEqual(bytes);
  });
});

describe('encodeMqttConnect', () => {
  it('builds an MQTT 3.1.1 CONNECT with a clean session', () => {
    const packet = encodeMqttConnect('ab', 10);
    expect([...packet]).toEqual([
      0x10, 14, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0x02, 0x00, 0x0a, 0x00, 0x02, 0x61, 0x62,
    ]);
  });
});

describe('mqttHandshake', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  function fakeBroker(returnCode: number): Promise<number> {
    server = createServer((socket) => {
      socket.once('data', (data) => {
        if (data[0] === 0x10) socket.write(Buffer.from([0x20, 0x02, 0x00, returnCode]));
      });
      socket.on('error', () => undefined);
    });
    return new Promise((resolve) =>
      server!.listen(0, '127.0.0.1', () => resolve((server!.address() as { port: number }).port)),
    );
  }

  it('resolves on a successful CONNACK', async () => {
    const port = await fakeBroker(0);
    await expect(mqttHandshake(`mqtt://127.0.0.1:${port}`)).resolves.toBeUndefined();
  });

  it('rejects a refused connection with the reason', async () => {
    const port = await fakeBroker(5);
    await expect(mqttHandshake(`mqtt://127.0.0.1:${port}`)).rejects.toThrow(/not authorized/);
  });
});
