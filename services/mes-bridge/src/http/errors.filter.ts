import { Observability } from '@millrace/observability';
import { Catch, HttpException, Inject, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply } from 'fastify';

/** A failure the caller can retry: Kafka or QuestDB not reachable. */
export class UnavailableError extends Error {
  readonly retriable = true;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'UnavailableError';
  }
}

/**
 * A caller's mistake keeps its 4xx (Fastify's own too: bad JSON, wrong content type, too large);
 * a dependency down is a 503; anything else a 500 whose details stay in the log.
 */
@Catch()
export class ApiErrorFilter implements ExceptionFilter {
  constructor(@Inject(Observability) private readonly observability: Observability) {}

  catch(error: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (error instanceof HttpException) {
      const status = error.getStatus();
      const body = error.getResponse();
      // Nest's own refusals (e.g. a body Fastify could not parse) carry a bare string: answer JSON anyway.
      void reply
        .status(status)
        .send(typeof body === 'string' ? { statusCode: status, error: error.name, message: body } : body);
      return;
    }
    const status = (error as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number' && status >= 400 && status < 500) {
      void reply
        .status(status)
        .send({ statusCode: status, error: 'Bad Request', message: (error as Error).message });
      return;
    }
    if (error instanceof UnavailableError) {
      this.observability.logger.warn({ err: error }, 'dependency unavailable');
      void reply.status(503).send({ statusCode: 503, error: 'Service Unavailable', message: error.message });
      return;
    }
    this.observability.logger.error({ err: error }, 'request failed');
    void reply
      .status(500)
      .send({ statusCode: 500, error: 'Internal Server Error', message: 'internal error' });
  }
}
