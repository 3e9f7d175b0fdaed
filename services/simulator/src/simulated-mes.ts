import { Observability } from '@millrace/observability';
import { MesOrderFeed } from '@millrace/plant-sim';
import {
  Body,
  Controller,
  Get,
  Headers,
  HttpCode,
  HttpException,
  Inject,
  Injectable,
  Post,
  Res,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { z } from 'zod';
import { Plant } from './plant.js';
import { SIMULATOR_CONFIG, type SimulatorSettings } from './tokens.js';

const RECENT = 100;

/**
 * The plant's MES, as the seed's app talks to it (docs/demo-plant.md, section 5): it lists production
 * orders following the battery line (pull mode: `GET /mes/orders` with ETag and Last-Modified) and
 * takes QC results and machine-data summaries. `POST /mes/outage` makes it answer 503 for a while, so
 * the bridge's retries can be watched.
 */
@Injectable()
export class SimulatedMes implements OnApplicationBootstrap, OnApplicationShutdown {
  readonly feed: MesOrderFeed;
  private timer: NodeJS.Timeout | undefined;
  private downUntilMs = 0;
  readonly received = {
    results: new Map<string, unknown>(),
    machineData: new Map<string, unknown>(),
    duplicates: 0,
  };

  constructor(
    @Inject(SIMULATOR_CONFIG) private readonly config: SimulatorSettings,
    @Inject(Plant) private readonly plant: Plant,
    @Inject(Observability) private readonly observability: Observability,
  ) {
    this.feed = new MesOrderFeed(config.SIMULATOR_CELL_LINE);
  }

  onApplicationBootstrap(): void {
    const tick = () => this.feed.observe(this.plant.cells.currentOrder, Date.now());
    tick();
    this.timer = setInterval(tick, 1_000);
  }

  onApplicationShutdown(): void {
    clearInterval(this.timer);
  }

  get down(): boolean {
    return Date.now() < this.downUntilMs;
  }

  outage(forMs: number): void {
    this.downUntilMs = Date.now() + forMs;
    this.observability.logger.warn({ forMs }, 'simulated MES outage');
  }

  /** Keeps the last {@link RECENT} per kind; a repeated Idempotency-Key is counted, not stored twice. */
  take(kind: 'results' | 'machineData', key: string | undefined, body: unknown): void {
    const store = this.received[kind];
    const id = key ?? `anonymous-${store.size}-${Date.now()}`;
    if (store.has(id)) {
      this.received.duplicates += 1;
      return;
    }
    store.set(id, body);
    if (store.size > RECENT) store.delete(store.keys().next().value as string);
  }

  /** A configured token is required on every call; none configured: open (the demo). */
  checkToken(header: string | undefined): void {
    const token = this.config.SIMULATOR_MES_TOKEN;
    if (token !== undefined && header !== `Bearer ${token}`) {
      throw new HttpException({ statusCode: 401, error: 'Unauthorized', message: 'MES token required' }, 401);
    }
  }
}

const outageSchema = z.object({ forMs: z.number().int().min(0).max(3_600_000) });

@Controller('mes')
export class SimulatedMesController {
  constructor(@Inject(SimulatedMes) private readonly mes: SimulatedMes) {}

  @Get('orders')
  orders(
    @Headers('authorization') authorization: string | undefined,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Headers('if-modified-since') ifModifiedSince: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    this.mes.checkToken(authorization);
    const { feed } = this.mes;
    void reply.header('etag', feed.etag).header('last-modified', new Date(feed.lastModifiedMs).toUTCString());
    // RFC 9110 section 13.1.3: If-Modified-Since is ignored when If-None-Match is present.
    const unchanged =
      ifNoneMatch !== undefined
        ? ifNoneMatch === feed.etag
        : ifModifiedSince !== undefined && Date.parse(ifModifiedSince) >= feed.lastModifiedMs;
    if (unchanged) {
      void reply.status(304);
      return '';
    }
    return { orders: feed.list() };
  }

  @Post('results')
  @HttpCode(200)
  results(
    @Headers('authorization') authorization: string | undefined,
    @Headers('idempotency-key') key: string | undefined,
    @Body() body: unknown,
  ) {
    this.accept(authorization);
    this.mes.take('results', key, body);
    return { ok: true };
  }

  @Post('machine-data')
  @HttpCode(200)
  machineData(
    @Headers('authorization') authorization: string | undefined,
    @Headers('idempotency-key') key: string | undefined,
    @Body() body: unknown,
  ) {
    this.accept(authorization);
    this.mes.take('machineData', key, body);
    return { ok: true };
  }

  @Get('received')
  received() {
    const { results, machineData, duplicates } = this.mes.received;
    return {
      results: results.size,
      machineData: machineData.size,
      duplicates,
      latestResults: [...results.values()].slice(-10),
      latestMachineData: [...machineData.values()].slice(-1),
      down: this.mes.down,
    };
  }

  @Post('outage')
  @HttpCode(200)
  outage(@Body() body: unknown) {
    const parsed = outageSchema.safeParse(body);
    if (!parsed.success) {
      throw new HttpException({ statusCode: 400, error: 'Bad Request', message: 'forMs: 0-3600000 ms' }, 400);
    }
    this.mes.outage(parsed.data.forMs);
    return { downUntil: new Date(Date.now() + parsed.data.forMs).toISOString() };
  }

  private accept(authorization: string | undefined): void {
    this.mes.checkToken(authorization);
    if (this.mes.down) {
      throw new HttpException(
        { statusCode: 503, error: 'Service Unavailable', message: 'MES outage (simulated)' },
        503,
      );
    }
  }
}
