/** The shape every `handoff` sub-command exports. */
export interface Command {
  name: string;
  summary: string;
  /** Returns the process exit code. */
  run(argv: string[]): Promise<number>;
}

/** An error meant for the user: printed as one line, no stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
  }
}
