/**
 * Audio as PCM chunks: ffmpeg → s16le 44.1 kHz stereo straight into a pipe (no temp.wav, unlike the
 * tutorial), cut into chunks of 1024 frames (the tutorial's CHUNK), each with its pts on the shared
 * timeline. Bounded and backpressured like the frames (bounded-queue.ts).
 */
import { EnvironmentError } from '../errors.ts';
import { ChildExitError } from '../process/children.ts';
import { pipeFinished, startFfmpegPipe } from './ffmpeg.ts';
import { queuedSource, type OutputStream } from './queued-source.ts';
import type { PcmChunk, PcmSource } from './types.ts';

export interface OpenPcmOptions {
  readonly file: string;
  /** Default 44100. */
  readonly sampleRate?: number;
  /** Default 2. */
  readonly channels?: number;
  /** Frames per chunk. Default 1024 (the tutorial's CHUNK). */
  readonly chunkFrames?: number;
  /** Chunks decoded ahead at most. Default 32 (~0.75 s at 1024/44100). */
  readonly queueSize?: number;
}

/** pts of chunk k: round(k · chunkFrames · 1e6 / sampleRate). */
export function chunkPtsUs(index: number, chunkFrames: number, sampleRate: number): number {
  return Math.round((index * chunkFrames * 1e6) / sampleRate);
}

/** Cuts a byte stream into fixed-size chunks; pure. */
export class PcmChunker {
  readonly #size: number;
  #pending: Buffer[] = [];
  #pendingBytes = 0;

  constructor(chunkBytes: number) {
    this.#size = chunkBytes;
  }

  push(data: Buffer): Buffer[] {
    const out: Buffer[] = [];
    let offset = 0;
    if (this.#pendingBytes > 0) {
      const need = this.#size - this.#pendingBytes;
      if (data.length < need) {
        this.#pending.push(data);
        this.#pendingBytes += data.length;
        return out;
      }
      out.push(Buffer.concat([...this.#pending, data.subarray(0, need)]));
      this.#pending = [];
      this.#pendingBytes = 0;
      offset = need;
    }
    while (data.length - offset >= this.#size) {
      out.push(data.subarray(offset, offset + this.#size));
      offset += this.#size;
    }
    if (offset < data.length) {
      // Copy: the rest must not pin a large pipe buffer.
      const rest = Buffer.from(data.subarray(offset));
      this.#pending.push(rest);
      this.#pendingBytes += rest.length;
    }
    return out;
  }

  /** The short last chunk, if any (whole frames only). */
  flush(frameBytes: number): Buffer | undefined {
    if (this.#pendingBytes === 0) return undefined;
    const all = Buffer.concat(this.#pending);
    this.#pending = [];
    this.#pendingBytes = 0;
    const whole = all.length - (all.length % frameBytes);
    return whole > 0 ? all.subarray(0, whole) : undefined;
  }
}

/** ffmpeg output options of the PCM stream: s16le at the given rate and channel count. */
export function pcmOutputArgs(opts: { sampleRate: number; channels: number }): string[] {
  // -map 0:a:0 makes a file without audio fail with "matches no streams" (→ E_NO_AUDIO below).
  return ['-map', '0:a:0', '-vn', '-sn', '-dn', '-f', 's16le', '-acodec', 'pcm_s16le', '-ar', String(opts.sampleRate), '-ac', String(opts.channels)];
}

export function openPcm(opts: OpenPcmOptions): PcmSource {
  const pipe = startFfmpegPipe({
    name: 'ffmpeg (audio pcm)',
    inputs: [{ source: opts.file }],
    outputOptions: pcmOutputArgs({ sampleRate: opts.sampleRate ?? 44100, channels: opts.channels ?? 2 }),
  });
  return pcmChunkSource({ output: pipe.output, finished: pipeFinished(pipe), stop: () => pipe.stop() }, opts);
}

/** The PCM source over an ffmpeg output carrying pcmOutputArgs()' stream. */
export function pcmChunkSource(stream: OutputStream, opts: OpenPcmOptions): PcmSource {
  const sampleRate = opts.sampleRate ?? 44100;
  const channels = opts.channels ?? 2;
  const chunkFrames = opts.chunkFrames ?? 1024;
  const frameBytes = channels * 2;
  const chunker = new PcmChunker(chunkFrames * frameBytes);
  let index = 0;
  const source = queuedSource<PcmChunk>(stream, { size: opts.queueSize ?? 32, what: `openPcm(${opts.file})` });
  const { queue } = source;
  const emit = (pcm: Buffer): void => {
    queue.push({ index, ptsUs: chunkPtsUs(index, chunkFrames, sampleRate), pcm });
    index += 1;
  };
  stream.output.on('data', (data: Buffer) => {
    if (!source.closed) for (const pcm of chunker.push(data)) emit(pcm);
  });
  stream.finished.then(
    () => {
      const last = chunker.flush(frameBytes);
      if (last && !source.closed) emit(last);
      queue.end();
    },
    (error: unknown) => {
      if (source.closed) return;
      if (error instanceof ChildExitError && /matches no streams|does not contain any stream/i.test(error.stderrTail)) {
        queue.fail(new EnvironmentError('E_NO_AUDIO', `${opts.file} has no audio stream; stream it video-only or pick a file with sound`));
      } else queue.fail(error);
    },
  );
  return {
    close: () => source.close(),
    [Symbol.asyncIterator]: () => source.iterate(),
  };
}
