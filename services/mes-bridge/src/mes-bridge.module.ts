import { AuthModule, loadAuth } from '@millrace/auth';
import type { Observability } from '@millrace/observability';
import { Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { Bridge } from './bridge.js';
import { CommandsController } from './commands/commands.controller.js';
import { GenealogyController } from './genealogy/genealogy.controller.js';
import { ApiErrorFilter } from './http/errors.filter.js';
import { MiscController } from './http/misc.controller.js';
import { OrderBook } from './orders/order-book.js';
import { OrdersController } from './orders/orders.controller.js';
import { CONFIG, type Settings } from './tokens.js';

@Module({})
export class MesBridgeModule {
  static forRoot(config: Settings, observability: Observability): DynamicModule {
    const auth = loadAuth(config);
    if (auth.dev) {
      // Development tokens, logged at every start so the demo's log shows them (they are in the data folder
      // anyway); AUTH_DEV_TOKENS=false and a token file in production.
      observability.logger.warn(
        { file: auth.dev.path, tokens: auth.dev.tokens },
        'API tokens: development tokens in use (AUTH_DEV_TOKENS)',
      );
    } else if (auth.settings.registry.size === 0) {
      observability.logger.warn(
        'no API token configured: every write route refuses (set AUTH_TOKENS_FILE or AUTH_TOKENS)',
      );
    }
    return {
      module: MesBridgeModule,
      imports: [AuthModule.forRoot(auth.settings)],
      controllers: [OrdersController, CommandsController, GenealogyController, MiscController],
      providers: [
        { provide: CONFIG, useValue: config },
        Bridge,
        { provide: OrderBook, useFactory: (bridge: Bridge) => bridge.orders, inject: [Bridge] },
        { provide: APP_FILTER, useClass: ApiErrorFilter },
      ],
    };
  }
}
