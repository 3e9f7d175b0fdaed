import { Controller, Get, Inject } from '@nestjs/common';
import { Bridge } from '../bridge.js';
import { MES_ROUTES } from './api.js';
import { openApiDocument } from './openapi.js';

@Controller('api')
export class MiscController {
  private readonly document = openApiDocument(MES_ROUTES, '0.1.0');

  constructor(@Inject(Bridge) private readonly bridge: Bridge) {}

  @Get('openapi.json')
  openapi(): Record<string, unknown> {
    return this.document;
  }

  @Get('mes/outbox')
  outbox() {
    return this.bridge.outboxStatus();
  }
}
