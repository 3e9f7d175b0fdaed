import { epochMs } from '@millrace/time';
import { Controller, Get, Inject, Query, Res } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { parseQuery } from '../http/validation.js';
import { exportQuerySchema } from './export.api.js';
import { ExportReader } from './export.reader.js';

@Controller('api/export')
export class ExportController {
  constructor(@Inject(ExportReader) private readonly reader: ExportReader) {}

  @Get()
  async export(@Query() query: unknown, @Res() reply: FastifyReply): Promise<void> {
    const parsed = parseQuery(exportQuerySchema, query);
    const stream = await this.reader.open(parsed, epochMs(Date.now()));
    const name = parsed.tag.replaceAll('/', '_');
    await reply
      .header('content-type', 'text/csv; charset=utf-8')
      .header('content-disposition', `attachment; filename="${name}.csv"`)
      .send(stream);
  }
}
