import {
  Inject,
  Injectable,
  Module,
  type DynamicModule,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';

/** A service's long-running part (consumers, a scoring loop): started once the app is up, stopped on shutdown. */
export interface ServiceWorker {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * A Nest module that builds `create()` once and runs it with the app's lifecycle: `start` after
 * bootstrap (so /healthz answers meanwhile), `stop` on shutdown. `token` provides the worker to others.
 */
export function serviceWorkerModule<Worker extends ServiceWorker>(
  token: abstract new (...args: never[]) => Worker,
  create: () => Worker,
): DynamicModule {
  @Module({})
  class WorkerLifecycle {}

  @Injectable()
  class WorkerRunner implements OnApplicationBootstrap, OnApplicationShutdown {
    constructor(@Inject(token) private readonly worker: Worker) {}

    onApplicationBootstrap(): Promise<void> {
      return this.worker.start();
    }

    onApplicationShutdown(): Promise<void> {
      return this.worker.stop();
    }
  }

  return {
    module: WorkerLifecycle,
    providers: [
      { provide: token, useFactory: create },
      { provide: WorkerRunner, useClass: WorkerRunner },
    ],
  };
}
