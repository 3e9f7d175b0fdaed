import type { Logger } from '@millrace/observability';
import { connectAsync, type MqttClient } from 'mqtt';
import {
  AttributeIds,
  DataType,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  StatusCodes,
  type ClientSession,
} from 'node-opcua';
import type { CommandTarget } from './targets.js';

/** A machine write that did not happen; the command's result is `failed` with this detail. */
export class MachineWriteError extends Error {
  readonly retriable = false; // a command is not re-tried later: by then it may be stale
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MachineWriteError';
  }
}

type OpcuaTarget = Extract<CommandTarget, { via: 'opcua' }>;

/**
 * Writes setpoints over OPC UA (Part 4, 5.10.4 Write): one client and session, opened on first use and
 * dropped on any failure so the next command reconnects. Security mode None: the demo server accepts it;
 * a plant server wanting SignAndEncrypt needs the endpoint options of ingest-opcua (not built here).
 */
export class OpcuaSetpointWriter {
  private client: OPCUAClient | undefined;
  private session: ClientSession | undefined;
  private namespaces: string[] = [];

  constructor(
    private readonly endpoint: string,
    private readonly pkiDir: string,
    private readonly timeoutMs: number,
    private readonly logger: Logger,
  ) {}

  async read(target: OpcuaTarget): Promise<number | undefined> {
    const session = await this.open();
    const nodeId = this.nodeId(target);
    const value = await session.read({ nodeId, attributeId: AttributeIds.Value });
    if (value.statusCode !== StatusCodes.Good) {
      throw new MachineWriteError(`read ${nodeId}: ${value.statusCode.toString()}`);
    }
    const number = value.value.value as unknown;
    return typeof number === 'number' && Number.isFinite(number) ? number : undefined;
  }

  async write(target: OpcuaTarget, value: number): Promise<void> {
    const session = await this.open();
    const nodeId = this.nodeId(target);
    const status = await session.write({
      nodeId,
      attributeId: AttributeIds.Value,
      value: { value: { dataType: DataType.Double, value } },
    });
    if (status !== StatusCodes.Good) throw new MachineWriteError(`write ${nodeId}: ${status.toString()}`);
  }

  async close(): Promise<void> {
    const { client, session } = this;
    this.client = undefined;
    this.session = undefined;
    await session?.close().catch(() => undefined);
    await client?.disconnect().catch(() => undefined);
  }

  private nodeId(target: OpcuaTarget): string {
    const ns = this.namespaces.indexOf(target.namespaceUri);
    if (ns < 0) throw new MachineWriteError(`the server has no namespace ${target.namespaceUri}`);
    return `ns=${ns};s=${target.nodeId}`;
  }

  private async open(): Promise<ClientSession> {
    if (this.session) return this.session;
    const client = OPCUAClient.create({
      applicationName: 'millrace-mes-bridge',
      securityMode: MessageSecurityMode.None,
      securityPolicy: SecurityPolicy.None,
      endpointMustExist: false,
      clientCertificateManager: new OPCUACertificateManager({
        rootFolder: this.pkiDir,
        automaticallyAcceptUnknownCertificate: true,
      }),
      connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
      requestedSessionTimeout: 60_000,
      defaultTransactionTimeout: this.timeoutMs,
    });
    const drop = () => {
      if (this.client === client) void this.close();
    };
    client.on('connection_lost', drop);
    client.on('close', drop);
    try {
      await withTimeout(client.connect(this.endpoint), this.timeoutMs, `connect ${this.endpoint}`);
      const session = await client.createSession();
      this.client = client;
      this.session = session;
      session.on('session_closed', drop);
      session.on('keepalive_failure', drop);
      this.namespaces = (await session.readNamespaceArray()) as string[];
      this.logger.info({ endpoint: this.endpoint }, 'OPC UA session for machine commands open');
      return session;
    } catch (error) {
      await client.disconnect().catch(() => undefined);
      await this.close();
      throw new MachineWriteError(`OPC UA ${this.endpoint}: ${(error as Error).message}`, { cause: error });
    }
  }
}

/** Publishes setpoints as `{"value": <number>}` with QoS 1 on the target's command topic (docs/demo-plant.md). */
export class MqttSetpointWriter {
  private client: MqttClient | undefined;

  constructor(
    private readonly url: string,
    private readonly timeoutMs: number,
  ) {}

  async write(topic: string, value: number): Promise<void> {
    try {
      this.client ??= await withTimeout(
        connectAsync(this.url, { clientId: `millrace-mes-bridge-${process.pid}`, reconnectPeriod: 1_000 }),
        this.timeoutMs,
        `connect ${this.url}`,
      );
      await withTimeout(
        this.client.publishAsync(topic, JSON.stringify({ value }), { qos: 1 }),
        this.timeoutMs,
        `publish ${topic}`,
      );
    } catch (error) {
      throw new MachineWriteError(`MQTT ${topic}: ${(error as Error).message}`, { cause: error });
    }
  }

  async close(): Promise<void> {
    await this.client?.endAsync(true).catch(() => undefined);
    this.client = undefined;
  }
}

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
