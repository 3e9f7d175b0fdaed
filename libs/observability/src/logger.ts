import { pino, type Logger, type LevelWithSilent } from 'pino';

export type { Logger };

/** JSON logs on stdout, one line per event, with the service name on every line. */
export function createLogger(service: string, level: LevelWithSilent = 'info'): Logger {
  return pino({
    name: service,
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}
