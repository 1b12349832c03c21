/**
 * The error family of avsock. Every error has a stable `code` that tests, the CLI and the grader
 * match on; its message says what was wrong, with the value and the limit, and how to fix it.
 * The wire formats' own errors (DecodeError, EncodeError, FrameTooLargeError) live with them in
 * src/protocol/errors.ts and extend the same base.
 */
export class AvsockError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** An object used after close(). */
export class InvalidStateError extends AvsockError {
  constructor(message: string) {
    super('E_INVALID_STATE', message);
  }
}

/** Bad command-line input or configuration: printed as one line, exit code 2. */
export class UsageError extends AvsockError {
  constructor(message: string) {
    super('E_USAGE', message);
  }
}

/** A file or tool that is missing or unusable: printed as one line with the fix, exit code 1. */
export class EnvironmentError extends AvsockError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
