import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { modelArtifactSchema, type ModelArtifact } from './artifact.js';
import { RiskModelError } from './errors.js';
import type { Evaluation } from './metrics.js';

/** `current.json`: which version serving uses. Written last and by rename, so a reader never sees half of it. */
const currentSchema = z.object({
  version: z.string().min(1),
  promotedAt: z.iso.datetime(),
  reason: z.string(),
});
export type CurrentModel = z.infer<typeof currentSchema>;

export const CURRENT_FILE = 'current.json';
export const ARTIFACT_FILE = 'model.json';

/** The model folder under the data folder: `<MILLRACE_DATA_DIR>/models/risk`. */
export function modelDir(dataDir: string): string {
  return join(dataDir, 'models', 'risk');
}

async function writeAtomically(path: string, text: string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, text);
  await rename(temporary, path);
}

/** Writes an artifact to `<dir>/<version>/model.json`; a version is written once and never changed. */
export async function saveArtifact(dir: string, artifact: ModelArtifact): Promise<string> {
  const folder = join(dir, artifact.version);
  await mkdir(folder, { recursive: true });
  const path = join(folder, ARTIFACT_FILE);
  await writeAtomically(path, `${JSON.stringify(artifact)}\n`);
  return path;
}

export async function loadArtifact(dir: string, version: string): Promise<ModelArtifact> {
  const path = join(dir, version, ARTIFACT_FILE);
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new RiskModelError(
      `cannot read ${path}: ${(error as Error).message}`,
      true,
      { path },
      { cause: error },
    );
  }
  const parsed = modelArtifactSchema.safeParse(JSON.parse(text));
  if (!parsed.success) {
    throw new RiskModelError(`${path} is not a model artifact: ${z.prettifyError(parsed.error)}`, false, {
      path,
    });
  }
  return parsed.data;
}

/** The promoted version, or undefined when none was ever promoted (a cold start). */
export async function readCurrent(dir: string): Promise<CurrentModel | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, CURRENT_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new RiskModelError(
      `cannot read ${CURRENT_FILE}: ${(error as Error).message}`,
      true,
      {},
      { cause: error },
    );
  }
  const parsed = currentSchema.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new RiskModelError(`${CURRENT_FILE} is malformed: ${z.prettifyError(parsed.error)}`, false);
  return parsed.data;
}

export async function loadCurrentArtifact(dir: string): Promise<ModelArtifact | undefined> {
  const current = await readCurrent(dir);
  return current ? loadArtifact(dir, current.version) : undefined;
}

export async function promote(dir: string, version: string, reason: string, now: Date): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeAtomically(
    join(dir, CURRENT_FILE),
    `${JSON.stringify({ version, promotedAt: now.toISOString(), reason })}\n`,
  );
}

export interface PromotionDecision {
  promote: boolean;
  reason: string;
}

/**
 * A candidate replaces the current model only if it does better on the same hold-out: higher PR AUC
 * (the figure that matters with rare failures; ROC AUC barely moves when the rare class improves),
 * or equal PR AUC and a lower Brier score. Both are judged on the candidate's hold-out, the current
 * model with its own threshold, so the comparison is like for like. Without a current model, the
 * candidate must still beat chance.
 */
export function decidePromotion(candidate: Evaluation, current: Evaluation | undefined): PromotionDecision {
  if (candidate.prAuc === null)
    return { promote: false, reason: 'the hold-out has no failing cell, PR AUC undefined' };
  const fmt = (value: number | null) => (value === null ? 'n/a' : value.toFixed(4));
  if (!current) {
    // With nothing to beat, the bar is chance: a no-skill ranking has PR AUC equal to the failure rate.
    const chance = candidate.positives / Math.max(1, candidate.cells);
    return candidate.prAuc > chance
      ? {
          promote: true,
          reason: `no current model; hold-out PR AUC ${fmt(candidate.prAuc)} above chance ${fmt(chance)}`,
        }
      : {
          promote: false,
          reason: `no current model, but hold-out PR AUC ${fmt(candidate.prAuc)} is not above chance ${fmt(chance)}`,
        };
  }
  const currentPr = current.prAuc ?? -Infinity;
  const better =
    candidate.prAuc > currentPr + 1e-9 ||
    (Math.abs(candidate.prAuc - currentPr) <= 1e-9 &&
      (candidate.brier ?? Infinity) < (current.brier ?? Infinity));
  return {
    promote: better,
    reason: `hold-out PR AUC ${fmt(candidate.prAuc)} vs current ${fmt(current.prAuc)}, Brier ${fmt(candidate.brier)} vs ${fmt(current.brier)}`,
  };
}
