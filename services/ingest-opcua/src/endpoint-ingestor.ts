import {
  Backoff,
  browsedTag,
  describeItem,
  GapTracker,
  mapDataValue,
  monitoringGroups,
  namespaceIndex,
  OpcuaMappingError,
  planItems,
  queueSizeFor,
  relativePathText,
  resolveNodeId,
  sourceOf,
  type BackoffOptions,
  type BrowseRoot,
  type Endpoint,
  type Gap,
  type MonitoredNode,
  type NodeFacts,
  type PlannedItem,
} from '@millrace/opcua-mapping';
import type { Logger } from '@millrace/observability';
import type { Quality, TagMeta, TagPath } from '@millrace/schema';
import { nowUs, type EpochUs } from '@millrace/time';
import {
  AttributeIds,
  BrowseDirection,
  DataChangeFilter,
  DataChangeTrigger,
  DeadbandType,
  LocalizedText,
  makeBrowsePath,
  MessageSecurityMode,
  NodeClass,
  NodeId,
  OPCUAClient,
  SecurityPolicy,
  TimestampsToReturn,
  type BrowseResult,
  type ClientSession,
  type DataValue,
  type OPCUACertificateManager,
  type ReferenceDescription,
} from 'node-opcua';
import type { IngestOpcuaMetrics } from './metrics.js';

export interface EndpointIngestorOptions {
  endpoint: Endpoint;
  certificateManager: OPCUACertificateManager;
  /** Takes each sample; the batcher behind it sends them to Kafka. */
  onSample: (
    tag: TagPath,
    source: string,
    ts: EpochUs,
    value: number | boolean | string,
    quality: Quality,
  ) => void;
  onGap: (gap: Gap) => void;
  /** Takes the catalog entries (unit, type, description) of the monitored variables, read at each connect. */
  onDescribed: (descriptions: Omit<TagMeta, 'ts'>[]) => void;
  reconnect: BackoffOptions;
  connectTimeoutMs: number;
  silenceTimeoutMs: number;
  startupGraceMs: number;
  logger: Logger;
  metrics?: IngestOpcuaMetrics;
}

export type EndpointState = 'connecting' | 'up' | 'down' | 'stopped';

/** Hierarchical references, the ReferenceType that Organizes and HasComponent derive from (Part 5, §11.3). */
const HIERARCHICAL_REFERENCES = 'i=33';
/** The Objects folder (Part 5, §8.2.4). */
const OBJECTS_FOLDER = 'i=85';
/** NodeClass mask bits (Part 4, §5.8.2.2): Object 1, Variable 2. */
const OBJECT_OR_VARIABLE = 1 | 2;
/** A tag path has at most 6 levels, so nothing deeper can become a tag. */
const MAX_BROWSE_DEPTH = 6;
/** Nodes per Read and TranslateBrowsePaths request: under the usual servers' operation limits. */
const DESCRIBE_BATCH = 200;
/** Keep-alives about this often while nothing changes (Part 4, §5.13.1.1, MaxKeepAliveCount). */
const KEEPALIVE_TARGET_MS = 2_000;

/**
 * One OPC UA endpoint, on its own: connect, session, browse, subscription and monitored items; on any
 * sign of loss (connection lost, session closed, subscription terminated, keep-alive failure, or
 * silence longer than `silenceTimeoutMs`) it tears all of it down and builds it again from scratch
 * after a backoff with jitter. node-opcua's own reconnection is not trusted: after a server restart it
 * can come back with a session whose subscriptions the server no longer has, and stay silent
 * (node-opcua issue #1059). Every outage becomes one gap event.
 */
export class EndpointIngestor {
  private readonly endpoint: Endpoint;
  private readonly source: string;
  private readonly logger: Logger;
  private readonly backoff: Backoff;
  private readonly gaps: GapTracker;
  private stopped = false;
  private current: Attempt | undefined;
  private loop: Promise<void> | undefined;
  private wakeSleep: (() => void) | undefined;
  private stateValue: EndpointState = 'connecting';
  private itemCount = 0;

  constructor(private readonly options: EndpointIngestorOptions) {
    this.endpoint = options.endpoint;
    this.source = sourceOf(options.endpoint);
    this.logger = options.logger.child({ component: 'opcua', endpoint: options.endpoint.name });
    this.backoff = new Backoff(options.reconnect);
    this.gaps = new GapTracker(options.endpoint.name, this.source, options.startupGraceMs * 1_000);
    options.metrics?.up.set({ endpoint: this.endpoint.name }, 0);
    options.metrics?.gapOpen.set({ endpoint: this.endpoint.name }, 0);
  }

  get name(): string {
    return this.endpoint.name;
  }

  get state(): EndpointState {
    return this.stateValue;
  }

  /** Monitored items the server accepted in the current session. */
  get monitoredItems(): number {
    return this.itemCount;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /**
   * Closes the session. An outage still open is recorded as ending now, so the gap is not lost with
   * the process (the next start opens a new one if the endpoint is still down).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeSleep?.();
    this.current?.lose('service stopping');
    await this.loop;
    const gap = this.gaps.restored(nowUs());
    if (gap) this.options.onGap(gap);
    this.stateValue = 'stopped';
    this.options.metrics?.up.set({ endpoint: this.endpoint.name }, 0);
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const attempt = new Attempt(this.endpoint, this.options, this.logger, {
        value: (item, dataValue) => this.onValue(item, dataValue),
        keepAlive: () => this.gaps.contact(nowUs()),
      });
      this.current = attempt;
      this.stateValue = 'connecting';
      try {
        // A stop, or a loss signal while connecting, ends the attempt at once instead of at its timeout.
        const items = await Promise.race([
          withTimeout(attempt.open(), this.options.connectTimeoutMs, 'connect, browse and subscribe'),
          attempt.lost.then((reason): never => {
            throw new OpcuaMappingError(`lost while connecting: ${reason}`, true);
          }),
        ]);
        if (this.stopped) break;
        this.up(items);
        const reason = await attempt.lost;
        if (this.stopped) break;
        this.down();
        this.logger.warn({ reason }, 'OPC UA endpoint lost: rebuilding client, session and subscription');
      } catch (error) {
        if (this.stopped) break;
        this.down();
        this.logger.warn(
          { err: error, attempt: this.backoff.attempts + 1 },
          'OPC UA endpoint unreachable or refused the session',
        );
      } finally {
        attempt.lose('closing');
        await attempt.close();
        this.current = undefined;
      }
      if (this.stopped) break;
      await this.sleep(this.backoff.next());
    }
  }

  private up(items: number): void {
    this.itemCount = items;
    this.stateValue = 'up';
    this.backoff.reset();
    const { metrics } = this.options;
    metrics?.up.set({ endpoint: this.endpoint.name }, 1);
    metrics?.gapOpen.set({ endpoint: this.endpoint.name }, 0);
    metrics?.sessions.inc({ endpoint: this.endpoint.name });
    metrics?.monitoredItems.set({ endpoint: this.endpoint.name }, items);
    this.logger.info({ monitoredItems: items }, 'OPC UA endpoint up: values flowing');
    const gap = this.gaps.restored(nowUs());
    if (gap) this.options.onGap(gap);
  }

  private down(): void {
    this.stateValue = 'down';
    this.itemCount = 0;
    this.gaps.lost(nowUs());
    const { metrics } = this.options;
    metrics?.up.set({ endpoint: this.endpoint.name }, 0);
    metrics?.gapOpen.set({ endpoint: this.endpoint.name }, 1);
    metrics?.monitoredItems.set({ endpoint: this.endpoint.name }, 0);
  }

  private onValue(item: PlannedItem, dataValue: DataValue): void {
    const now = nowUs();
    this.gaps.contact(now);
    const mapped = mapDataValue(dataValue, now);
    if (mapped.ok) {
      this.options.metrics?.samples.inc({ endpoint: this.endpoint.name });
      this.options.onSample(item.tag, this.source, mapped.ts, mapped.value, mapped.quality);
    } else {
      this.options.metrics?.unmapped.inc({ endpoint: this.endpoint.name, reason: mapped.reason });
      this.logger.debug({ tag: item.tag, reason: mapped.reason }, 'value not mapped to a sample');
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wakeSleep = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** One connection's client, session and subscription; thrown away whole when anything goes wrong. */
class Attempt {
  readonly lost: Promise<string>;
  private resolveLost!: (reason: string) => void;
  private isLost = false;
  private client: OPCUAClient | undefined;
  private session: ClientSession | undefined;
  private connectionGone = false;
  private watchdog: NodeJS.Timeout | undefined;
  private lastContactMs = Date.now();

  constructor(
    private readonly endpoint: Endpoint,
    private readonly options: EndpointIngestorOptions,
    private readonly logger: Logger,
    private readonly on: { value: (item: PlannedItem, dataValue: DataValue) => void; keepAlive: () => void },
  ) {
    this.lost = new Promise((resolve) => {
      this.resolveLost = resolve;
    });
  }

  lose(reason: string): void {
    if (this.isLost) return;
    this.isLost = true;
    this.resolveLost(reason);
  }

  /** Connects and monitors; resolves with the number of monitored items the server accepted. */
  async open(): Promise<number> {
    const endpoint = this.endpoint;
    const client = OPCUAClient.create({
      applicationName: 'millrace-ingest-opcua',
      securityMode: MessageSecurityMode[endpoint.securityMode],
      securityPolicy: SecurityPolicy[endpoint.securityPolicy],
      endpointMustExist: false,
      clientCertificateManager: this.options.certificateManager,
      // One try per attempt: the retry loop, its backoff and its gap bookkeeping are ours.
      connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
      requestedSessionTimeout: 60_000,
    });
    this.client = client;
    client.on('connection_lost', () => {
      this.connectionGone = true;
      this.lose('connection lost');
    });
    client.on('close', () => {
      this.connectionGone = true;
      this.lose('connection closed');
    });
    // If node-opcua reconnected on its own, its subscriptions may be gone on the server (#1059).
    client.on('after_reconnection', () => this.lose('node-opcua reconnected by itself'));
    await client.connect(endpoint.url);
    this.throwIfLost();
    const session = await client.createSession();
    this.session = session;
    session.on('session_closed', () => this.lose('session closed'));
    session.on('keepalive_failure', () => this.lose('session keep-alive failed'));
    const namespaces = (await session.readNamespaceArray()) as string[];
    const explicit = endpoint.items.map((node: MonitoredNode) => ({
      nodeId: resolveNodeId(node, namespaces),
      node,
    }));
    const browsed: { nodeId: string; tag: TagPath; root: BrowseRoot }[] = [];
    for (const root of endpoint.browse) browsed.push(...(await this.browseRoot(session, root, namespaces)));
    const { items, duplicates } = planItems(endpoint, explicit, browsed);
    if (duplicates.length > 0)
      this.logger.warn({ duplicates: duplicates.slice(0, 20) }, 'nodes or tags found twice: first kept');
    this.throwIfLost();
    const accepted = await this.subscribe(session, items);
    // After the subscription: values flow first; the catalog entries follow and never hold them up.
    void this.describe(session, items);
    return accepted;
  }

  /** Reads each item's DataType, Description and EngineeringUnits and hands on the catalog entries. */
  private async describe(session: ClientSession, items: readonly PlannedItem[]): Promise<void> {
    const source = sourceOf(this.endpoint);
    try {
      const descriptions: Omit<TagMeta, 'ts'>[] = [];
      for (let start = 0; start < items.length; start += DESCRIBE_BATCH) {
        const batch = items.slice(start, start + DESCRIBE_BATCH);
        const facts = await readFacts(session, batch);
        batch.forEach((item, index) => {
          const fact = facts[index];
          if (fact) descriptions.push(describeItem(item, source, fact));
        });
      }
      this.options.onDescribed(descriptions);
    } catch (error) {
      this.logger.warn({ err: error }, 'cannot read units and descriptions; the catalog goes without them');
    }
  }

  private throwIfLost(): void {
    if (this.isLost) throw new OpcuaMappingError('endpoint lost while connecting', true);
  }

  private async subscribe(session: ClientSession, items: readonly PlannedItem[]): Promise<number> {
    const publishingIntervalMs = this.endpoint.publishingIntervalMs;
    const keepAliveCount = Math.max(1, Math.ceil(KEEPALIVE_TARGET_MS / publishingIntervalMs));
    const subscription = await session.createSubscription2({
      requestedPublishingInterval: publishingIntervalMs,
      requestedMaxKeepAliveCount: keepAliveCount,
      // The lifetime must be at least three keep-alives (Part 4, §5.13.2.2).
      requestedLifetimeCount: keepAliveCount * 10,
      maxNotificationsPerPublish: 0,
      publishingEnabled: true,
      priority: 10,
    });
    subscription.on('keepalive', () => {
      this.contact();
      this.on.keepAlive();
    });
    subscription.on('terminated', () => this.lose('subscription terminated'));
    subscription.on('internal_error', (error) => this.lose(`subscription error: ${error.message}`));
    // A StatusChangeNotification reports e.g. BadTimeout when the server ended the subscription (Part 4, §7.25.4).
    subscription.on('status_changed', (status) => {
      if (!status.isGood()) this.lose(`subscription status ${status.toString()}`);
    });

    let accepted = 0;
    for (const group of monitoringGroups(items)) {
      const filter =
        group.deadband === undefined
          ? // Without a deadband, a new source timestamp is a sample even if the value repeats.
            new DataChangeFilter({ trigger: DataChangeTrigger.StatusValueTimestamp })
          : // A deadband only filters value changes; with StatusValueTimestamp every timestamp would pass it.
            new DataChangeFilter({
              trigger: DataChangeTrigger.StatusValue,
              deadbandType: DeadbandType.Absolute,
              deadbandValue: group.deadband,
            });
      const monitored = await subscription.monitorItems(
        group.items.map((item) => ({ nodeId: item.nodeId, attributeId: AttributeIds.Value })),
        {
          samplingInterval: group.samplingIntervalMs,
          queueSize: queueSizeFor(group.samplingIntervalMs, publishingIntervalMs),
          discardOldest: true,
          filter,
        },
        TimestampsToReturn.Both,
      );
      monitored.on('changed', (_item, dataValue, index) => {
        const item = group.items[index];
        if (item === undefined) return;
        this.contact();
        this.on.value(item, dataValue);
      });
      monitored.monitoredItems.forEach((item, index) => {
        if (item.statusCode.isGood()) accepted += 1;
        else {
          this.logger.warn(
            {
              nodeId: group.items[index]?.nodeId,
              tag: group.items[index]?.tag,
              status: item.statusCode.toString(),
            },
            'server refused a monitored item',
          );
        }
      });
    }
    this.contact();
    this.watchdog = setInterval(() => {
      if (Date.now() - this.lastContactMs > this.options.silenceTimeoutMs) {
        this.lose(`no value nor keep-alive for ${this.options.silenceTimeoutMs} ms`);
      }
    }, 1_000);
    return accepted;
  }

  private contact(): void {
    this.lastContactMs = Date.now();
  }

  /** Every variable below a root folder, named by the browse names on the way down. */
  private async browseRoot(
    session: ClientSession,
    root: BrowseRoot,
    namespaces: readonly string[],
  ): Promise<{ nodeId: string; tag: TagPath; root: BrowseRoot }[]> {
    const ns = namespaceIndex(namespaces, root.namespaceUri);
    const translated = await session.translateBrowsePath(
      makeBrowsePath(OBJECTS_FOLDER, relativePathText(root, ns)),
    );
    const target = translated.targets?.[0]?.targetId;
    if (!translated.statusCode.isGood() || target === undefined) {
      throw new OpcuaMappingError(
        `browse root ${root.path} not found: ${translated.statusCode.toString()}`,
        true,
        { namespaceUri: root.namespaceUri },
      );
    }
    const found: { nodeId: string; tag: TagPath; root: BrowseRoot }[] = [];
    const refused: string[] = [];
    const visited = new Set<string>([target.toString()]);
    let frontier: { nodeId: string; names: string[] }[] = [{ nodeId: target.toString(), names: [] }];
    const maxDepth = MAX_BROWSE_DEPTH - root.path.split('/').length;
    for (let depth = 0; frontier.length > 0 && depth < maxDepth; depth += 1) {
      const next: typeof frontier = [];
      for (let start = 0; start < frontier.length; start += 100) {
        const chunk = frontier.slice(start, start + 100);
        const results = await session.browse(
          chunk.map((node) => ({
            nodeId: node.nodeId,
            browseDirection: BrowseDirection.Forward,
            referenceTypeId: HIERARCHICAL_REFERENCES,
            includeSubtypes: true,
            nodeClassMask: OBJECT_OR_VARIABLE,
            resultMask: 63,
          })),
        );
        for (const [index, result] of results.entries()) {
          const parent = chunk[index];
          if (parent === undefined) continue;
          for (const reference of await allReferences(session, result)) {
            const nodeId = reference.nodeId.toString();
            if (visited.has(nodeId)) continue;
            visited.add(nodeId);
            const names = [...parent.names, reference.browseName.name ?? ''];
            if (reference.nodeClass === NodeClass.Variable) {
              const tag = browsedTag(root, names);
              if (tag.ok) found.push({ nodeId, tag: tag.tag, root });
              else refused.push(tag.reason);
            } else if (reference.nodeClass === NodeClass.Object) {
              next.push({ nodeId, names });
            }
          }
        }
      }
      frontier = next;
    }
    if (refused.length > 0) {
      this.logger.warn(
        { count: refused.length, examples: refused.slice(0, 5) },
        'browsed variables that are not tag paths: skipped',
      );
    }
    this.logger.info({ root: root.path, variables: found.length }, 'browsed');
    return found;
  }

  /** Closes what was opened, never for longer than a few seconds (a dead server answers nothing). */
  async close(): Promise<void> {
    clearInterval(this.watchdog);
    const client = this.client;
    const session = this.session;
    if (session !== undefined && !this.connectionGone) {
      await withTimeout(session.close(true), 3_000, 'session close').catch(() => undefined);
    }
    if (client) await withTimeout(client.disconnect(), 3_000, 'disconnect').catch(() => undefined);
    this.client = undefined;
    this.session = undefined;
  }
}

async function allReferences(session: ClientSession, result: BrowseResult): Promise<ReferenceDescription[]> {
  const references = [...(result.references ?? [])];
  let continuationPoint = result.continuationPoint;
  // A server may return references in parts (Part 4, §5.8.3): follow the continuation points.
  while (continuationPoint && continuationPoint.length > 0) {
    const more = await session.browseNext(continuationPoint, false);
    references.push(...(more.references ?? []));
    continuationPoint = more.continuationPoint;
  }
  return references;
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new OpcuaMappingError(`${what} took longer than ${ms} ms`, true)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** DataType, Description and the EngineeringUnits property (an optional property: often absent) of each item. */
async function readFacts(session: ClientSession, items: readonly PlannedItem[]): Promise<NodeFacts[]> {
  const unitPaths = await session.translateBrowsePath(
    items.map((item) => makeBrowsePath(item.nodeId, '.0:EngineeringUnits')),
  );
  const unitNodes = unitPaths.map((result) =>
    result.statusCode.isGood() ? result.targets?.[0]?.targetId : undefined,
  );
  const attributes = await session.read(
    items.flatMap((item) => [
      { nodeId: item.nodeId, attributeId: AttributeIds.DataType },
      { nodeId: item.nodeId, attributeId: AttributeIds.Description },
    ]),
  );
  const withUnit = unitNodes.flatMap((nodeId) => (nodeId ? [nodeId] : []));
  const units =
    withUnit.length === 0
      ? []
      : await session.read(withUnit.map((nodeId) => ({ nodeId, attributeId: AttributeIds.Value })));
  let unitIndex = 0;
  return items.map((_item, index) => {
    const dataType: unknown = attributes[2 * index]?.value.value;
    const description: unknown = attributes[2 * index + 1]?.value.value;
    const unit: unknown = unitNodes[index] ? units[unitIndex++]?.value.value : undefined;
    return {
      builtInDataType:
        dataType instanceof NodeId && dataType.namespace === 0 && typeof dataType.value === 'number'
          ? dataType.value
          : undefined,
      // An EUInformation (Part 8, §5.6.3): its display name is the symbol charts show, e.g. `mm`.
      unit:
        typeof unit === 'object' && unit !== null && 'displayName' in unit
          ? textOf(unit.displayName)
          : undefined,
      description: textOf(description),
    };
  });
}

function textOf(value: unknown): string | undefined {
  return value instanceof LocalizedText ? (value.text ?? undefined) : undefined;
}
