/** A subcommand of `tfvision`. `run` returns the process exit code. */
export interface Command {
  name: string;
  summary: string;
  /** Full help text printed by `tfvision NAME --help`. */
  help: string;
  run(argv: string[]): Promise<number>;
}

/** A usage error: printed as one line with the command's name, exit code 2, no stack. */
export class UsageError extends Error {
  override name = 'UsageError';
}
