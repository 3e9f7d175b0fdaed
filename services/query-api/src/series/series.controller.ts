import { Readable } from 'node:stream';
import { SERIES_BINARY_TYPE, encodeSeriesBinaryParts } from '@millrace/dashboards';
import { epochMs } from '@millrace/time';
import { Controller, Get, Headers, Inject, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { parseQuery } from '../http/validation.js';
import { seriesQuerySchema, seriesResponseJson, type SeriesResponse } from './series.api.js';
import { SeriesReader } from './series.service.js';

@Controller('api/series')
export class SeriesController {
  constructor(@Inject(SeriesReader) private readonly reader: SeriesReader) {}

  @Get()
  async read(
    @Query() query: unknown,
    @Headers('accept') accept: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SeriesResponse | Readable> {
    // One `now` per request: every relative time of it resolves against the same instant.
    const answer = await this.reader.read(parseQuery(seriesQuerySchema, query), epochMs(Date.now()));
    void reply.header('vary', 'accept');
    if (!accept?.includes(SERIES_BINARY_TYPE)) return seriesResponseJson(answer);
    // Written part by part, the columns straight from the frames: no 7 MB copy for a 100-tag answer.
    const parts = encodeSeriesBinaryParts(answer);
    void reply.type(SERIES_BINARY_TYPE);
    void reply.header(
      'content-length',
      parts.reduce((sum, part) => sum + part.byteLength, 0),
    );
    return Readable.from(parts.map((part) => Buffer.from(part.buffer, part.byteOffset, part.byteLength)));
  }
}
