import type { MesProxyConfig } from '@millrace/config';
import { AuthDelegated } from '@millrace/auth';
import { All, Controller, Inject, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';

export const MES_PROXY_CONFIG = Symbol('MES_PROXY_CONFIG');

/** Request headers the bridge needs; hop-by-hop and others stay here (RFC 9110 section 7.6.1). */
const FORWARDED_REQUEST = ['authorization', 'content-type', 'accept', 'idempotency-key', 'if-none-match'];
const FORWARDED_RESPONSE = ['content-type', 'etag', 'last-modified', 'www-authenticate', 'retry-after'];

/**
 * `/api/mes/*` forwarded to the MES bridge, so the web app has one origin. The bridge checks tokens
 * itself (this route is {@link AuthDelegated}): its roles are the truth, not a copy of them here.
 */
@Controller('api')
export class MesProxyController {
  constructor(@Inject(MES_PROXY_CONFIG) private readonly config: MesProxyConfig) {}

  @All('mes/*')
  @AuthDelegated()
  async forward(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const headers = new Headers();
    for (const name of FORWARDED_REQUEST) {
      const value = request.headers[name];
      if (typeof value === 'string') headers.set(name, value);
    }
    const hasBody = request.method !== 'GET' && request.method !== 'HEAD' && request.body !== undefined;
    let response: Response;
    try {
      response = await fetch(`${this.config.QUERY_API_MES_BRIDGE_URL.replace(/\/$/, '')}${request.url}`, {
        method: request.method,
        headers,
        ...(hasBody ? { body: JSON.stringify(request.body) } : {}),
        signal: AbortSignal.timeout(this.config.QUERY_API_MES_BRIDGE_TIMEOUT_MS),
        redirect: 'manual',
      });
    } catch {
      void reply
        .status(502)
        .send({ statusCode: 502, error: 'Bad Gateway', message: 'the MES bridge is not reachable' });
      return;
    }
    for (const name of FORWARDED_RESPONSE) {
      const value = response.headers.get(name);
      if (value !== null) void reply.header(name, value);
    }
    void reply.status(response.status).send(Buffer.from(await response.arrayBuffer()));
  }
}
