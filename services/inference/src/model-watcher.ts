import { watch, type FSWatcher } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import type { Logger } from '@millrace/observability';
import { loadArtifact, readCurrent, RiskScorer, type FeatureConfig } from '@millrace/risk-model';

export interface LoadedModel {
  scorer: RiskScorer;
  featureConfig: FeatureConfig;
}

/**
 * Follows `current.json` in the model folder: a promotion by `millrace train` swaps the scorer without a
 * restart. fs.watch reacts at once; the poll catches what it misses (network filesystems, an editor's
 * rename). A model that fails to load is logged and the previous one keeps serving.
 */
export class ModelWatcher {
  private model: LoadedModel | undefined;
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;
  private checking: Promise<void> = Promise.resolve();
  private lastProblem = '';

  constructor(
    private readonly dir: string,
    private readonly pollMs: number,
    private readonly topReasons: number,
    private readonly logger: Logger,
    private readonly onChange: (model: LoadedModel) => void,
  ) {}

  get current(): LoadedModel | undefined {
    return this.model;
  }

  async start(): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    await this.check();
    if (!this.model) {
      this.logger.warn(
        { dir: this.dir },
        'no promoted model: scoring nothing until `millrace train` promotes one',
      );
    }
    this.watcher = watch(this.dir, () => void this.scheduleCheck());
    this.watcher.on('error', (error) =>
      this.logger.warn({ err: error }, 'model folder watch failed; polling only'),
    );
    this.timer = setInterval(() => void this.scheduleCheck(), this.pollMs);
    this.timer.unref();
  }

  /** Checks run one at a time, so a burst of watch events loads a model once. */
  scheduleCheck(): Promise<void> {
    this.checking = this.checking.then(() => this.check());
    return this.checking;
  }

  private async check(): Promise<void> {
    try {
      const current = await readCurrent(this.dir);
      if (!current || current.version === this.model?.scorer.version) return;
      const artifact = await loadArtifact(this.dir, current.version);
      this.model = {
        scorer: new RiskScorer(artifact, this.topReasons),
        featureConfig: artifact.featureConfig,
      };
      this.lastProblem = '';
      this.logger.info(
        {
          version: artifact.version,
          kind: artifact.kind,
          holdout: { prAuc: artifact.metrics.holdout.prAuc, rocAuc: artifact.metrics.holdout.rocAuc },
        },
        'risk model loaded',
      );
      this.onChange(this.model);
    } catch (error) {
      const problem = (error as Error).message;
      // A half-written folder looks broken until its rename lands: log each distinct problem once.
      if (problem !== this.lastProblem)
        this.logger.error({ err: error }, 'cannot load the promoted model; keeping the current one');
      this.lastProblem = problem;
    }
  }

  stop(): void {
    this.watcher?.close();
    clearInterval(this.timer);
  }
}
