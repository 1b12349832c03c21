/**
 * The wire formats' errors: bytes that do not decode, values that cannot be encoded, frames a wire
 * cannot carry. They extend avsock's AvsockError (src/errors.ts), so the CLI prints them as one line.
 */
import { AvsockError } from '../errors.ts';

export { AvsockError };

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

/** A value that cannot be written in a wire format (out of range, not an integer, empty payload). */
export class EncodeError extends AvsockError {
  constructor(message: string) {
    super('E_ENCODE', message);
  }
}
