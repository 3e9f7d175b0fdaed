import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { indent, StackError } from './errors.js';
import { ensureArtifacts } from './maven.js';
import { spawnComponent, tailLog, type ComponentProcess } from './process.js';

export interface KafkaServerConfig {
  host: string;
  port: number;
  controllerPort: number;
  /** Absolute directory for the partition logs and KRaft metadata. */
  logDir: string;
}

/** server.properties for a single-node KRaft cluster (broker and controller in one process). */
export function renderServerProperties(config: KafkaServerConfig): string {
  const lines = [
    '# Written by the millrace launcher on every start; edits are overwritten.',
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${config.host}:${config.controllerPort}`,
    `listeners=PLAINTEXT://${config.host}:${config.port},CONTROLLER://${config.host}:${config.controllerPort}`,
    `advertised.listeners=PLAINTEXT://${config.host}:${config.port}`,
    'inter.broker.listener.name=PLAINTEXT',
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    `log.dirs=${config.logDir}`,
    'num.partitions=3',
    'default.replication.factor=1',
    'min.insync.replicas=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=10',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'transaction.state.log.num.partitions=10',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=false',
    // A producer batch holds many sample batches of one partition; 1 MB (the default) is too tight for a backlog drain.
    'message.max.bytes=8388608',
    'replica.fetch.max.bytes=8388608',
    'delete.topic.enable=true',
    '# Sized for a developer machine (2 cores).',
    'num.network.threads=2',
    'num.io.threads=4',
    'num.recovery.threads.per.data.dir=1',
    'background.threads=4',
    'log.retention.hours=168',
    'log.segment.bytes=268435456',
    'log.retention.check.interval.ms=300000',
    'socket.send.buffer.bytes=102400',
    'socket.receive.buffer.bytes=102400',
    'socket.request.max.bytes=104857600',
  ];
  return `${lines.join('\n')}\n`;
}

/** log4j 1.x (reload4j) config: INFO to stdout (which the launcher appends to logs/kafka.log), noisy loggers quiet. */
export function renderLog4jProperties(): string {
  return `${[
    '# Written by the millrace launcher on every start; edits are overwritten.',
    'log4j.rootLogger=INFO, stdout',
    'log4j.appender.stdout=org.apache.log4j.ConsoleAppender',
    'log4j.appender.stdout.Target=System.out',
    'log4j.appender.stdout.layout=org.apache.log4j.PatternLayout',
    'log4j.appender.stdout.layout.ConversionPattern=[%d] %p %m (%c)%n',
    'log4j.logger.kafka=INFO',
    'log4j.logger.org.apache.kafka=INFO',
    'log4j.logger.kafka.request.logger=WARN',
    'log4j.logger.kafka.network.RequestChannel$=WARN',
    'log4j.logger.kafka.network.Processor=WARN',
    'log4j.logger.kafka.server.KafkaApis=WARN',
    'log4j.logger.kafka.log.LogCleaner=WARN',
    'log4j.logger.kafka.controller=WARN',
    'log4j.logger.state.change.logger=WARN',
    'log4j.logger.kafka.authorizer.logger=WARN',
    'log4j.logger.org.apache.kafka.clients=WARN',
    'log4j.logger.org.apache.kafka.common.utils.AppInfoParser=WARN',
    'log4j.logger.org.apache.kafka.common.config.AbstractConfig=WARN',
    'log4j.logger.kafka.server.KafkaConfig=WARN',
    'log4j.logger.org.apache.kafka.storage.internals.log=WARN',
    'log4j.logger.kafka.log=WARN',
    'log4j.logger.org.apache.zookeeper=WARN',
  ].join('\n')}\n`;
}

/**
 * A new KRaft cluster id: 16 random bytes, base64url without padding (22 characters), as `kafka-storage
 * random-uuid`. Like Kafka's own Uuid.randomUuid, it never starts with `-`, which the storage tool's
 * argument parser would take for an option.
 */
export function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export function kafkaJvmArgs(log4jFile: string): string[] {
  return [
    '-Xms256m',
    '-Xmx768m',
    '-XX:+UseG1GC',
    '-XX:MaxGCPauseMillis=20',
    '-XX:InitiatingHeapOccupancyPercent=35',
    '-XX:+ExplicitGCInvokesConcurrent',
    '-XX:+ExitOnOutOfMemoryError',
    '-Djava.awt.headless=true',
    `-Dlog4j.configuration=file:${log4jFile}`,
  ];
}

export interface KafkaLaunch {
  java: string;
  dataDir: string;
  cacheDir: string;
  host: string;
  port: number;
  controllerPort: number;
  logFile: string;
  pidFile: string;
  log: (line: string) => void;
  /** Runs after the download, right before the server starts (e.g. to re-check the ports). */
  beforeSpawn?: () => Promise<void>;
}

/** Marker strings of our Kafka's command line, used to recognise a process a killed launcher left behind. */
export function kafkaMarkers(dataDir: string): string[] {
  return ['kafka.Kafka', join(dataDir, 'kafka')];
}

/** Downloads the jars if needed, writes the config, formats storage on first start and spawns the broker. */
export async function launchKafka(launch: KafkaLaunch): Promise<ComponentProcess> {
  const libDir = await ensureArtifacts('kafka', launch.cacheDir, launch.log);
  await launch.beforeSpawn?.();
  const home = join(launch.dataDir, 'kafka');
  const logDir = join(home, 'data');
  mkdirSync(logDir, { recursive: true });
  const propertiesFile = join(home, 'server.properties');
  const log4jFile = join(home, 'log4j.properties');
  writeFileSync(
    propertiesFile,
    renderServerProperties({
      host: launch.host,
      port: launch.port,
      controllerPort: launch.controllerPort,
      logDir,
    }),
  );
  writeFileSync(log4jFile, renderLog4jProperties());
  const classpath = `${libDir}/*`;
  const jvm = kafkaJvmArgs(log4jFile);

  if (!existsSync(join(logDir, 'meta.properties'))) {
    const clusterId = newClusterId();
    launch.log(`kafka: formatting storage (cluster id ${clusterId})`);
    await runToLog(
      launch.java,
      [...jvm, '-cp', classpath, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propertiesFile],
      launch.logFile,
      'kafka storage format',
    ).catch((error: unknown) => {
      // A half-formatted directory would make every later start fail the same way.
      rmSync(join(logDir, 'meta.properties'), { force: true });
      throw error;
    });
  }

  return spawnComponent({
    component: 'kafka',
    command: launch.java,
    args: [...jvm, '-cp', classpath, 'kafka.Kafka', propertiesFile],
    cwd: home,
    logFile: launch.logFile,
    pidFile: launch.pidFile,
  });
}

function runToLog(command: string, args: string[], logFile: string, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const offset = existsSync(logFile) ? statSync(logFile).size : 0;
    const fd = openSync(logFile, 'a');
    const child = spawn(command, args, { stdio: ['ignore', fd, fd] });
    closeSync(fd);
    child.once('error', (error) =>
      reject(new StackError(`${what} failed: ${error.message}`, { cause: error })),
    );
    child.once('exit', (code, signal) => {
      if (code === 0) {
        resolve();
        return;
      }
      void tailLog(logFile, offset).then((tail) =>
        reject(
          new StackError(
            `${what} failed (${signal ?? `exit code ${code}`}); last lines of ${logFile}:\n${indent(tail)}`,
          ),
        ),
      );
    });
  });
}

/** True when a kafkajs admin can connect to the brokers and describe a cluster with at least one broker. */
export async function probeKafka(brokers: string[]): Promise<boolean> {
  const kafka = new Kafka({
    clientId: 'millrace-health',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 1_000,
    requestTimeout: 3_000,
    retry: { retries: 0 },
  });
  const admin = kafka.admin({ retry: { retries: 0 } });
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null && cluster.controller >= 0;
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}

/**
 * Kafka creates `__consumer_offsets` lazily, on the first group-coordinator lookup, and the first consumers then
 * see "coordinator is loading" for a few seconds. Looking up a group once at start-up moves that wait here.
 */
export async function warmUpGroupCoordinator(brokers: string[]): Promise<void> {
  const kafka = new Kafka({
    clientId: 'millrace-warmup',
    brokers,
    logLevel: logLevel.NOTHING,
    retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1_000 },
  });
  const admin = kafka.admin();
  try {
    await admin.connect();
    await admin.describeGroups(['millrace-warmup']);
  } finally {
    await admin.disconnect().catch(() => undefined);
  }
}
