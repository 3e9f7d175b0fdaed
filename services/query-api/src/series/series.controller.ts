import { SERIES_BINARY_TYPE, encodeSeriesBinary } from '@millrace/dashboards';
import { epochMs } from '@millrace/time';
import { Controller, Get, Headers, Inject, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { parseQuery } from '../http/validation.js';
import { seriesQuerySchema, type SeriesResponse } from './series.api.js';
import { SeriesReader } from './series.service.js';

@Controller('api/series')
export class SeriesController {
  constructor(@Inject(SeriesReader) private readonly reader: SeriesReader) {}

  @Get()
  async read(
    @Query() query: unknown,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SeriesResponse | Buffer> {
    // One `now` per request: every relative time of it resolves against the same instant.
    const answer = await this.reader.read(parseQuery(seriesQuerySchema, query), epochMs(Date.now()));
    void reply.header('vary', 'accept');
    if (!accept?.includes(SERIES_BINARY_TYPE)) return answer;
    void reply.type(SERIES_BINARY_TYPE);
    const bytes = encodeSeriesBinary(answer);
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
}
