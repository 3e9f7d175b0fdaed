import { Observability } from '@millrace/observability';
import { QuestDbError } from '@millrace/questdb';
import { BadRequestException, type ArgumentsHost } from '@nestjs/common';
import { describe, expect, it } from 'vitest';
import { ApiErrorFilter } from './errors.filter.js';

function answer(error: unknown): { status: number; body: { message: string } } {
  const sent: { status: number; body: { message: string } } = { status: 0, body: { message: '' } };
  const reply = {
    status(code: number) {
      sent.status = code;
      return this;
    },
    send(body: { message: string }) {
      sent.body = body;
      return this;
    },
  };
  const host = { switchToHttp: () => ({ getResponse: () => reply }) } as unknown as ArgumentsHost;
  new ApiErrorFilter(new Observability('test', { logLevel: 'silent' })).catch(error, host);
  return sent;
}

describe('ApiErrorFilter', () => {
  it('answers a query past the statement time-out with 504 and a hint', () => {
    // The message node-postgres gives when query_timeout fires (checked against QuestDB in libs/questdb).
    const { status, body } = answer(new QuestDbError('query failed: Query read timeout [SELECT ...]', true));
    expect(status).toBe(504);
    expect(body.message).toMatch(/narrow the range/);
  });

  it('answers QuestDB unreachable with 503 and a failing query with 500, never with its SQL', () => {
    expect(answer(new QuestDbError('query failed: connect ECONNREFUSED [SELECT secret]', true)).status).toBe(
      503,
    );
    const failed = answer(new QuestDbError('query failed: syntax [SELECT secret]', false));
    expect(failed.status).toBe(500);
    expect(JSON.stringify(failed.body)).not.toMatch(/secret/);
  });

  it('keeps a caller mistake as its 4xx', () => {
    expect(answer(new BadRequestException('from: after to')).status).toBe(400);
  });
});
