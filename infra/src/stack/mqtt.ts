import { connect as tcpConnect, type Socket } from 'node:net';
import { connect as tlsConnect } from 'node:tls';

/** Encodes an MQTT "remaining length" (1–4 bytes, 7 bits each, high bit = more follows). */
export function encodeRemainingLength(length: number): number[] {
  const bytes: number[] = [];
  let value = length;
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    bytes.push(byte);
  } while (value > 0);
  return bytes;
}

/** An MQTT 3.1.1 CONNECT packet with a clean session, no credentials and no will. */
export function encodeMqttConnect(clientId: string, keepAliveSeconds = 10): Buffer {
  const id = Buffer.from(clientId, 'utf8');
  const variableHeader = [
    0x00,
    0x04,
    0x4d,
    0x51,
    0x54,
    0x54,
    0x04,
    0x02,
    keepAliveSeconds >> 8,
    keepAliveSeconds & 0xff,
  ];
  const payload = Buffer.concat([Buffer.from([id.length >> 8, id.length & 0xff]), id]);
  const remaining = variableHeader.length + payload.length;
  return Buffer.concat([
    Buffer.from([0x10, ...encodeRemainingLength(remaining), ...variableHeader]),
    payload,
  ]);
}

const CONNACK_CODES: Record<number, string> = {
  1: 'unacceptable protocol version',
  2: 'client identifier rejected',
  3: 'server unavailable',
  4: 'bad user name or password',
  5: 'not authorized',
};

/**
 * Connects to an MQTT broker, sends CONNECT and waits for a successful CONNACK (then disconnects).
 * `ws://` and `wss://` brokers are only checked for a TCP/TLS connection.
 */
export function mqttHandshake(url: string, timeoutMs = 3_000): Promise<void> {
  const parsed = new URL(url);
  const secure = parsed.protocol === 'mqtts:' || parsed.protocol === 'wss:';
  const websocket = parsed.protocol === 'ws:' || parsed.protocol === 'wss:';
  const defaultPort =
    { 'mqtt:': 1883, 'tcp:': 1883, 'mqtts:': 8883, 'ws:': 80, 'wss:': 443 }[parsed.protocol] ?? 1883;
  const port = parsed.port ? Number(parsed.port) : defaultPort;
  const host = parsed.hostname.replace(/^\[|\]$/g, '');

  return new Promise((resolve, reject) => {
    const socket: Socket = secure ? tlsConnect({ host, port, servername: host }) : tcpConnect({ host, port });
    let settled = false;
    const finish = (error?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (!error && !websocket) socket.end(Buffer.from([0xe0, 0x00]));
      else socket.destroy();
      if (error) reject(error);
      else resolve();
    };
    const timer = setTimeout(
      () => finish(new Error(`no MQTT CONNACK from ${host}:${port} within ${timeoutMs} ms`)),
      timeoutMs,
    );
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      if (websocket) {
        finish();
        return;
      }
      socket.write(encodeMqttConnect(`millrace-health-${process.pid}-${Date.now().toString(36)}`));
    });
    let received = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length < 4) return;
      if (received[0] !== 0x20 || received[1] !== 0x02) {
        finish(new Error(`${host}:${port} did not answer CONNECT with an MQTT CONNACK`));
        return;
      }
      const code = received[3] ?? 0xff;
      if (code === 0) finish();
      else
        finish(
          new Error(`MQTT broker refused the connection: ${CONNACK_CODES[code] ?? `return code ${code}`}`),
        );
    });
    socket.on('error', (error) => finish(error));
    socket.once('close', () => finish(new Error(`${host}:${port} closed the connection before CONNACK`)));
  });
}

export async function probeMqtt(url: string): Promise<boolean> {
  await mqttHandshake(url);
  return true;
}
