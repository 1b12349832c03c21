/**
 * The server and client sessions as the three commands run them: sockets + page server + windows +
 * status text. `npm run server`, `npm run client` and `npm start` (both in one process) share these.
 */
import { openAudioSink } from '../audio/sinks.ts';
import { StreamClient, type ClientEnd } from '../client/stream-client.ts';
import type { ClientStatsJson } from '../client/client-stats.ts';
import { ensureDemoClip, probeMedia, formatRational, toNumber } from '../media/index.ts';
import { StreamServer } from '../server/stream-server.ts';
import { startWindowServer, type WindowServer } from '../ui/window-server.ts';
import type { ClientConfig, ServerConfig } from './stream-options.ts';
import { formatMs, StatusLine } from './status-line.ts';

export interface SessionIo {
  /** Machine-readable lines (`ui: URL`, `listening: …`) on stdout. */
  readonly out: (line: string) => void;
  /** Notices on stderr. */
  readonly log: (line: string) => void;
  readonly debug: (line: string) => void;
}

/**
 * A command's console: `io` writes results to stdout and notices (with `debug: ` lines only under
 * --debug) through `status`, so they appear above the one status line on stderr.
 */
export function consoleIo(debug: boolean): { status: StatusLine; io: SessionIo } {
  const status = new StatusLine();
  const io: SessionIo = {
    out: (line) => process.stdout.write(`${line}\n`),
    log: (line) => status.log(line),
    debug: debug ? (line) => status.log(`debug: ${line}`) : () => {},
  };
  return { status, io };
}

export interface ServerSession {
  readonly server: StreamServer;
  readonly ui: WindowServer;
  readonly file: string;
  status(): string;
  /** Stops the server and closes its window. Idempotent: every call returns the same promise. */
  close(): Promise<void>;
}

export async function startServerSession(config: ServerConfig, io: SessionIo): Promise<ServerSession> {
  const file = config.file ?? (await ensureDemoClip({ onProgress: (msg) => io.log(msg) }));
  const media = await probeMedia(file);
  const video = media.video!;
  if (!media.hasAudio) io.log(`warning: ${file} has no audio track: streaming video only`);
  const vfr = video.variableFrameRate;
  if (vfr) io.log(`warning: ${file} has a variable frame rate (nominal ${vfr.nominal}, average ${vfr.average}): re-timed to a constant ${formatRational(video.fps)} fps (frames repeated or dropped)`);
  let ui: WindowServer | undefined;
  const server = await StreamServer.listen({
    file,
    media,
    wire: config.wire,
    pacing: config.pacing,
    host: config.host,
    port: config.port,
    audioPort: config.audioPort,
    width: config.width,
    quality: config.quality,
    loop: config.loop,
    log: io.log,
    debug: io.debug,
    onFrameSent: (jpeg, fps) => ui?.showFrame(jpeg, fps),
  });
  try {
    ui = await startWindowServer({ title: 'TRANSMITTING VIDEO', port: config.uiPort, audio: false });
  } catch (error) {
    await server.close();
    throw error;
  }
  const page = ui;
  io.out(`listening: video udp://${config.host}:${server.videoPort} audio tcp://${config.host}:${server.audioPort} (${config.wire} wire, ${config.pacing} pacing)`);
  io.out(`ui: ${page.url}`);
  io.log(`streaming ${file}: ${video.width}x${video.height} at ${formatRational(video.fps)} fps (${toNumber(video.fps).toFixed(3)}), ${media.durationS.toFixed(1)} s${media.hasAudio ? ', with audio' : ''}`);
  const statsTimer = setInterval(() => {
    const s = server.stats;
    page.setStats({
      state: s.state,
      clients: s.clients,
      'fps (sent)': s.fps.toFixed(2),
      'frames sent': s.framesSent,
      'frames skipped': s.framesSkipped,
      'time': `${(s.ptsUs / 1e6).toFixed(1)} s`,
      wire: config.wire,
      pacing: config.pacing,
    });
  }, 500);
  statsTimer.unref();
  let closing: Promise<void> | undefined;
  return {
    server,
    ui: page,
    file,
    status(): string {
      const s = server.stats;
      if (s.state !== 'playing') return `server: ${s.state} for a client on udp ${config.host}:${server.videoPort} / tcp ${server.audioPort}`;
      // Rejections are counted here, never logged one line per packet (a flood would flood the terminal).
      const rejected = s.garbageDatagrams || s.rejectedConnections ? ` | rejected ${s.garbageDatagrams} datagrams, ${s.rejectedConnections} connections` : '';
      return `server: ${s.clients} client(s) | ${s.fps.toFixed(2)} fps | t ${(s.ptsUs / 1e6).toFixed(1)} s | sent ${s.framesSent}${s.framesSkipped ? ` skipped ${s.framesSkipped}` : ''}${rejected}`;
    },
    close(): Promise<void> {
      closing ??= (async () => {
        clearInterval(statsTimer);
        await Promise.allSettled([server.close(), page.close()]);
      })();
      return closing;
    },
  };
}

export interface ClientSession {
  readonly client: StreamClient;
  readonly ui: WindowServer;
  readonly ended: Promise<ClientEnd>;
  status(): string;
  /** Stops, writes --stats, closes everything; returns the final figures. Idempotent. */
  close(): Promise<ClientStatsJson>;
}

export async function startClientSession(config: ClientConfig, io: SessionIo): Promise<ClientSession> {
  const ui = await startWindowServer({ title: 'RECEIVING VIDEO', port: config.uiPort, audio: true });
  io.out(`ui: ${ui.url}`);
  let client: StreamClient;
  let firstPicture = false;
  try {
    client = await StreamClient.start({
      host: config.host,
      port: config.port,
      audioPort: config.audioPort,
      wire: config.wire,
      openSink: (sampleRate, channels) => openAudioSink({ sampleRate, channels, browser: ui, prefer: config.audio }),
      onFrame: (jpeg, fps) => {
        if (!firstPicture) {
          firstPicture = true;
          // performance.now() counts from process start: the figure `npm start` promises (< 2 s).
          io.log(`first picture ${(performance.now() / 1000).toFixed(2)} s after start`);
        }
        ui.showFrame(jpeg, fps);
      },
      log: io.log,
      debug: io.debug,
    });
  } catch (error) {
    await ui.close();
    throw error;
  }
  const hs = client.handshake;
  io.log(hs
    ? `receiving ${config.wire} wire from ${config.host}:${config.port}: ${hs.width}x${hs.height} at ${hs.fpsNum}/${hs.fpsDen} fps, ${(hs.durationUs / 1e6).toFixed(1)} s${hs.hasAudio ? '' : ', no audio'}`
    : `receiving tutorial wire from ${config.host}:${config.port} (frames shown as they arrive)`);
  const statsTimer = setInterval(() => {
    const s = client.snapshot();
    const now = performance.now();
    // Short labels and values: the page lays them out in three narrow columns under a 400 px picture.
    ui.setStats({
      fps: client.stats.liveFps(now).toFixed(2),
      jitter: `${s.jitterMs.toFixed(2)} ms`,
      'A/V': formatMs(client.stats.lastAvOffsetMs),
      lost: s.framesLost ?? '?',
      late: s.framesLate,
      dropped: s.framesDropped,
      'kbit/s': Math.round(client.stats.bitrateKbps(now)),
      audio: `${s.audioSeconds.toFixed(1)} s`,
      wire: config.wire,
    });
  }, 500);
  statsTimer.unref();
  let closing: Promise<ClientStatsJson> | undefined;
  return {
    client,
    ui,
    ended: client.ended,
    status(): string {
      const s = client.snapshot();
      const now = performance.now();
      return `client: ${client.stats.liveFps(now).toFixed(2)} fps | jitter ${s.jitterMs.toFixed(2)} ms | lost ${s.framesLost ?? '?'} late ${s.framesLate} dropped ${s.framesDropped} | ${Math.round(client.stats.bitrateKbps(now))} kbit/s | A/V ${formatMs(client.stats.lastAvOffsetMs)} | audio ${s.audioSeconds.toFixed(1)} s${s.foreignDatagrams ? ` | ignored ${s.foreignDatagrams} foreign datagrams` : ''}`;
    },
    close(): Promise<ClientStatsJson> {
      closing ??= (async () => {
        clearInterval(statsTimer);
        const stats = await client.close();
        if (config.statsFile) {
          const { writeFile } = await import('node:fs/promises');
          await writeFile(config.statsFile, `${JSON.stringify(stats, null, 2)}\n`);
        }
        await ui.close();
        return stats;
      })();
      return closing;
    },
  };
}
