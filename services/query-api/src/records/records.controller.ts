import { epochMs } from '@millrace/time';
import { Controller, Get, Inject, Query } from '@nestjs/common';
import { parseQuery } from '../http/validation.js';
import {
  coilDataQuerySchema,
  coilsQuerySchema,
  inspectionsQuerySchema,
  ordersQuerySchema,
  productionSummaryQuerySchema,
  type RowsResponse,
  type SummaryResponse,
} from './records.api.js';
import { RecordsReader } from './records.reader.js';

@Controller('api')
export class RecordsController {
  constructor(@Inject(RecordsReader) private readonly reader: RecordsReader) {}

  @Get('coils')
  coils(@Query() query: unknown): Promise<RowsResponse> {
    return this.reader.coils(parseQuery(coilsQuerySchema, query), epochMs(Date.now()));
  }

  @Get('production/summary')
  productionSummary(@Query() query: unknown): Promise<SummaryResponse> {
    return this.reader.productionSummary(
      parseQuery(productionSummaryQuerySchema, query),
      epochMs(Date.now()),
    );
  }

  @Get('inspections')
  inspections(@Query() query: unknown): Promise<RowsResponse> {
    return this.reader.inspections(parseQuery(inspectionsQuerySchema, query), epochMs(Date.now()));
  }

  @Get('coil-data')
  coilData(@Query() query: unknown): Promise<RowsResponse> {
    return this.reader.coilData(parseQuery(coilDataQuerySchema, query), epochMs(Date.now()));
  }

  @Get('orders')
  orders(@Query() query: unknown): Promise<RowsResponse> {
    return this.reader.orders(parseQuery(ordersQuerySchema, query), epochMs(Date.now()));
  }
}
