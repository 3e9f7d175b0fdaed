#!/usr/bin/env node
import { COMMANDS } from './commands/index.js';

function usage(): string {
  const width = Math.max(...COMMANDS.map((command) => command.name.length));
  return [
    'Usage: millrace <command> [arguments]',
    '',
    'Commands:',
    ...COMMANDS.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`),
    '',
    'Configuration comes from MILLRACE_* environment variables (MILLRACE_DATA_DIR, MILLRACE_KAFKA_BROKERS,',
    'MILLRACE_QUESTDB_URL, MILLRACE_QUESTDB_PG_URL, MILLRACE_MQTT_URL) or the JSON file MILLRACE_CONFIG_FILE.',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name, ...args] = argv;
  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS.find((candidate) => candidate.name === name);
  if (!command) {
    console.error(`millrace: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  return command.run(args);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    // Config and stack errors are written for the operator; anything else is a bug, so show the stack.
    if (error instanceof Error && error.name === 'UsageError') {
      console.error(`millrace: ${error.message}`);
      process.exit(2);
    }
    const expected = error instanceof Error && (error.name === 'ConfigError' || error.name === 'StackError');
    console.error(
      `millrace: ${error instanceof Error ? (expected ? error.message : (error.stack ?? error.message)) : String(error)}`,
    );
    process.exit(1);
  },
);
