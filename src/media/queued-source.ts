/**
 * What the frame and PCM sources share: an ffmpeg output read into a bounded queue that pauses the
 * output when full (so decoding never runs ahead), a close() that empties the queue and stops ffmpeg
 * once, and an iterator that refuses a closed source.
 */
import type { Readable } from 'node:stream';
import { InvalidStateError } from '../errors.ts';
import { BoundedQueue } from './bounded-queue.ts';

/** A running ffmpeg output as a source sees it: the bytes, "ended well / failed", and how to stop the process. */
export interface OutputStream {
  readonly output: Readable;
  /** Resolves when ffmpeg exited well and the output was read to the end (or stopped); rejects as the process did. */
  readonly finished: Promise<void>;
  readonly stop: () => Promise<void>;
}

export interface QueuedSource<T> {
  readonly queue: BoundedQueue<T>;
  /** True once close() was called: data still arriving is dropped, failures are no longer reported. */
  readonly closed: boolean;
  /** Idempotent: empties the queue and stops ffmpeg (every call returns the same promise). */
  close(): Promise<void>;
  /** The queue's iterator; InvalidStateError (naming `what`) once closed. */
  iterate(): AsyncIterator<T>;
}

export function queuedSource<T>(stream: OutputStream, opts: { size: number; what: string }): QueuedSource<T> {
  let closed = false;
  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closed = true;
    queue.clear();
    closing ??= stream.stop();
    return closing;
  };
  const queue: BoundedQueue<T> = new BoundedQueue<T>({
    size: opts.size,
    onFull: () => stream.output.pause(),
    onSpace: () => stream.output.resume(),
    onCancel: () => void close(),
  });
  return {
    queue,
    get closed() {
      return closed;
    },
    close,
    iterate() {
      if (closed) throw new InvalidStateError(`${opts.what}: the source is closed; open a new one`);
      return queue[Symbol.asyncIterator]();
    },
  };
}
