import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { findRunningComponents } from '../stack/stack.js';
import { readStackConfig } from './stack-config.js';
import type { Command } from './types.js';

export const resetCommand: Command = {
  name: 'reset',
  summary: 'delete the local stack data (all topics, tables, logs); --all also deletes the download cache',
  async run(args) {
    const all = args.includes('--all');
    const unknown = args.filter((arg) => arg !== '--all');
    if (unknown.length > 0) {
      console.error(`millrace reset: unknown argument ${unknown.join(' ')}`);
      return 2;
    }
    const { dataDir, cacheDir } = readStackConfig();
    const running = findRunningComponents(dataDir);
    if (running.length > 0) {
      console.error(
        `[millrace] not resetting ${dataDir}: ${running.map((r) => `${r.component} (pid ${r.pid})`).join(', ')} ` +
          'still running. Stop `millrace start` first.',
      );
      return 1;
    }
    if (!existsSync(dataDir)) {
      console.log(`[millrace] ${dataDir} does not exist; nothing to reset`);
      return 0;
    }
    for (const entry of readdirSync(dataDir)) {
      const path = join(dataDir, entry);
      if (!all && path === cacheDir) continue;
      rmSync(path, { recursive: true, force: true });
    }
    console.log(
      `[millrace] reset ${dataDir}${all ? '' : ' (kept the download cache; --all deletes it too)'}`,
    );
    return 0;
  },
};
