import { Counter, Gauge, type Registry } from 'prom-client';

/** The service's /metrics, labelled by endpoint name. */
export interface IngestOpcuaMetrics {
  samples: Counter<'endpoint'>;
  unmapped: Counter<'endpoint' | 'reason'>;
  dropped: Counter<'reason'>;
  up: Gauge<'endpoint'>;
  monitoredItems: Gauge<'endpoint'>;
  sessions: Counter<'endpoint'>;
  gaps: Counter<'endpoint'>;
  gapOpen: Gauge<'endpoint'>;
  gapsUnwritten: Gauge;
}

export function registerMetrics(registry: Registry): IngestOpcuaMetrics {
  const registers = [registry];
  return {
    samples: new Counter({
      name: 'ingest_opcua_samples_total',
      help: 'Values received from monitored items and batched for Kafka',
      labelNames: ['endpoint'],
      registers,
    }),
    unmapped: new Counter({
      name: 'ingest_opcua_unmapped_values_total',
      help: 'Values a sample cannot carry (arrays, unsupported types, no value, non-finite, clock beyond 2100)',
      labelNames: ['endpoint', 'reason'],
      registers,
    }),
    dropped: new Counter({
      name: 'ingest_opcua_dropped_samples_total',
      help: 'Samples lost: spool full, or refused by Kafka or the message schema',
      labelNames: ['reason'],
      registers,
    }),
    up: new Gauge({
      name: 'ingest_opcua_endpoint_up',
      help: '1 while the endpoint has a session with its monitored items, 0 while it is being (re)connected',
      labelNames: ['endpoint'],
      registers,
    }),
    monitoredItems: new Gauge({
      name: 'ingest_opcua_monitored_items',
      help: 'Monitored items the server accepted in the current session',
      labelNames: ['endpoint'],
      registers,
    }),
    sessions: new Counter({
      name: 'ingest_opcua_sessions_total',
      help: 'Sessions built with their subscription and monitored items (the first and every rebuild)',
      labelNames: ['endpoint'],
      registers,
    }),
    gaps: new Counter({
      name: 'ingest_opcua_gaps_total',
      help: 'Outages of an endpoint that ended (each one a row of ingest_gaps)',
      labelNames: ['endpoint'],
      registers,
    }),
    gapOpen: new Gauge({
      name: 'ingest_opcua_gap_open',
      help: '1 while an outage of the endpoint is open',
      labelNames: ['endpoint'],
      registers,
    }),
    gapsUnwritten: new Gauge({
      name: 'ingest_opcua_gaps_unwritten',
      help: 'Gap events waiting for QuestDB',
      registers,
    }),
  };
}
