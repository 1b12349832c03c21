/**
 * The error family of avsock. Every error has a stable `code` that tests, the CLI and the grader
 * match on; its message says what was wrong, with the value and the limit, and how to fix it.
 */
export class AvsockError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Bytes that do not form a valid message of the wire format being read. */
export class DecodeError extends AvsockError {
  constructor(message: string, code = 'E_DECODE') {
    super(code, message);
  }
}

/** A frame too large for the chosen wire (the tutorial wire sends one frame per datagram). */
export class FrameTooLargeError extends AvsockError {
  readonly size: number;
  readonly limit: number;
  constructor(size: number, limit: number, hint: string) {
    super('E_FRAME_TOO_LARGE', `Frame of ${size} bytes does not fit one UDP datagram (max ${limit}); ${hint}`);
    this.size = size;
    this.limit = limit;
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

/** A value that cannot be written in a wire format (out of range, not an integer, empty payload). */
export class EncodeError extends AvsockError {
  constructor(message: string) {
    super('E_ENCODE', message);
  }
}
