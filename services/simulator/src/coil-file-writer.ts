import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Observability } from '@millrace/observability';
import { coilAt, coilByIndex, renderCoilFiles } from '@millrace/plant-sim';
import { Inject, Injectable, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import { SimulatorMetrics } from './metrics.js';
import { Plant } from './plant.js';
import { SIMULATOR_CONFIG, type SimulatorSettings } from './tokens.js';

/** Drops the six flat files of each coil as it leaves the line (docs/demo-plant.md, section 2). */
@Injectable()
export class CoilFileWriter implements OnApplicationBootstrap, OnApplicationShutdown {
  private timer: NodeJS.Timeout | undefined;
  private nextCoilIndex = 0;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    @Inject(SIMULATOR_CONFIG) private readonly config: SimulatorSettings,
    @Inject(Plant) private readonly plant: Plant,
    @Inject(SimulatorMetrics) private readonly metrics: SimulatorMetrics,
    @Inject(Observability) private readonly observability: Observability,
  ) {}

  get dropDir(): string {
    return this.config.SIMULATOR_DROP_DIR ?? join(this.config.MILLRACE_DATA_DIR, 'drop', 'pltcm');
  }

  async onApplicationBootstrap(): Promise<void> {
    await mkdir(this.dropDir, { recursive: true });
    // The first coil written is the one on the line now, when it finishes.
    this.nextCoilIndex = coilAt(this.plant.pltcm, Date.now()).index;
    this.timer = setInterval(() => {
      this.writing = this.writing.then(() => this.writeFinished(Date.now()));
    }, 1_000);
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.writing;
  }

  private async writeFinished(nowMs: number): Promise<void> {
    const logger = this.observability.logger.child({ component: 'files' });
    while (coilByIndex(this.plant.pltcm, this.nextCoilIndex).endMs <= nowMs) {
      const coil = coilByIndex(this.plant.pltcm, this.nextCoilIndex);
      try {
        for (const file of renderCoilFiles(this.plant.pltcm, coil, { zone: this.config.MILLRACE_PLANT_TZ })) {
          const target = join(this.dropDir, file.fileName);
          // Written under a temporary name and renamed when complete, so a watcher never reads half a file.
          await writeFile(`${target}.tmp`, file.bytes);
          await rename(`${target}.tmp`, target);
          this.metrics.filesWritten.inc({ kind: file.kind });
        }
        this.metrics.coilsFinished.inc();
        logger.info({ coilId: coil.id, dir: this.dropDir }, 'coil files dropped');
      } catch (error) {
        // A full disk or a removed folder must not stop the line; the next coil tries again.
        logger.error({ err: error, coilId: coil.id }, 'cannot write coil files');
        await mkdir(this.dropDir, { recursive: true }).catch(() => undefined);
      }
      this.nextCoilIndex += 1;
    }
  }
}
