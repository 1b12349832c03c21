/**
 * Command-line options of `npm run server`, `npm run client` and `npm start`, parsed into one
 * validated, frozen Config per command. Nothing writes configuration back.
 */
import { isIP } from 'node:net';
import { UsageError } from '../errors.ts';
import { WIRE_NAMES, type WireName } from '../wire/index.ts';
import { PACINGS } from '../timing/pacer.ts';
import { parseNet, PROFILE_NAMES, type NetSetting } from '../net/spec.ts';
import type { StreamServerOptions } from '../server/stream-server.ts';
import { choiceOption, numberOption, parseOptions } from './main.ts';

export type AudioPreference = 'auto' | 'device' | 'browser' | 'null';

export const AUDIO_PREFERENCES: readonly AudioPreference[] = ['auto', 'device', 'browser', 'null'];

/** The tutorial's port: UDP video on 9688, TCP audio on port − 1 (server.py: `s.bind((host_ip, (port-1)))`). */
export const DEFAULT_PORT = 9688;
export const DEFAULT_HOST = '127.0.0.1';

/**
 * The server's settings (their meaning and units are StreamServerOptions'), with the defaults:
 * wire 'framed'; pacing 'deadline'; host 127.0.0.1; port 9688; audioPort port − 1 (the tutorial's;
 * 0 when port is 0); width 400 (the tutorial's imutils.resize width); quality 80 (the tutorial's
 * IMWRITE_JPEG_QUALITY); loop false.
 */
export interface ServerConfig extends Pick<StreamServerOptions, 'wire' | 'pacing' | 'host' | 'port' | 'audioPort' | 'width' | 'quality' | 'loop'> {
  /** Media file to stream. undefined = the 20 s demo clip (made once by ensureDemoClip()). */
  readonly file: string | undefined;
  /** Open the TRANSMITTING VIDEO window (when a display exists). Default true; --no-window = false. */
  readonly window: boolean;
  /** Port of the TRANSMITTING VIDEO page on 127.0.0.1. Default 0 = the OS picks. */
  readonly uiPort: number;
  /** Stack traces and per-event logging. Default false. */
  readonly debug: boolean;
  /** An impairment relay in front of the server (clients reach it through the relay). Default none. */
  readonly net: NetSetting | undefined;
}

export interface ClientConfig {
  /** Server address. Default 127.0.0.1. */
  readonly host: string;
  /** Server's UDP video port. Default 9688. */
  readonly port: number;
  /** Server's TCP audio port. Default port − 1. */
  readonly audioPort: number;
  /** Wire format; must match the server's. Default 'framed'. */
  readonly wire: WireName;
  /** Exit (status 0) after this many seconds; undefined = until the stream ends or q/Ctrl+C. */
  readonly durationS: number | undefined;
  /** Write the statistics as JSON to this file at exit. undefined = don't. */
  readonly statsFile: string | undefined;
  /** Open the RECEIVING VIDEO window (when a display exists). Default true; --no-window = false. */
  readonly window: boolean;
  /** Port of the RECEIVING VIDEO page on 127.0.0.1. Default 0 = the OS picks. */
  readonly uiPort: number;
  /** Where sound goes: auto (device, else the browser page if open, else a clocked null sink). Default auto. */
  readonly audio: AudioPreference;
  /** Stack traces and per-event logging. Default false. */
  readonly debug: boolean;
  /** An impairment relay between this client and the server. Default none. */
  readonly net: NetSetting | undefined;
}

export interface StartConfig {
  /** Server settings (host is always 127.0.0.1: `npm start` is a loopback demo). */
  readonly server: ServerConfig;
  /** Client settings, pointed at the server above. */
  readonly client: ClientConfig;
}

function hostOption(raw: string | undefined): string {
  if (raw === undefined) return DEFAULT_HOST;
  if (isIP(raw) === 0 && raw !== 'localhost') {
    throw new UsageError(`--host must be an IP address such as 127.0.0.1 or 0.0.0.0, got "${raw}"`);
  }
  return raw === 'localhost' ? DEFAULT_HOST : raw;
}

/** Video width: even, since JPEG 4:2:0 (yuvj420p) and scale=W:-2 need even sizes; an odd one used to fail only when the first client joined. */
function widthOption(raw: string | undefined): number {
  const width = numberOption('width', raw, 400, { min: 16, max: 7680, integer: true });
  if (width % 2 !== 0) throw new UsageError(`--width must be an even number (JPEG 4:2:0 needs even sizes), got ${raw}; try ${width - 1} or ${width + 1}`);
  return width;
}

function portOption(name: string, raw: string | undefined, fallback: number): number {
  return numberOption(name, raw, fallback, { min: 0, max: 65535, integer: true });
}

/** Audio port: explicit, else port − 1 (tutorial), else 0 when the video port is 0 (both from the OS). */
function audioPortOption(raw: string | undefined, port: number, allowZero: boolean): number {
  if (raw !== undefined) return portOption('audio-port', raw, 0);
  if (port === 0) {
    if (allowZero) return 0;
    throw new UsageError('--port 0 needs an explicit --audio-port on the client (the server prints both ports)');
  }
  if (port === 1) throw new UsageError('--port 1 leaves no room for the default --audio-port (port − 1); give --audio-port');
  return port - 1;
}

/** Options every command takes. */
const COMMON_OPTIONS = {
  wire: { type: 'string' },
  port: { type: 'string' },
  'audio-port': { type: 'string' },
  'no-window': { type: 'boolean' },
  net: { type: 'string' },
  debug: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

function netOption(raw: string | undefined): NetSetting | undefined {
  return raw === undefined ? undefined : parseNet(raw, '--net');
}

const NET_HELP = `  --net N             impair the path: a profile (${PROFILE_NAMES.join(', ')}) or a spec such as
                      loss=2%,burst=4,delay=40ms,jitter=15ms,rate=3mbit,mtu=1500 (see npm run relay -- --help)`;

/** What the sending side is told: the file and how to encode and pace it (server and start). */
const PROGRAMME_OPTIONS = {
  file: { type: 'string' },
  pacing: { type: 'string' },
  width: { type: 'string' },
  quality: { type: 'string' },
  loop: { type: 'boolean' },
} as const;

/** What the receiving side is told (client and start). */
const PLAYBACK_OPTIONS = {
  duration: { type: 'string' },
  stats: { type: 'string' },
  audio: { type: 'string' },
} as const;

const SERVER_OPTIONS = {
  ...COMMON_OPTIONS,
  ...PROGRAMME_OPTIONS,
  host: { type: 'string' },
  'ui-port': { type: 'string' },
} as const;

const CLIENT_OPTIONS = {
  ...COMMON_OPTIONS,
  ...PLAYBACK_OPTIONS,
  host: { type: 'string' },
  'ui-port': { type: 'string' },
} as const;

const START_OPTIONS = {
  ...COMMON_OPTIONS,
  ...PROGRAMME_OPTIONS,
  ...PLAYBACK_OPTIONS,
} as const;

export const SERVER_HELP = `Usage: npm run server -- [options]

Streams a video file: video as JPEG frames over UDP, audio as PCM over TCP, paced by the file's clock.

  --file PATH         media file (default: the 20 s demo clip, made once in .cache/)
  --wire W            framed (default: avsock's binary format) | tutorial (byte-compatible with the tutorial's client.py)
  --pacing P          deadline (default: frame n at t0 + pts(n)) | tutorial (the tutorial's TS ± 1 ms, for comparison)
  --host ADDR         address to bind (default 127.0.0.1; 0.0.0.0 for a LAN)
  --port N            UDP video port (default ${DEFAULT_PORT}; 0 = any free port)
  --audio-port N      TCP audio port (default port − 1, as the tutorial)
  --width PX          scale the video to this width, aspect kept (default 400)
  --quality Q         JPEG quality 1..100 (default 80)
  --loop              repeat the file forever
  --no-window         do not open the TRANSMITTING VIDEO window (its page still serves on --ui-port)
  --ui-port N         port of the TRANSMITTING VIDEO page (default 0 = any free port)
${NET_HELP}
  --debug             stack traces and verbose logging
  -h, --help          this text
`;

export const CLIENT_HELP = `Usage: npm run client -- [options]

Receives the stream: shows each frame at its time against the audio clock, plays the sound.

  --host ADDR         server address (default 127.0.0.1)
  --port N            server's UDP video port (default ${DEFAULT_PORT})
  --audio-port N      server's TCP audio port (default port − 1)
  --wire W            framed (default) | tutorial (plays the tutorial's server.py)
  --duration S        exit after S seconds (default: until the stream ends)
  --stats FILE        write statistics as JSON to FILE at exit
  --no-window         do not open the RECEIVING VIDEO window (its page still serves on --ui-port)
  --ui-port N         port of the RECEIVING VIDEO page (default 0 = any free port)
  --audio A           auto (default: sound card, else the page, else silent) | device | browser | null
${NET_HELP}
  --debug             stack traces and verbose logging
  -h, --help          this text
`;

export const START_HELP = `Usage: npm start -- [options]

Server and client on this machine with the demo clip, both windows and sound. q or Ctrl+C stops.

  --file PATH         media file (default: the demo clip)
  --wire W            framed (default) | tutorial
  --pacing P          deadline (default) | tutorial
  --port N            UDP video port (default ${DEFAULT_PORT}; 0 = any free ports)
  --audio-port N      TCP audio port (default port − 1)
  --width PX          video width (default 400)
  --quality Q         JPEG quality (default 80)
  --loop              repeat the file until stopped
  --duration S        stop after S seconds
  --stats FILE        write the client's statistics as JSON at exit
  --no-window         no windows: print the two page URLs instead
  --audio A           auto (default) | device | browser | null
${NET_HELP}
  --debug             stack traces and verbose logging
  -h, --help          this text
`;

/** undefined when --help was given (the caller prints the help text and exits 0). */
export function parseServerConfig(argv: string[]): ServerConfig | undefined {
  const { values: v } = parseOptions('server', argv, SERVER_OPTIONS);
  if (v.help) return undefined;
  const port = portOption('port', v.port, DEFAULT_PORT);
  return Object.freeze({
    file: v.file,
    wire: choiceOption('wire', v.wire, WIRE_NAMES, 'framed'),
    pacing: choiceOption('pacing', v.pacing, PACINGS, 'deadline'),
    host: hostOption(v.host),
    port,
    audioPort: audioPortOption(v['audio-port'], port, true),
    width: widthOption(v.width),
    quality: numberOption('quality', v.quality, 80, { min: 1, max: 100, integer: true }),
    loop: v.loop ?? false,
    window: !(v['no-window'] ?? false),
    uiPort: portOption('ui-port', v['ui-port'], 0),
    debug: v.debug ?? false,
    net: netOption(v.net),
  });
}

function durationOption(raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  return numberOption('duration', raw, 0, { min: 0.1, max: 7 * 24 * 3600 });
}

export function parseClientConfig(argv: string[]): ClientConfig | undefined {
  const { values: v } = parseOptions('client', argv, CLIENT_OPTIONS);
  if (v.help) return undefined;
  const port = portOption('port', v.port, DEFAULT_PORT);
  if (port === 0) throw new UsageError("--port must be the server's UDP port (1..65535), got 0");
  const audioPort = audioPortOption(v['audio-port'], port, false);
  if (audioPort === 0) throw new UsageError("--audio-port must be the server's TCP port (1..65535), got 0");
  const host = hostOption(v.host);
  return Object.freeze({
    host: host === '0.0.0.0' ? DEFAULT_HOST : host,
    port,
    audioPort,
    wire: choiceOption('wire', v.wire, WIRE_NAMES, 'framed'),
    durationS: durationOption(v.duration),
    statsFile: v.stats,
    window: !(v['no-window'] ?? false),
    uiPort: portOption('ui-port', v['ui-port'], 0),
    audio: choiceOption('audio', v.audio, AUDIO_PREFERENCES, 'auto'),
    debug: v.debug ?? false,
    net: netOption(v.net),
  });
}

/**
 * `npm start`: the client's ports are filled in once the server has bound (port 0 = any free port),
 * so the client config here carries the requested ports; start.ts replaces them with the bound ones.
 */
export function parseStartConfig(argv: string[]): StartConfig | undefined {
  const { values: v } = parseOptions('start', argv, START_OPTIONS);
  if (v.help) return undefined;
  const port = portOption('port', v.port, DEFAULT_PORT);
  const audioPort = audioPortOption(v['audio-port'], port, true);
  const wire = choiceOption('wire', v.wire, WIRE_NAMES, 'framed');
  const window = !(v['no-window'] ?? false);
  const debug = v.debug ?? false;
  const server: ServerConfig = Object.freeze({
    file: v.file,
    wire,
    pacing: choiceOption('pacing', v.pacing, PACINGS, 'deadline'),
    host: DEFAULT_HOST,
    port,
    audioPort,
    width: widthOption(v.width),
    quality: numberOption('quality', v.quality, 80, { min: 1, max: 100, integer: true }),
    loop: v.loop ?? false,
    window,
    uiPort: 0,
    debug,
    net: undefined,
  });
  const client: ClientConfig = Object.freeze({
    host: DEFAULT_HOST,
    port,
    audioPort,
    wire,
    durationS: durationOption(v.duration),
    statsFile: v.stats,
    window,
    uiPort: 0,
    audio: choiceOption('audio', v.audio, AUDIO_PREFERENCES, 'auto'),
    debug,
    // The relay sits between the two, in the client's path.
    net: netOption(v.net),
  });
  return Object.freeze({ server, client });
}
