import { epochMs } from '@millrace/time';
import { Controller, Get, Inject, Query } from '@nestjs/common';
import { parseQuery } from '../http/validation.js';
import { seriesQuerySchema, type SeriesResponse } from './series.api.js';
import { SeriesReader } from './series.service.js';

@Controller('api/series')
export class SeriesController {
  constructor(@Inject(SeriesReader) private readonly reader: SeriesReader) {}

  @Get()
  read(@Query() query: unknown): Promise<SeriesResponse> {
    // One `now` per request: every relative time of it resolves against the same instant.
    return this.reader.read(parseQuery(seriesQuerySchema, query), epochMs(Date.now()));
  }
}
