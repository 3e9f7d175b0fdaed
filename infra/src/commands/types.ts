/** One `millrace <name>` subcommand. `run` resolves to the process exit code. */
export interface Command {
  name: string;
  /** One line for the usage text. */
  summary: string;
  run(args: string[]): Promise<number>;
}
