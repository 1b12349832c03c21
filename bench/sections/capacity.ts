/**
 * Pipeline capacity: unpaced frames/s from file to a frame ready to send, and which stage costs what.
 *
 * Every stage runs over the same cached clip; CPU is the CPU time of this process's tree
 * (this process + ffmpeg, reaped ffmpeg included via cutime/cstime, bench/proc.ts) over the stage, so
 * "per core" = frames ÷ CPU seconds: what one fully used core would do, whatever the threading.
 * Stages (each includes the ones before it):
 *   decode        ffmpeg H.264 decode only (-f null)
 *   +scale        + fps filter + scale=400:-2 (bilinear), as src/media/frames.ts
 *   +jpeg         + MJPEG q:v 4 (quality 80), still -f null
 *   +pipe         openJpegFrames(): image2pipe into Node, JPEG splitter, bounded queue (the server's source)
 *   +send         + framed fragmentation (≤ 1400-byte datagrams) and udp.send to a loopback socket that
 *                 this process also drains (the receiver's cost is included: an upper bound)
 *   raw+sharp     ffmpeg decode to raw RGB at full size, then sharp resize to 400 + JPEG q80 (2 in flight;
 *                 the first 240 frames)
 */
import dgram from 'node:dgram';
import sharp from 'sharp';
import { fragmentFrame } from '../../src/protocol/framed/index.ts';
import { openJpegFrames } from '../../src/media/index.ts';
import { runFfmpeg, startFfmpegPipe } from '../../src/media/ffmpeg.ts';
import { benchClip, fpsOf, type ClipSpec } from '../start-programs.ts';
import { treeCpuSeconds } from '../proc.ts';
import { sleep } from '../../src/timing/wait.ts';

export type Stage = 'decode' | '+scale' | '+jpeg' | '+pipe' | '+send' | 'raw+sharp';
export const STAGES: readonly Stage[] = ['decode', '+scale', '+jpeg', '+pipe', '+send', 'raw+sharp'];

export interface StageResult {
  source: string;
  stage: Stage;
  frames: number;
  wallS: number;
  cpuS: number;
  fps: number;
  /** CPU cores busy on average (cpuS / wallS). */
  cores: number;
  /** frames ÷ CPU seconds. */
  fpsPerCore: number;
  /** CPU ms per frame (the marginal cost of a stage = difference to the previous row). */
  cpuMsPerFrame: number;
}

/** `seconds`: 20 in the full bench; --quick decodes the pacing clip's 14 s so it makes no clip of its own. */
export function capacityClip(height: 720 | 1080, seconds = 20): ClipSpec {
  return { fps: '30', seconds, width: height === 720 ? 1280 : 1920, height };
}

const SCALE = (fps: string): string => `fps=fps=${fps},scale=400:-2:flags=bilinear`;
const MJPEG = ['-c:v', 'mjpeg', '-q:v', '4', '-pix_fmt', 'yuvj420p'];

async function timed(run: () => Promise<number>): Promise<{ frames: number; wallS: number; cpuS: number }> {
  const cpu0 = treeCpuSeconds(process.pid);
  const t0 = performance.now();
  const frames = await run();
  const wallS = (performance.now() - t0) / 1000;
  // Give the kernel a moment to account the reaped ffmpeg in our cutime.
  await sleep(30);
  return { frames, wallS, cpuS: treeCpuSeconds(process.pid) - cpu0 };
}

async function ffmpegNull(file: string, outputOptions: string[], frames: number): Promise<number> {
  await runFfmpeg({
    name: 'ffmpeg (bench stage)',
    inputs: [{ source: file }],
    outputOptions: ['-map', '0:v:0', '-an', ...outputOptions, '-f', 'null'],
    output: '/dev/null',
  });
  return frames;
}

async function pipeFrames(file: string, fps: string, send: boolean): Promise<number> {
  const [num, den] = fps.split('/').map(Number);
  const source = openJpegFrames({ file, fps: { num: num!, den: den ?? 1 }, width: 400, quality: 80 });
  let sink: dgram.Socket | undefined;
  let sender: dgram.Socket | undefined;
  let received = 0;
  try {
    let port = 0;
    if (send) {
      sink = dgram.createSocket('udp4');
      sink.on('message', () => (received += 1));
      await new Promise<void>((r) => sink!.bind(0, '127.0.0.1', () => r()));
      port = sink.address().port;
      sender = dgram.createSocket('udp4');
      await new Promise<void>((r) => sender!.bind(0, '127.0.0.1', () => r()));
    }
    let n = 0;
    let seq = 0;
    for await (const frame of source) {
      if (sender) {
        const datagrams = fragmentFrame({ frameId: frame.index, ptsUs: frame.ptsUs, jpeg: frame.jpeg }, seq);
        seq = (seq + datagrams.length) >>> 0;
        // One send per datagram, as the server does; wait for the last so the socket never queues unboundedly.
        await Promise.all(datagrams.map((d) => new Promise<void>((r) => sender!.send(d, port, '127.0.0.1', () => r()))));
      }
      n += 1;
    }
    return n;
  } finally {
    await source.close();
    sender?.close();
    sink?.close();
    void received;
  }
}

/** Frames the raw+sharp stage converts (it is ~10× slower than the rest; enough for a stable rate). */
const RAW_SHARP_FRAMES = 240;

async function rawSharp(file: string, spec: ClipSpec): Promise<number> {
  const frameBytes = spec.width * spec.height * 3;
  const pipe = startFfmpegPipe({
    name: 'ffmpeg (raw frames)',
    inputs: [{ source: file }],
    outputOptions: ['-map', '0:v:0', '-an', '-vf', `fps=fps=${spec.fps}`, '-pix_fmt', 'rgb24', '-f', 'rawvideo'],
  });
  // Copy each chunk once into a frame-sized buffer (concatenating 64 KiB chunks would be O(n²)).
  let frame = Buffer.allocUnsafe(frameBytes);
  let filled = 0;
  let n = 0;
  let submitted = 0;
  // At most two sharp jobs in flight (libvips runs them in order); wait for the oldest before a third.
  const inFlight: Promise<void>[] = [];
  try {
    outer: for await (const chunk of pipe.output as AsyncIterable<Buffer>) {
      let at = 0;
      while (at < chunk.length) {
        const take = Math.min(frameBytes - filled, chunk.length - at);
        chunk.copy(frame, filled, at, at + take);
        filled += take;
        at += take;
        if (filled < frameBytes) break;
        const raw = frame;
        frame = Buffer.allocUnsafe(frameBytes);
        filled = 0;
        submitted += 1;
        const job = sharp(raw, { raw: { width: spec.width, height: spec.height, channels: 3 } })
          .resize({ width: 400, kernel: 'linear' })
          .jpeg({ quality: 80 })
          .toBuffer()
          .then(() => {
            n += 1;
          });
        inFlight.push(job);
        if (inFlight.length >= 2) await inFlight.shift();
        if (submitted >= RAW_SHARP_FRAMES) break outer;
      }
    }
    await Promise.all(inFlight);
    return n;
  } finally {
    await pipe.stop();
  }
}

export async function measureCapacity(height: 720 | 1080, stages: readonly Stage[], log: (msg: string) => void, clipSeconds?: number): Promise<StageResult[]> {
  const spec = capacityClip(height, clipSeconds);
  const file = await benchClip(spec, log);
  const frames = Math.round(spec.seconds * fpsOf(spec));
  const out: StageResult[] = [];
  for (const stage of stages) {
    const t = await timed(() => {
      switch (stage) {
        case 'decode':
          return ffmpegNull(file, [], frames);
        case '+scale':
          return ffmpegNull(file, ['-vf', SCALE(spec.fps)], frames);
        case '+jpeg':
          return ffmpegNull(file, ['-vf', SCALE(spec.fps), ...MJPEG], frames);
        case '+pipe':
          return pipeFrames(file, spec.fps, false);
        case '+send':
          return pipeFrames(file, spec.fps, true);
        case 'raw+sharp':
          return rawSharp(file, spec);
      }
    });
    out.push({
      source: `${spec.height}p`,
      stage,
      frames: t.frames,
      wallS: t.wallS,
      cpuS: t.cpuS,
      fps: t.frames / t.wallS,
      cores: t.cpuS / t.wallS,
      fpsPerCore: t.frames / t.cpuS,
      cpuMsPerFrame: (t.cpuS * 1000) / t.frames,
    });
  }
  return out;
}
