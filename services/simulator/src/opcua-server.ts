import { join } from 'node:path';
import { Observability } from '@millrace/observability';
import {
  HighLoadProfile,
  PLTCM_TAGS,
  pltcmStateAt,
  pltcmValues,
  speedSetpointTag,
} from '@millrace/plant-sim';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import {
  DataType,
  makeEUInformation,
  MessageSecurityMode,
  OPCUACertificateManager,
  OPCUAServer,
  SecurityPolicy,
  StatusCodes,
  Variant,
  type Namespace,
  type StatusCode,
  type UAObject,
  type UAVariable,
} from 'node-opcua';
import { SimulatorMetrics } from './metrics.js';
import { Plant } from './plant.js';
import { SIMULATOR_CONFIG, type SimulatorSettings } from './tokens.js';

export const SIMULATOR_NAMESPACE_URI = 'urn:millrace:simulator';
export const OPCUA_RESOURCE_PATH = '/millrace';

/**
 * The PLTCM's OPC UA server (docs/demo-plant.md, section 1): one variable per tag, its NodeId the
 * string tag path, in folders mirroring the path; values set from the model with source timestamps.
 */
@Injectable()
export class OpcuaPlantServer implements OnApplicationBootstrap, OnApplicationShutdown {
  private server: OPCUAServer | undefined;
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly folders = new Map<string, UAObject>();
  private started = false;

  constructor(
    @Inject(SIMULATOR_CONFIG) private readonly config: SimulatorSettings,
    @Inject(Plant) private readonly plant: Plant,
    @Inject(SimulatorMetrics) private readonly metrics: SimulatorMetrics,
    @Inject(Observability) private readonly observability: Observability,
  ) {}

  /** `opc.tcp://127.0.0.1:<port>/millrace` once started. */
  get endpointUrl(): string {
    return `opc.tcp://127.0.0.1:${this.config.SIMULATOR_OPCUA_PORT}${OPCUA_RESOURCE_PATH}`;
  }

  async onApplicationBootstrap(): Promise<void> {
    this.observability.health.register('opcua', () => this.started);
    const logger = this.observability.logger.child({ component: 'opcua' });
    const pkiDir =
      this.config.SIMULATOR_OPCUA_PKI_DIR ?? join(this.config.MILLRACE_DATA_DIR, 'simulator', 'pki');
    // A demo server accepts every client certificate; the ingest's certificate need not be provisioned.
    const certificateManager = new OPCUACertificateManager({
      rootFolder: pkiDir,
      automaticallyAcceptUnknownCertificate: true,
    });
    const server = new OPCUAServer({
      port: this.config.SIMULATOR_OPCUA_PORT,
      host: '127.0.0.1',
      hostname: '127.0.0.1',
      resourcePath: OPCUA_RESOURCE_PATH,
      serverCertificateManager: certificateManager,
      securityModes: [MessageSecurityMode.None, MessageSecurityMode.SignAndEncrypt],
      securityPolicies: [SecurityPolicy.None, SecurityPolicy.Basic256Sha256],
      allowAnonymous: true,
      disableDiscovery: true,
      buildInfo: { productName: 'Millrace demo plant simulator', manufacturerName: 'Millrace' },
    });
    this.server = server;
    await server.initialize();
    const addressSpace = server.engine.addressSpace;
    if (!addressSpace) throw new Error('OPC UA server has no address space after initialize()');
    const namespace = addressSpace.registerNamespace(SIMULATOR_NAMESPACE_URI);
    const objects = addressSpace.rootFolder.objects;

    const pltcmVariables = PLTCM_TAGS.map((tag) =>
      this.addVariable(
        namespace,
        objects,
        tag.path,
        tag.dataType === 'String' ? DataType.String : DataType.Double,
        tag.unit,
      ),
    );
    this.addSetpoint(namespace, objects);
    this.updatePltcm(pltcmVariables);
    this.timers.push(
      setInterval(() => this.updatePltcm(pltcmVariables), this.config.SIMULATOR_OPCUA_PERIOD_MS),
    );

    if (this.config.SIMULATOR_PROFILE === 'high') {
      const profile = new HighLoadProfile({
        seed: this.config.SIMULATOR_SEED,
        tagCount: this.config.SIMULATOR_HIGH_TAGS,
        periodMs: this.config.SIMULATOR_HIGH_PERIOD_MS,
      });
      const variables = profile.tags.map((tag) =>
        this.addVariable(namespace, objects, tag, DataType.Double, undefined),
      );
      const values = new Float64Array(variables.length);
      this.timers.push(
        setInterval(() => {
          const now = Date.now();
          profile.valuesAt(now, values);
          const timestamp = new Date(now);
          variables.forEach((variable, index) =>
            variable.setValueFromSource(
              { dataType: DataType.Double, value: values[index] ?? 0 },
              StatusCodes.Good,
              timestamp,
            ),
          );
          this.metrics.opcuaUpdates.inc({ profile: 'high' }, variables.length);
        }, this.config.SIMULATOR_HIGH_PERIOD_MS),
      );
      logger.info(
        { tags: variables.length, samplesPerSecond: profile.samplesPerSecond },
        'high-load profile on',
      );
    }

    await server.start();
    this.started = true;
    logger.info({ endpoint: this.endpointUrl, pkiDir }, 'OPC UA server started');
  }

  async onApplicationShutdown(): Promise<void> {
    for (const timer of this.timers) clearInterval(timer);
    this.timers.length = 0;
    this.started = false;
    // A grace period of 0: a demo server need not wait for clients to close their sessions.
    await this.server?.shutdown(0);
    this.server = undefined;
  }

  private updatePltcm(variables: readonly UAVariable[]): void {
    const now = Date.now();
    const values = pltcmValues(pltcmStateAt(this.plant.pltcm, now));
    const timestamp = new Date(now);
    variables.forEach((variable, index) => {
      const value = values[index];
      if (value === undefined) return;
      const dataType = typeof value === 'string' ? DataType.String : DataType.Double;
      variable.setValueFromSource({ dataType, value }, StatusCodes.Good, timestamp);
    });
    this.metrics.opcuaUpdates.inc({ profile: 'normal' }, variables.length);
  }

  private addSetpoint(namespace: Namespace, objects: UAObject): void {
    const path = speedSetpointTag(this.config.SIMULATOR_CELL_LINE);
    const plant = this.plant;
    const metrics = this.metrics;
    this.addVariable(namespace, objects, path, DataType.Double, 'rpm', {
      get: () => new Variant({ dataType: DataType.Double, value: plant.cells.speedSetpointRpm }),
      set: (variant: Variant) => {
        const value: unknown = variant.value;
        try {
          if (typeof value !== 'number') throw new RangeError('not a number');
          plant.setSpeedSetpoint(value);
        } catch {
          metrics.setpointWrites.inc({ via: 'opcua', result: 'rejected' });
          return StatusCodes.BadOutOfRange;
        }
        metrics.setpointWrites.inc({ via: 'opcua', result: 'accepted' });
        return StatusCodes.Good;
      },
    });
  }

  private addVariable(
    namespace: Namespace,
    objects: UAObject,
    path: string,
    dataType: DataType,
    unit: string | undefined,
    binding?: { get: () => Variant; set: (variant: Variant) => StatusCode },
  ): UAVariable {
    const segments = path.split('/');
    const name = segments.pop() ?? path;
    const folder = this.folder(namespace, objects, segments);
    const variable = namespace.addVariable({
      organizedBy: folder,
      browseName: name,
      nodeId: `s=${path}`,
      dataType,
      description: unit === undefined ? path : `${path} [${unit}]`,
      minimumSamplingInterval: this.config.SIMULATOR_OPCUA_PERIOD_MS,
      ...(binding
        ? {
            accessLevel: 'CurrentRead | CurrentWrite',
            userAccessLevel: 'CurrentRead | CurrentWrite',
            value: binding,
          }
        : {}),
    });
    if (unit !== undefined) {
      // The standard place for a unit (Part 8, §5.6.3): what ingest-opcua reads into the tag catalog.
      const engineeringUnits = makeEUInformation('', unit, unit);
      engineeringUnits.unitId = -1; // no UNECE code: the symbol is all the demo plant has
      namespace.addVariable({
        propertyOf: variable,
        browseName: { name: 'EngineeringUnits', namespaceIndex: 0 },
        typeDefinition: 'PropertyType',
        dataType: 'EUInformation',
        minimumSamplingInterval: 0,
        accessLevel: 'CurrentRead',
        value: new Variant({ dataType: DataType.ExtensionObject, value: engineeringUnits }),
      });
    }
    return variable;
  }

  /** The folder of `segments` under Objects, created level by level; its NodeId is the path so far. */
  private folder(namespace: Namespace, objects: UAObject, segments: readonly string[]): UAObject {
    let parent = objects;
    for (let depth = 1; depth <= segments.length; depth += 1) {
      const path = segments.slice(0, depth).join('/');
      let folder = this.folders.get(path);
      if (!folder) {
        folder = namespace.addFolder(parent, {
          browseName: segments[depth - 1] ?? path,
          nodeId: `s=${path}`,
        });
        this.folders.set(path, folder);
      }
      parent = folder;
    }
    return parent;
  }
}
