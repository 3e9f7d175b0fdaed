import { epochMs } from '@millrace/time';
import { Body, Controller, Get, HttpCode, Inject, Post, Query } from '@nestjs/common';
import { parseQuery } from '../http/validation.js';
import {
  annotationBodySchema,
  eventsQuerySchema,
  type Annotation,
  type EventsResponse,
} from './events.api.js';
import { EventsReader } from './events.reader.js';

@Controller('api')
export class EventsController {
  constructor(@Inject(EventsReader) private readonly reader: EventsReader) {}

  @Get('events')
  events(@Query() query: unknown): Promise<EventsResponse> {
    return this.reader.read(parseQuery(eventsQuerySchema, query), epochMs(Date.now()));
  }

  // TODO(auth issue): anyone who reaches the API may annotate until authentication lands; the author is
  // whatever the caller claims.
  @Post('annotations')
  @HttpCode(201)
  annotate(@Body() body: unknown): Promise<Annotation> {
    return this.reader.annotate(parseQuery(annotationBodySchema, body));
  }
}
