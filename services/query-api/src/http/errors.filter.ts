import { QuestDbError } from '@millrace/questdb';
import { Observability } from '@millrace/observability';
import { Catch, HttpException, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';

/**
 * Maps failures to HTTP: a caller's mistake keeps its 4xx; a query that ran past the statement
 * time-out is a 504; QuestDB unreachable is a 503 (retriable); anything else a 500 whose details stay
 * in the log, so SQL never leaks to a client.
 */
@Catch()
export class ApiErrorFilter implements ExceptionFilter {
  constructor(@Inject(Observability) private readonly observability: Observability) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (error instanceof HttpException) {
      void reply.status(error.getStatus()).send(error.getResponse());
      return;
    }
    if (error instanceof QuestDbError) {
      const timedOut = /timeout/i.test(error.message);
      this.observability.logger.warn({ err: error }, 'query failed');
      const status = timedOut ? 504 : error.retriable ? 503 : 500;
      const message = timedOut
        ? 'the query ran past the statement time-out; narrow the range or the tags'
        : error.retriable
          ? 'the time-series store is not reachable; try again'
          : 'the query failed';
      void reply
        .status(status)
        .send({ statusCode: status, error: timedOut ? 'Gateway Timeout' : 'Error', message });
      return;
    }
    this.observability.logger.error({ err: error }, 'request failed');
    void reply
      .status(500)
      .send({ statusCode: 500, error: 'Internal Server Error', message: 'internal error' });
  }
}
