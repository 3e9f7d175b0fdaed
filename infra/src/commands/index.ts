import { backfillCommand } from './backfill.js';
import { lagCommand } from './lag.js';
import { rebuildRollupsCommand } from './rebuild-rollups.js';
import { replayCommand } from './replay.js';
import { resetCommand } from './reset.js';
import { startCommand } from './start.js';
import { trainCommand } from './train.js';
import type { Command } from './types.js';

/** Every `millrace` subcommand; add new ones (replay, backfill, lag, train) here as their own modules. */
export const COMMANDS: readonly Command[] = [
  startCommand,
  replayCommand,
  rebuildRollupsCommand,
  lagCommand,
  backfillCommand,
  resetCommand,
  trainCommand,
];

export type { Command } from './types.js';
