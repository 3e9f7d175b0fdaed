import { RequireRole } from '@millrace/auth';
import { nowUs } from '@millrace/time';
import {
  Body,
  Controller,
  Get,
  Headers,
  HttpException,
  Inject,
  NotFoundException,
  Param,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { parse } from '../http/validation.js';
import { OrderBook, fingerprint, type IdempotencyRequest, type OrderOutcome } from './order-book.js';
import {
  orderBodySchema,
  orderIdParamSchema,
  ordersQuerySchema,
  transitionBodySchema,
  type ProductionOrder,
} from '@millrace/schema';

const idempotencyKeySchema = /^[\x21-\x7e]{1,255}$/;

/** `Idempotency-Key` (draft-ietf-httpapi-idempotency-key-header): printable ASCII, 1-255 characters. */
function idempotency(
  header: string | undefined,
  route: string,
  body: unknown,
): IdempotencyRequest | undefined {
  if (header === undefined) return undefined;
  if (!idempotencyKeySchema.test(header)) {
    throw new HttpException(
      {
        statusCode: 400,
        error: 'Bad Request',
        message: 'Idempotency-Key: must be 1-255 printable ASCII characters',
      },
      400,
    );
  }
  return { key: header, fingerprint: fingerprint(route, body) };
}

function answer(reply: FastifyReply, outcome: OrderOutcome) {
  if (outcome.status === 409 || outcome.status === 422) throw new HttpException(outcome.body, outcome.status);
  void reply.status(outcome.status);
  return outcome.body;
}

@Controller('api/mes/orders')
export class OrdersController {
  constructor(@Inject(OrderBook) private readonly book: OrderBook) {}

  @Post()
  @RequireRole('mes', 'engineer')
  async upsert(
    @Body() body: unknown,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const order = parse(orderBodySchema, body, 'body');
    const request = idempotency(key, 'POST /api/mes/orders', order);
    return answer(reply, await this.book.upsert({ ...order, ts: order.ts ?? nowUs() }, request));
  }

  @Get()
  list(@Query() query: unknown): { orders: ProductionOrder[] } {
    return { orders: this.book.list(parse(ordersQuerySchema, query, 'query')) };
  }

  @Get(':orderId')
  get(@Param() params: unknown): ProductionOrder {
    const { orderId } = parse(orderIdParamSchema, params, 'path');
    const order = this.book.get(orderId);
    if (!order)
      throw new NotFoundException({ statusCode: 404, error: 'Not Found', message: `no order ${orderId}` });
    return order;
  }

  @Post(':orderId/state')
  @RequireRole('mes', 'engineer')
  async transition(
    @Param() params: unknown,
    @Body() body: unknown,
    @Headers('idempotency-key') key: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { orderId } = parse(orderIdParamSchema, params, 'path');
    const change = parse(transitionBodySchema, body, 'body');
    const order = this.book.get(orderId);
    if (!order)
      throw new NotFoundException({ statusCode: 404, error: 'Not Found', message: `no order ${orderId}` });
    const request = idempotency(key, `POST /api/mes/orders/${orderId}/state`, change);
    const { orderId: id, line, product, quantity } = order;
    return answer(
      reply,
      await this.book.upsert(
        { orderId: id, line, product, quantity, state: change.state, ts: change.ts ?? nowUs() },
        request,
      ),
    );
  }
}
