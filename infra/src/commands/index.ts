import { resetCommand } from './reset.js';
import { startCommand } from './start.js';
import type { Command } from './types.js';

/** Every `millrace` subcommand; add new ones (replay, backfill, lag, train) here as their own modules. */
export const COMMANDS: readonly Command[] = [startCommand, resetCommand];

export type { Command } from './types.js';
