/**
 * The "perfect sender" the benchmark measures beside avsock: a bare program that does nothing but
 * send the same frames at their deadlines. Every JPEG (ffmpeg, same clip, width and quality as the
 * server) and every audio message is encoded BEFORE it listens; then, per frame, it sleeps with
 * setTimeout until SPIN_MS before the deadline, busy-waits the rest on performance.now(), and sends.
 * Audio goes out AUDIO_LEAD_MS early on a plain timer, like the server's, so the receiving probe has
 * the same work. What a probe measures on it is the floor of this machine, kernel and probe — the
 * jitter no sender can go below here.
 *
 * argv: --file F --fps N/D --wire tutorial|framed [--width 400] [--quality 80] [--seconds S]
 * stdout: `listening: video udp://HOST:PORT audio tcp://HOST:PORT` (as the server prints it).
 * It stops after the last frame or on SIGINT/SIGTERM.
 */
import { createSocket, type RemoteInfo } from 'node:dgram';
import { createServer, type Socket } from 'node:net';
import { parseArgs } from 'node:util';
import { openJpegFrames, openPcm, parseRational, scaledHeight, probeMedia } from '../src/media/index.ts';
import { AUDIO_LEAD_MS, CHANNELS, CHUNK_FRAMES, SAMPLE_RATE } from '../src/wire/audio-format.ts';
import { wireFor, type StreamDescription, type Wire } from '../src/wire/index.ts';

/** Busy-wait this long before each deadline (ms): longer than setTimeout's lateness on a busy 2-core VM. */
const SPIN_MS = 3;

const { values } = parseArgs({
  options: {
    file: { type: 'string' },
    fps: { type: 'string' },
    wire: { type: 'string', default: 'tutorial' },
    width: { type: 'string', default: '400' },
    quality: { type: 'string', default: '80' },
    seconds: { type: 'string', default: '30' },
  },
});

async function collect<T>(it: AsyncIterable<T>, max: number): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) {
    out.push(x);
    if (out.length >= max) break;
  }
  return out;
}

interface Programme {
  readonly video: Array<{ dueMs: number; datagrams: Buffer[] }>;
  readonly audio: Array<{ dueMs: number; message: Buffer }>;
  readonly stream: StreamDescription;
}

/** Everything on the wire, made before listening, so the send loop only sends. */
async function prepare(wire: Wire): Promise<Programme> {
  const file = values.file!;
  const fps = parseRational(values.fps);
  if (!fps) throw new Error(`--fps: not a rate: ${values.fps}`);
  const width = Number(values.width);
  const seconds = Number(values.seconds);
  const media = await probeMedia(file);
  const frameCount = Math.ceil((seconds * fps.num) / fps.den);
  const chunkCount = Math.ceil((seconds * SAMPLE_RATE) / CHUNK_FRAMES);
  const frames = openJpegFrames({ file, fps, width, quality: Number(values.quality) });
  const pcm = media.hasAudio ? openPcm({ file, sampleRate: SAMPLE_RATE, channels: CHANNELS, chunkFrames: CHUNK_FRAMES }) : undefined;
  const [jpegs, chunks] = await Promise.all([collect(frames, frameCount), pcm ? collect(pcm, chunkCount) : Promise.resolve([])]);
  await Promise.all([frames.close(), pcm?.close()]);
  const framePacker = wire.newFramePacker();
  const audioPacker = wire.newAudioPacker();
  const video0 = media.video!;
  return {
    video: jpegs.map((f, i) => ({ dueMs: f.ptsUs / 1000, datagrams: framePacker.pack({ frameId: i, ptsUs: f.ptsUs, jpeg: f.jpeg }) })),
    audio: chunks.map((c) => ({ dueMs: c.ptsUs / 1000 - AUDIO_LEAD_MS, message: audioPacker.pack(c.ptsUs, c.pcm) })),
    stream: {
      fpsNum: fps.num,
      fpsDen: fps.den,
      width,
      height: scaledHeight(width, video0.width, video0.height),
      durationUs: Math.round(media.durationS * 1e6),
      sampleRate: SAMPLE_RATE,
      channels: CHANNELS,
      chunkFrames: CHUNK_FRAMES,
      hasAudio: media.hasAudio,
    },
  };
}

async function main(): Promise<void> {
  const wire = wireFor(values.wire === 'framed' ? 'framed' : 'tutorial');
  const { video, audio, stream } = await prepare(wire);

  const udp = createSocket('udp4');
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
  udp.setSendBufferSize(4 * 1024 * 1024);
  const clients: RemoteInfo[] = [];
  const tcpClients = new Set<Socket>();
  const tokens = new Set<number>();
  let t0: number | undefined;
  const tcp = createServer({ noDelay: true }, (socket) => {
    tcpClients.add(socket);
    socket.on('error', () => tcpClients.delete(socket));
    socket.on('close', () => tcpClients.delete(socket));
    socket.resume();
    const token = 1 + Math.floor(Math.random() * 0xfffffff0);
    const greeting = wire.greeting(token, stream);
    if (greeting) {
      tokens.add(token);
      socket.write(greeting);
    }
  });
  await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', () => r()));
  udp.on('message', (msg, rinfo) => {
    if (clients.some((c) => c.port === rinfo.port && c.address === rinfo.address)) return;
    const hello = wire.readHello(msg);
    if (!hello || (hello.token !== undefined && !tokens.has(hello.token))) return;
    clients.push(rinfo);
    if (t0 === undefined) {
      t0 = performance.now() + 5;
      scheduleVideo(0);
      scheduleAudio(0);
    }
  });
  const tcpAddress = tcp.address();
  process.stdout.write(
    `listening: video udp://127.0.0.1:${udp.address().port} audio tcp://127.0.0.1:${typeof tcpAddress === 'object' && tcpAddress ? tcpAddress.port : 0}\n`,
  );

  let stopped = false;
  const stop = (): void => {
    if (stopped) return;
    stopped = true;
    udp.close();
    tcp.close();
    for (const s of tcpClients) s.destroy();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);

  function scheduleVideo(i: number): void {
    if (stopped || i >= video.length) return stop();
    const due = t0! + video[i]!.dueMs;
    const wait = due - SPIN_MS - performance.now();
    const fire = (): void => {
      while (performance.now() < due) {
        /* busy-wait to the deadline */
      }
      for (const d of video[i]!.datagrams) for (const c of clients) udp.send(d, c.port, c.address);
      scheduleVideo(i + 1);
    };
    if (wait > 0) setTimeout(fire, wait);
    else setImmediate(fire);
  }

  function scheduleAudio(k: number): void {
    if (stopped || k >= audio.length) return;
    const wait = t0! + audio[k]!.dueMs - performance.now();
    setTimeout(
      () => {
        if (stopped) return;
        for (const s of tcpClients) s.write(audio[k]!.message);
        scheduleAudio(k + 1);
      },
      Math.max(0, wait),
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`floor sender: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
