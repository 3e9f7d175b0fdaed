import { Controller, Get, Module, Post, Req } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AuthDelegated, AuthModule, principalOf, RequireRole } from './guard.js';
import type { Role } from './roles.js';
import { generateToken, hashToken, TokenRegistry } from './tokens.js';

const tokens = Object.fromEntries(
  (['viewer', 'operator', 'engineer', 'admin', 'mes'] as const).map((role) => [role, generateToken()]),
) as Record<Role, string>;

@Controller('t')
class TestController {
  @Get('read')
  read(@Req() request: FastifyRequest) {
    return { who: principalOf(request)?.name ?? null };
  }

  // No decorator: a write route its author forgot to protect.
  @Post('forgotten')
  forgotten() {
    return { ok: true };
  }

  @Post('orders')
  @RequireRole('mes', 'engineer')
  orders(@Req() request: FastifyRequest) {
    return { who: principalOf(request)?.name };
  }

  @Post('proxy')
  @AuthDelegated()
  proxy() {
    return { ok: true };
  }
}

async function app(readRole: Role | 'none'): Promise<NestFastifyApplication> {
  const registry = new TokenRegistry(
    Object.entries(tokens).map(([role, token]) => ({
      name: `the-${role}`,
      role: role as Role,
      sha256: hashToken(token),
    })),
  );
  @Module({
    imports: [AuthModule.forRoot({ registry, readRole, writeRole: 'operator' })],
    controllers: [TestController],
  })
  class TestModule {}
  const instance = await NestFactory.create<NestFastifyApplication>(TestModule, new FastifyAdapter(), {
    logger: false,
  });
  await instance.init();
  await instance.getHttpAdapter().getInstance().ready();
  return instance;
}

const as = (role: Role) => ({ authorization: `Bearer ${tokens[role]}` });

describe('AuthGuard', () => {
  let open: NestFastifyApplication;
  let closed: NestFastifyApplication;
  beforeAll(async () => {
    open = await app('none');
    closed = await app('viewer');
  });
  afterAll(async () => {
    await open.close();
    await closed.close();
  });

  it('protects a write route that names no role with the default write role', async () => {
    expect((await open.inject({ method: 'POST', url: '/t/forgotten' })).statusCode).toBe(401);
    expect(
      (await open.inject({ method: 'POST', url: '/t/forgotten', headers: as('viewer') })).statusCode,
    ).toBe(403);
    expect((await open.inject({ method: 'POST', url: '/t/forgotten', headers: as('mes') })).statusCode).toBe(
      403,
    );
    expect(
      (await open.inject({ method: 'POST', url: '/t/forgotten', headers: as('operator') })).statusCode,
    ).toBe(201);
  });

  it('takes the roles a route names, and tells who called', async () => {
    const mes = await open.inject({ method: 'POST', url: '/t/orders', headers: as('mes') });
    expect(mes.json()).toEqual({ who: 'the-mes' });
    expect(
      (await open.inject({ method: 'POST', url: '/t/orders', headers: as('engineer') })).statusCode,
    ).toBe(201);
    expect((await open.inject({ method: 'POST', url: '/t/orders', headers: as('admin') })).statusCode).toBe(
      201,
    );
    const operator = await open.inject({ method: 'POST', url: '/t/orders', headers: as('operator') });
    expect(operator.statusCode).toBe(403);
    expect(operator.json()).toMatchObject({
      message: 'role operator may not do this; needs mes or engineer',
    });
  });

  it('leaves reads open unless AUTH_READ_ROLE is set', async () => {
    expect((await open.inject({ method: 'GET', url: '/t/read' })).json()).toEqual({ who: null });
    expect((await closed.inject({ method: 'GET', url: '/t/read' })).statusCode).toBe(401);
    expect((await closed.inject({ method: 'GET', url: '/t/read', headers: as('mes') })).json()).toEqual({
      who: 'the-mes',
    });
  });

  it('lets a delegated route (a proxy) through untouched', async () => {
    expect((await open.inject({ method: 'POST', url: '/t/proxy' })).statusCode).toBe(201);
  });
});
