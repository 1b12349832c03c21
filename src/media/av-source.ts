/**
 * Video frames and PCM from ONE ffmpeg process with two outputs: the JPEG stream on stdout
 * (pipe:1) and the PCM on a third pipe (pipe:3, the child's fd 3), instead of one ffmpeg per
 * stream. The file is opened, demuxed and probed once instead of twice, and one process (≈ 50 MB,
 * its threads) is saved; `npm run bench` measures what that and the thread count save.
 *
 * fluent-ffmpeg cannot give a child more than stdin/stdout/stderr, so this module spawns ffmpeg
 * itself (the same binary, resolveFfmpeg()) and registers it in the process registry like every
 * other child.
 *
 * Backpressure: each source pauses its own pipe when its queue is full, and ffmpeg then blocks on
 * that pipe — which also stops the other output. ffmpeg writes both outputs in timestamp order, so
 * the PCM can only run ahead of the video by what the video queue and pipe hold (≈ 10 frames plus
 * 64 KiB, well under a second at any frame rate); the PCM queue holds more than that
 * (PCM_QUEUE_SECONDS), so it is never the one that blocks ffmpeg while the video waits for frames.
 */
import { spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { resolveFfmpeg } from '../platform/tools.ts';
import { adoptChild, type ChildHandle } from '../process/children.ts';
import { childReadsExtraPipes } from '../platform/child-pipes.ts';
import { jpegFrameSource, jpegOutputArgs, mjpegQscale, openJpegFrames, type OpenJpegFramesOptions, type OutputStream } from './frames.ts';
import { openPcm, pcmChunkSource, pcmOutputArgs, type OpenPcmOptions } from './pcm.ts';
import type { FrameSource, PcmSource } from './types.ts';

/** Seconds of PCM the audio queue may hold ahead (see the file comment): 4 s = 700 KB at 44.1 kHz stereo. */
export const PCM_QUEUE_SECONDS = 4;

export interface OpenAvOptions extends OpenJpegFramesOptions {
  /** PCM output; undefined = video only (a file without sound). */
  readonly audio?: Omit<OpenPcmOptions, 'file'>;
  /** ffmpeg `-threads` for the decoder (input option); undefined = decoderThreads(). */
  readonly decoderThreads?: number;
  /** ffmpeg `-threads` for the MJPEG encoder; default 1 (0 = ffmpeg's choice, for comparison). */
  readonly encoderThreads?: number;
}

export interface AvSources {
  readonly frames: FrameSource;
  readonly pcm: PcmSource | undefined;
  /** The ffmpeg process, once spawned (undefined where each output has its own ffmpeg). */
  readonly child: ChildHandle | undefined;
}

/**
 * Decoder threads for a source of w × h at fps. One H.264 decode thread does 720p at ≈ 700 frames
 * per second of CPU on the machines we measured (1.45 ms per frame), 1080p at ≈ 400: a single thread
 * keeps up with 1080p60 with room to spare, and each extra frame thread costs a copy of the
 * reference frames, a wake-up per frame, and CPU in synchronisation. Above that pixel rate
 * (1080p60 ≈ 124 Mpx/s), let ffmpeg choose (0 = auto, one thread per core).
 */
export function decoderThreads(width: number, height: number, fps: number): number {
  const pixelRate = width * height * fps;
  return pixelRate <= 1920 * 1088 * 60 ? 1 : 0;
}

function outputStream(output: Readable, child: ChildHandle, stop: () => Promise<void>): OutputStream {
  output.on('error', () => {}); // stop() destroys it on purpose; real failures come from the exit
  const ended = new Promise<void>((resolve) => {
    output.once('end', resolve);
    output.once('close', resolve);
  });
  const finished = Promise.all([child.done, ended]).then(() => undefined);
  finished.catch(() => {});
  return { output, finished, stop };
}

/**
 * Frames and PCM of `opts.file`: from one ffmpeg with two outputs where a child can read a third
 * pipe (POSIX), else (Windows) from one ffmpeg per output, as before.
 */
export function openAvSources(opts: OpenAvOptions, platform: NodeJS.Platform = process.platform): AvSources {
  if (opts.audio && !childReadsExtraPipes(platform)) {
    return { frames: openJpegFrames(opts), pcm: openPcm({ file: opts.file, ...opts.audio }), child: undefined };
  }
  return openOneProcess(opts);
}

function openOneProcess(opts: OpenAvOptions): AvSources {
  const width = opts.width ?? 400;
  const quality = opts.quality ?? 80;
  mjpegQscale(quality); // RangeError before anything starts
  const threads =
    opts.decoderThreads ?? (opts.sourceWidth && opts.sourceHeight ? decoderThreads(opts.sourceWidth, opts.sourceHeight, opts.fps.num / opts.fps.den) : 0);
  const args = [
    '-hide_banner',
    '-nostdin',
    '-loglevel',
    'error',
    '-threads',
    String(threads),
    '-i',
    opts.file,
    // The 400-px MJPEG encode is ≈ 0.5 ms a frame: one thread (slice threads would only add wake-ups).
    ...jpegOutputArgs({ fps: opts.fps, width, quality }),
    '-threads',
    String(opts.encoderThreads ?? 1),
    'pipe:1',
    ...(opts.audio ? [...pcmOutputArgs({ sampleRate: opts.audio.sampleRate ?? 44100, channels: opts.audio.channels ?? 2 }), 'pipe:3'] : []),
  ];
  const proc = spawn(resolveFfmpeg().path, args, { stdio: ['ignore', 'pipe', 'pipe', opts.audio ? 'pipe' : 'ignore'], windowsHide: true });
  const child = adoptChild(proc, { name: 'ffmpeg (video + audio)', stopTimeoutsMs: [300, 300] }, 'ffmpeg');
  const video = proc.stdout!;
  const audio = opts.audio ? (proc.stdio[3] as Readable) : undefined;
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    // Let ffmpeg's pending writes succeed (into the void) so a process blocked on a full pipe sees
    // SIGINT at once instead of waiting for the SIGTERM/SIGKILL steps.
    stopping ??= (async () => {
      video.removeAllListeners('data');
      video.resume();
      audio?.removeAllListeners('data');
      audio?.resume();
      await child.stop();
      video.destroy();
      audio?.destroy();
    })();
    return stopping;
  };
  const frames = jpegFrameSource(outputStream(video, child, stop), { ...opts, width, quality });
  const chunkFrames = opts.audio?.chunkFrames ?? 1024;
  const sampleRate = opts.audio?.sampleRate ?? 44100;
  const pcm =
    opts.audio && audio
      ? pcmChunkSource(outputStream(audio, child, stop), {
          file: opts.file,
          ...opts.audio,
          queueSize: opts.audio.queueSize ?? Math.ceil((PCM_QUEUE_SECONDS * sampleRate) / chunkFrames),
        })
      : undefined;
  return { frames, pcm, child };
}
