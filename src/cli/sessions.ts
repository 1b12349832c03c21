/**
 * The server and client sessions as the three commands run them: sockets + page server + windows +
 * status text. `npm run server`, `npm run client` and `npm start` (both in one process) share these.
 */
import { openAudioSink } from '../audio/sinks.ts';
import { StreamClient, type ClientEnd } from '../client/stream-client.ts';
import type { ClientStatsJson } from '../client/client-stats.ts';
import { ensureDemoClip, probeMedia, formatRational, toNumber, type MediaInfo } from '../media/index.ts';
import { StreamServer } from '../server/stream-server.ts';
import { sleep } from '../timing/wait.ts';
import { startWindowServer, type WindowServer } from '../ui/window-server.ts';
import { startNetSession, type NetSession } from './net-session.ts';
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

type Rows = () => Record<string, string | number>;

export interface ServerSession {
  readonly server: StreamServer;
  readonly ui: WindowServer;
  readonly file: string;
  /** The relay in front of the server (--net), if any. */
  readonly net: NetSession | undefined;
  /** Where clients connect: the relay's ports with --net, else the server's own. */
  readonly videoPort: number;
  readonly audioPort: number;
  /** Adds rows to the TRANSMITTING VIDEO page's table (npm start: the relay's figures). */
  addRows(rows: Rows): void;
  status(): string;
  /** Stops the server and closes its window. Idempotent: every call returns the same promise. */
  close(): Promise<void>;
}

/** What is worth a warning about the file before streaming it. */
function warnAboutMedia(file: string, media: MediaInfo, io: SessionIo): void {
  if (!media.hasAudio) io.log(`warning: ${file} has no audio track: streaming video only`);
  const video = media.video!;
  const vfr = video.variableFrameRate;
  if (vfr) {
    io.log(
      `warning: ${file} has a variable frame rate (nominal ${vfr.nominal}, average ${vfr.average}): re-timed to a constant ${formatRational(video.fps)} fps (frames repeated or dropped)`,
    );
  }
}

/** The TRANSMITTING VIDEO window's table: rows added by --net first, where a 330-px window still shows them. */
function serverRows(server: StreamServer, config: ServerConfig, extraRows: readonly Rows[]): Record<string, string | number> {
  const s = server.stats;
  return {
    ...extraRows.reduce<Record<string, string | number>>((all, rows) => ({ ...all, ...rows() }), {}),
    state: s.state,
    clients: s.clients,
    'fps (sent)': s.fps.toFixed(2),
    'frames sent': s.framesSent,
    'frames skipped': s.framesSkipped,
    time: `${(s.ptsUs / 1e6).toFixed(1)} s`,
    wire: config.wire,
    pacing: config.pacing,
  };
}

export async function startServerSession(config: ServerConfig, io: SessionIo): Promise<ServerSession> {
  const file = config.file ?? (await ensureDemoClip({ onProgress: (msg) => io.log(msg) }));
  const media = await probeMedia(file);
  const video = media.video!;
  warnAboutMedia(file, media, io);
  let ui: WindowServer | undefined;
  // With --net the server itself listens on free loopback ports and the relay on the ones asked for.
  const server = await StreamServer.listen({
    file,
    media,
    wire: config.wire,
    pacing: config.pacing,
    host: config.net ? '127.0.0.1' : config.host,
    port: config.net ? 0 : config.port,
    audioPort: config.net ? 0 : config.audioPort,
    width: config.width,
    quality: config.quality,
    loop: config.loop,
    log: io.log,
    debug: io.debug,
    onFrameSent: (jpeg, fps) => ui?.showFrame(jpeg, fps),
  });
  let net: NetSession | undefined;
  try {
    if (config.net) {
      net = await startNetSession(
        config.net,
        {
          listenHost: config.host,
          videoPort: config.port,
          audioPort: config.audioPort,
          serverHost: '127.0.0.1',
          serverVideoPort: server.videoPort,
          serverAudioPort: server.audioPort,
        },
        io,
      );
    }
    ui = await startWindowServer({ title: 'TRANSMITTING VIDEO', port: config.uiPort, audio: false });
  } catch (error) {
    await net?.close();
    await server.close();
    throw error;
  }
  const page = ui;
  const videoPort = net?.relay.videoPort ?? server.videoPort;
  const audioPort = net?.relay.audioPort ?? server.audioPort;
  const extraRows: Rows[] = net ? [() => net.rows()] : [];
  io.out(
    `listening: video udp://${config.host}:${videoPort} audio tcp://${config.host}:${audioPort} (${config.wire} wire, ${config.pacing} pacing${config.net ? `, net ${config.net.label}` : ''})`,
  );
  io.out(`ui: ${page.url}`);
  io.log(
    `streaming ${file}: ${video.width}x${video.height} at ${formatRational(video.fps)} fps (${toNumber(video.fps).toFixed(3)}), ${media.durationS.toFixed(1)} s${media.hasAudio ? ', with audio' : ''}`,
  );
  const statsTimer = setInterval(() => page.setStats(serverRows(server, config, extraRows)), 500);
  statsTimer.unref();
  let closing: Promise<void> | undefined;
  return {
    server,
    ui: page,
    file,
    net,
    videoPort,
    audioPort,
    addRows(rows) {
      extraRows.push(rows);
    },
    status(): string {
      const s = server.stats;
      if (s.state !== 'playing') return `server: ${s.state} for a client on udp ${config.host}:${videoPort} / tcp ${audioPort}`;
      // Rejections are counted here, never logged one line per packet (a flood would flood the terminal).
      const rejected = s.garbageDatagrams || s.rejectedConnections ? ` | rejected ${s.garbageDatagrams} datagrams, ${s.rejectedConnections} connections` : '';
      return `server: ${s.clients} client(s) | ${s.fps.toFixed(2)} fps | t ${(s.ptsUs / 1e6).toFixed(1)} s | sent ${s.framesSent}${s.framesSkipped ? ` skipped ${s.framesSkipped}` : ''}${rejected}${net ? ` | ${net.status()}` : ''}`;
    },
    close(): Promise<void> {
      closing ??= (async () => {
        clearInterval(statsTimer);
        await net?.stopVideo();
        await Promise.allSettled([server.close(), page.close(), net?.close()]);
      })();
      return closing;
    },
  };
}

export interface ClientSession {
  readonly client: StreamClient;
  readonly ui: WindowServer;
  readonly ended: Promise<ClientEnd>;
  /** The relay between this client and the server (--net), if any. */
  readonly net: NetSession | undefined;
  status(): string;
  /** Stops, writes --stats, closes everything; returns the final figures. Idempotent. */
  close(): Promise<ClientStatsJson>;
}

/** The RECEIVING VIDEO window's table. */
function clientRows(client: StreamClient, config: ClientConfig, net: NetSession | undefined): Record<string, string | number> {
  const s = client.snapshot();
  const now = performance.now();
  // Short labels and values: the page lays them out in three narrow columns under a 400 px picture.
  const rows: Record<string, string | number> = {
    fps: client.stats.liveFps(now).toFixed(2),
    jitter: `${s.jitterMs.toFixed(2)} ms`,
    'A/V': formatMs(client.stats.lastAvOffsetMs),
    lost: s.framesLost ?? '?',
    late: s.framesLate,
    dropped: s.framesDropped,
    'kbit/s': Math.round(client.stats.bitrateKbps(now)),
    audio: `${s.audioSeconds.toFixed(1)} s`,
    wire: config.wire,
  };
  if (!net) return rows;
  // With --net the lesson goes first, where a 330-px window still shows it: the path's profile and
  // losses beside the frames this client lost and showed late, its A/V offset and the audio's delay.
  const { net: profile, 'net lost': netLost, 'audio late': audioLate, ...more } = net.rows();
  return { net: profile!, 'net lost': netLost!, lost: rows.lost!, late: rows.late!, 'A/V': rows['A/V']!, 'audio late': audioLate!, ...rows, ...more };
}

export async function startClientSession(config: ClientConfig, io: SessionIo): Promise<ClientSession> {
  const ui = await startWindowServer({ title: 'RECEIVING VIDEO', port: config.uiPort, audio: true });
  io.out(`ui: ${ui.url}`);
  let client: StreamClient;
  let firstPicture = false;
  let net: NetSession | undefined;
  try {
    if (config.net) {
      net = await startNetSession(
        config.net,
        {
          listenHost: '127.0.0.1',
          videoPort: 0,
          audioPort: 0,
          serverHost: config.host,
          serverVideoPort: config.port,
          serverAudioPort: config.audioPort,
        },
        io,
      );
    }
    client = await StreamClient.start({
      host: net ? '127.0.0.1' : config.host,
      port: net?.relay.videoPort ?? config.port,
      audioPort: net?.relay.audioPort ?? config.audioPort,
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
    await net?.close();
    await ui.close();
    throw error;
  }
  const hs = client.handshake;
  io.log(
    hs
      ? `receiving ${config.wire} wire from ${config.host}:${config.port}: ${hs.width}x${hs.height} at ${hs.fpsNum}/${hs.fpsDen} fps, ${(hs.durationUs / 1e6).toFixed(1)} s${hs.hasAudio ? '' : ', no audio'}`
      : `receiving tutorial wire from ${config.host}:${config.port} (frames shown as they arrive)`,
  );
  const statsTimer = setInterval(() => ui.setStats(clientRows(client, config, net)), 500);
  statsTimer.unref();
  let closing: Promise<ClientStatsJson> | undefined;
  return {
    client,
    ui,
    ended: client.ended,
    net,
    status(): string {
      const s = client.snapshot();
      const now = performance.now();
      return `client: ${client.stats.liveFps(now).toFixed(2)} fps | jitter ${s.jitterMs.toFixed(2)} ms | lost ${s.framesLost ?? '?'} late ${s.framesLate} dropped ${s.framesDropped} | ${Math.round(client.stats.bitrateKbps(now))} kbit/s | A/V ${formatMs(client.stats.lastAvOffsetMs)} | audio ${s.audioSeconds.toFixed(1)} s${s.foreignDatagrams ? ` | ignored ${s.foreignDatagrams} foreign datagrams` : ''}${net ? ` | ${net.status()}` : ''}`;
    },
    close(): Promise<ClientStatsJson> {
      closing ??= (async () => {
        clearInterval(statsTimer);
        if (net) {
          // The relay's counts and the client's are compared exactly: stop the video at a frame's
          // start, let what was decided arrive, and only then stop counting here.
          await net.stopVideo();
          await receivedSettles(client);
        }
        const stats = await client.close();
        const report = await net?.close();
        if (config.statsFile) {
          const { writeFile } = await import('node:fs/promises');
          await writeFile(config.statsFile, `${JSON.stringify(report ? { ...stats, net: report } : stats, null, 2)}\n`);
        }
        await ui.close();
        return stats;
      })();
      return closing;
    },
  };
}

/** Waits until the client has read every datagram sent to it: its count holds still for 60 ms (at most 1 s). */
async function receivedSettles(client: StreamClient): Promise<void> {
  let last = -1;
  let still = 0;
  for (let waited = 0; waited < 1000 && still < 3; waited += 20) {
    const now = client.stats.framesReceived + client.snapshot().datagramsReceived;
    still = now === last ? still + 1 : 0;
    last = now;
    await sleep(20);
  }
}
