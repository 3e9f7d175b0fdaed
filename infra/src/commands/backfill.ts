import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Command } from './types.js';

// infra never imports a service: the backfill lives in ingest-files and runs as its own process.
const entry = fileURLToPath(new URL('../../../services/ingest-files/dist/backfill.js', import.meta.url));

export const backfillCommand: Command = {
  name: 'backfill',
  summary:
    'read a whole archive folder of flat files into Kafka (ingest-files profiles), with a progress bar',
  async run(args) {
    if (args.length !== 1) {
      console.error('Usage: millrace backfill <dir>');
      return 2;
    }
    if (!existsSync(entry)) {
      console.error(`millrace backfill: ${entry} is missing; build it first (npm run build)`);
      return 1;
    }
    const child = spawn(process.execPath, [entry, ...args], { stdio: 'inherit', env: process.env });
    const forward = (signal: NodeJS.Signals) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    return new Promise<number>((resolve) => {
      child.on('exit', (code, signal) => {
        process.off('SIGINT', forward);
        process.off('SIGTERM', forward);
        resolve(code ?? (signal ? 1 : 0));
      });
    });
  },
};
