import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import type { QueryApiConfig } from '@millrace/config';
import { DEFAULT_SHIFT_CALENDAR, shiftCalendarSchema, type ShiftCalendar } from '@millrace/dashboards';
import { Controller, Get, Inject, NotFoundException, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { RouteDoc } from '../http/openapi.js';
import { CONFIG } from '../tokens.js';
import { WEB_DIST_DIR } from './web.paths.js';

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.map': 'application/json; charset=utf-8',
};

export const uiConfigSchema = z.object({
  plantTimeZone: z.string().describe('IANA zone of the plant: the default zone of every time shown'),
  shiftCalendar: shiftCalendarSchema,
});
export type UiConfig = z.infer<typeof uiConfigSchema>;

export const WEB_ROUTES: readonly RouteDoc[] = [
  {
    method: 'get',
    path: '/api/ui-config',
    area: 'web',
    summary: "What the web app needs before its first query: the plant's time zone and shift calendar",
    response: uiConfigSchema,
  },
];

/** Parses the configured shift calendar once; an invalid one stops start-up with the key's name. */
export function shiftCalendarOf(config: QueryApiConfig): ShiftCalendar {
  if (config.QUERY_API_SHIFT_CALENDAR === undefined) return DEFAULT_SHIFT_CALENDAR;
  const parsed = shiftCalendarSchema.safeParse(config.QUERY_API_SHIFT_CALENDAR);
  if (!parsed.success)
    throw new Error(`QUERY_API_SHIFT_CALENDAR: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}

/**
 * Serves the built web app at `/`: Vite's hashed files under `/assets/` are immutable (cached a year),
 * everything else is revalidated; any other path that is not a file is the app's own route (`/d/<id>`),
 * so it gets `index.html` (SPA fallback). Unknown `/api/...` paths stay JSON 404s.
 */
@Controller()
export class WebController {
  private readonly dist: string;
  private readonly uiConfig: UiConfig;
  private readonly assets = new Map<string, Buffer>();

  constructor(@Inject(CONFIG) config: QueryApiConfig) {
    this.dist = normalize(config.QUERY_API_WEB_DIST_DIR ?? WEB_DIST_DIR);
    this.uiConfig = { plantTimeZone: config.MILLRACE_PLANT_TZ, shiftCalendar: shiftCalendarOf(config) };
  }

  @Get('api/ui-config')
  config(): UiConfig {
    return this.uiConfig;
  }

  @Get('*')
  async serve(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const pathname = decodeURIComponent(new URL(request.url, 'http://host').pathname);
    if (pathname === '/api' || pathname.startsWith('/api/'))
      throw new NotFoundException(`no route ${pathname}`);
    const file = normalize(join(this.dist, pathname));
    const inside = file.startsWith(this.dist + sep) && !pathname.endsWith('/');
    const hashed = pathname.startsWith('/assets/');
    const body = inside ? await this.read(file, hashed) : undefined;
    if (body) {
      await reply
        .header('content-type', TYPES[extname(file)] ?? 'application/octet-stream')
        .header('cache-control', hashed ? 'public, max-age=31536000, immutable' : 'no-cache')
        .send(body);
      return;
    }
    if (hashed || extname(pathname) !== '') throw new NotFoundException(`no file ${pathname}`);
    const index = await this.read(join(this.dist, 'index.html'), false);
    if (!index) {
      await reply
        .status(503)
        .header('content-type', 'text/plain; charset=utf-8')
        .send(`The web app is not built (no ${this.dist}/index.html): run \`npm run build -w web\`.\n`);
      return;
    }
    await reply.header('content-type', TYPES['.html']!).header('cache-control', 'no-cache').send(index);
  }

  private async read(file: string, cache: boolean): Promise<Buffer | undefined> {
    const cached = this.assets.get(file);
    if (cached) return cached;
    try {
      const body = await readFile(file);
      // Hashed names never change content, so they are read from disk once.
      if (cache) this.assets.set(file, body);
      return body;
    } catch {
      return undefined;
    }
  }
}
