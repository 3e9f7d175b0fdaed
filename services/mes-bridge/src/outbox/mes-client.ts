import { retriableStatus, type DeliveryFailure } from './retry-policy.js';

/** A failed call to the MES, with whether trying again may succeed. */
export class MesCallError extends Error implements DeliveryFailure {
  constructor(
    readonly reason: string,
    readonly retriable: boolean,
    readonly status?: number,
  ) {
    super(reason);
    this.name = 'MesCallError';
  }
}

export interface MesClientOptions {
  /** Base URL, e.g. `http://mes.example/api`; paths are appended. */
  baseUrl: string;
  token?: string | undefined;
  timeoutMs: number;
}

export interface PullResult {
  status: 200 | 304;
  body?: unknown;
  etag?: string;
  lastModified?: string;
}

/** The MES's REST API as the bridge uses it: POST results and summaries, GET orders conditionally. */
export class MesClient {
  constructor(private readonly options: MesClientOptions) {}

  /** POSTs JSON; the item's id goes as `Idempotency-Key` so the MES can drop a re-delivery after a crash. */
  async post(path: string, body: unknown, idempotencyKey: string): Promise<void> {
    const response = await this.call(path, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': idempotencyKey },
      body: JSON.stringify(body),
    });
    await response.body?.cancel();
  }

  /** GET with `If-None-Match` / `If-Modified-Since` (RFC 9110 section 13.1): a 304 costs the MES nothing. */
  async pull(path: string, etag: string | undefined, lastModified: string | undefined): Promise<PullResult> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (etag !== undefined) headers['if-none-match'] = etag;
    else if (lastModified !== undefined) headers['if-modified-since'] = lastModified;
    const response = await this.call(path, { method: 'GET', headers });
    const validators = {
      ...(response.headers.get('etag') ? { etag: response.headers.get('etag') as string } : {}),
      ...(response.headers.get('last-modified')
        ? { lastModified: response.headers.get('last-modified') as string }
        : {}),
    };
    if (response.status === 304) return { status: 304, ...validators };
    let body: unknown;
    try {
      body = await response.json();
    } catch (error) {
      throw new MesCallError(`GET ${path}: body is not JSON: ${(error as Error).message}`, false, 200);
    }
    return { status: 200, body, ...validators };
  }

  private async call(path: string, init: RequestInit): Promise<Response> {
    const url = `${this.options.baseUrl.replace(/\/$/, '')}${path}`;
    const headers = new Headers(init.headers);
    if (this.options.token !== undefined) headers.set('authorization', `Bearer ${this.options.token}`);
    let response: Response;
    try {
      response = await fetch(url, { ...init, headers, signal: AbortSignal.timeout(this.options.timeoutMs) });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      throw new MesCallError(`${init.method} ${url}: ${cause ?? (error as Error).message}`, true);
    }
    if (response.status >= 400) {
      const text = (await response.text().catch(() => '')).slice(0, 200);
      throw new MesCallError(
        `${init.method} ${url}: HTTP ${response.status}${text ? ` ${text}` : ''}`,
        retriableStatus(response.status),
        response.status,
      );
    }
    return response;
  }
}
