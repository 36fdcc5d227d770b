/** Process exit codes. Documented in the README; only src/cli.ts turns them into process.exit. */
export enum ExitCode {
  /** Everything asked for was done. */
  Success = 0,
  /** A step failed and what this run created was rolled back cleanly (or a check found problems). */
  Failed = 1,
  /** Bad flags, bad names, missing answers with no TTY, unreadable profiles. Nothing was changed. */
  Usage = 2,
  /** A step failed and the rollback could not remove everything; what is left is listed. */
  RollbackIncomplete = 3,
  /** Stopped by Ctrl-C (SIGINT). */
  Interrupted = 130,
}

/** Something the user can fix: bad input, a missing profile, an expired SSO session. */
export class UserError extends Error {
  override name = 'UserError';
  constructor(
    message: string,
    /** What to do about it, printed on its own line. */
    readonly hint?: string,
    readonly exitCode: ExitCode = ExitCode.Usage,
  ) {
    super(message);
  }
}

/** The user pressed Ctrl-C at a prompt, before anything was changed. */
export class InterruptedError extends Error {
  override name = 'InterruptedError';
  readonly exitCode = ExitCode.Interrupted;
  constructor(message = 'Interrupted.') {
    super(message);
  }
}

/** Ctrl-C at a question: nothing had been changed, so it is said plainly, not as an error (exit 130 still). */
export class CancelledError extends InterruptedError {
  override name = 'CancelledError';
  constructor() {
    super('Cancelled at a prompt. Nothing was changed.');
  }
}

/** A failure that carries an exit code and a message already fit for the user. */
export class CommandFailedError extends Error {
  override name = 'CommandFailedError';
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    readonly hint?: string,
  ) {
    super(message);
  }
}

/** The AWS error code of an SDK service error (its `name`), or undefined for anything else. */
export function awsErrorCode(error: unknown): string | undefined {
  return error instanceof Error && '$metadata' in error ? error.name : undefined;
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
