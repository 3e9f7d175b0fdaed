import { nowUs, usToIso } from '@millrace/time';
import { Controller, Get, Inject, Query } from '@nestjs/common';
import { Bridge } from '../bridge.js';
import { genealogyQuerySchema, lineOrdersQuerySchema } from '@millrace/schema';
import { parse } from '../http/validation.js';
import { OrderBook } from '../orders/order-book.js';
import { orderInProduction, ordersOverlapping } from './genealogy.js';

@Controller('api/mes/genealogy')
export class GenealogyController {
  constructor(
    @Inject(OrderBook) private readonly book: OrderBook,
    @Inject(Bridge) private readonly bridge: Bridge,
  ) {}

  /** The order from the order book; cell and coil from QuestDB (null while it is unreachable). */
  @Get()
  async at(@Query() query: unknown) {
    const { line, at = nowUs() } = parse(genealogyQuerySchema, query, 'query');
    const [cell, coil] = await Promise.all([
      this.bridge.genealogy.cellAt(line, at).catch(() => undefined),
      this.bridge.genealogy.coilAt(line, at).catch(() => undefined),
    ]);
    return {
      line,
      at: usToIso(at),
      order: orderInProduction(this.book.all(), line, at) ?? null,
      cell: cell ?? null,
      coil: coil ?? null,
    };
  }

  @Get('orders')
  orders(@Query() query: unknown) {
    const { line, from, to } = parse(lineOrdersQuerySchema, query, 'query');
    return { orders: ordersOverlapping(this.book.all(), line, from, to) };
  }
}
