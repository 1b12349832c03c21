/**
 * Where the sound goes: the default sound device (naudiodon → PortAudio), the RECEIVING window's
 * Web Audio, or nowhere (a null sink). Pacing is never the sink's job: AudioPlayer writes each chunk
 * when its own clock says it is due, so every sink here accepts data without blocking.
 *
 * naudiodon is a native addon and an optionalDependency: it may be missing, fail to build, crash on
 * load, or find no device (headless machines: `AudioIO` throws "No default device"). It is imported
 * lazily inside try/catch so none of that can break the program; the reason is reported instead.
 */
import { noSoundReason, realSoundHost } from '../platform/sound.ts';
import { EnvironmentError } from '../errors.ts';

export interface AudioSink {
  readonly kind: 'device' | 'browser' | 'null';
  /** Hands s16le interleaved PCM to the sink; never blocks. */
  write(pcm: Buffer): void;
  close(): Promise<void>;
  /** How far ahead of its due time this sink wants data (ms); AudioPlayer uses it unless told otherwise. */
  readonly preferredWriteAheadMs?: number;
}

export type AudioSinkPreference = 'auto' | 'device' | 'browser' | 'null';

/** Where the browser sink streams its PCM: the RECEIVING window's page server (src/ui) fits it. */
export interface BrowserAudioOutput {
  /** The window's title, for messages. */
  readonly title: string;
  readonly closed: boolean;
  /** Pages with audio running. */
  readonly audioListeners: number;
  /** Streams PCM (s16le interleaved) to every page whose Web Audio is running. */
  sendAudio(pcm: Buffer, sampleRate: number, channels: number): void;
}

export interface OpenAudioSinkOptions {
  sampleRate: number;
  channels: number;
  /** The RECEIVING window's server, for the browser sink. */
  browser?: BrowserAudioOutput;
  /** 'auto' (default): device → browser → null. An explicit choice that is unavailable throws EnvironmentError. */
  prefer?: AudioSinkPreference;
}

/** Bytes the device may hold beyond what PortAudio has taken before we drop (~0.75 s of 44.1 kHz stereo). */
const DEVICE_MAX_BACKLOG = 128 * 1024;
const DEVICE_CLOSE_TIMEOUT_MS = 3000;

interface NaudiodonWritable extends NodeJS.WritableStream {
  start(): void;
  quit(cb?: () => void): void;
  abort(cb?: () => void): void;
  readonly writableLength: number;
  destroy(err?: Error): void;
}
interface NaudiodonModule {
  getDevices(): Array<{ id: number; name: string; maxOutputChannels: number; hostAPIName: string }>;
  AudioIO(opts: {
    outOptions: {
      channelCount: number;
      sampleFormat: 16;
      sampleRate: number;
      deviceId: number;
      closeOnError: boolean;
      highwaterMark?: number;
      framesPerBuffer?: number;
    };
  }): NaudiodonWritable;
  SampleFormat16Bit: 16;
}

/** A sink that discards everything; time is kept by the player, so sync still behaves. */
export class NullSink implements AudioSink {
  readonly kind = 'null' as const;
  bytesWritten = 0;
  write(pcm: Buffer): void {
    this.bytesWritten += pcm.length;
  }
  async close(): Promise<void> {}
}

/** Streams to every RECEIVING page whose Web Audio is running (drops while none is). */
export class BrowserSink implements AudioSink {
  readonly kind = 'browser' as const;
  /** HTTP + the page's main thread add jitter a sound card does not have: give the page more slack. */
  readonly preferredWriteAheadMs = 60;
  bytesWritten = 0;
  constructor(
    private readonly server: BrowserAudioOutput,
    private readonly sampleRate: number,
    private readonly channels: number,
  ) {}
  write(pcm: Buffer): void {
    this.bytesWritten += pcm.length;
    this.server.sendAudio(pcm, this.sampleRate, this.channels);
  }
  async close(): Promise<void> {}
}

/** The default output device through naudiodon/PortAudio. */
export class DeviceSink implements AudioSink {
  readonly kind = 'device' as const;
  bytesWritten = 0;
  /** Chunks dropped because the device had not taken the earlier ones (it is slower than our clock). */
  dropped = 0;
  private closing: Promise<void> | undefined;
  constructor(
    private readonly io: NaudiodonWritable,
    readonly deviceName: string,
  ) {
    io.on('error', () => {}); // naudiodon logs errors itself; keep them from becoming uncaught
  }
  write(pcm: Buffer): void {
    if (this.closing) return;
    // naudiodon's AudioIO is a Writable: past its highWaterMark it queues in memory. Our clock
    // already paces the data, so a backlog means the device is slower than real time: drop.
    if (this.io.writableLength > DEVICE_MAX_BACKLOG) {
      this.dropped++;
      return;
    }
    this.bytesWritten += pcm.length;
    this.io.write(pcm);
  }
  /** Lets PortAudio play what it has, then stops ('finished'); aborts if that takes too long. */
  close(): Promise<void> {
    this.closing ??= new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.io.abort(() => resolve());
        setTimeout(resolve, 500).unref();
      }, DEVICE_CLOSE_TIMEOUT_MS);
      timer.unref();
      this.io.once('finished', () => {
        clearTimeout(timer);
        resolve();
      });
      this.io.end();
    });
    return this.closing;
  }
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0]!.trim();
}

/** Why there is certainly no sound output on this machine (Linux without any card), or undefined. */
export function linuxHasNoSound(env: NodeJS.ProcessEnv = process.env): string | undefined {
  return noSoundReason({ ...realSoundHost, env });
}

/** Tries the default sound device; returns the sink or why not. */
export async function openDeviceSink(sampleRate: number, channels: number): Promise<DeviceSink | { reason: string }> {
  const noSound = linuxHasNoSound();
  if (noSound) return { reason: noSound };
  let mod: NaudiodonModule;
  try {
    const imported = (await import('naudiodon')) as unknown as NaudiodonModule & { default?: NaudiodonModule };
    mod = imported.default ?? imported;
  } catch (err) {
    return { reason: `naudiodon not available: ${firstLine(err)}` };
  }
  try {
    const devices = mod.getDevices().filter((d) => d.maxOutputChannels > 0);
    if (devices.length === 0) return { reason: 'naudiodon: no output device' };
    const io = mod.AudioIO({
      outOptions: {
        channelCount: channels,
        sampleFormat: 16,
        sampleRate,
        deviceId: -1, // PortAudio's default output
        closeOnError: false,
        highwaterMark: 16384,
      },
    });
    io.start();
    const name = devices.find((d) => d.name === 'default')?.name ?? devices[0]!.name;
    return new DeviceSink(io, `${name} (${devices[0]!.hostAPIName})`);
  } catch (err) {
    return { reason: `naudiodon: ${firstLine(err)}` };
  }
}

function describeFormat(sampleRate: number, channels: number): string {
  return `${sampleRate} Hz ${channels === 2 ? 'stereo' : channels === 1 ? 'mono' : `${channels} ch`}`;
}

/**
 * Opens the sink to play through, and one line saying which and why.
 * 'auto': the sound device; else the window (when a window server is given — its page may still be
 * loading, sound reaches it once its Web Audio runs); else the null sink.
 */
export async function openAudioSink(opts: OpenAudioSinkOptions): Promise<{ sink: AudioSink; reason: string }> {
  const prefer = opts.prefer ?? 'auto';
  const { sampleRate, channels, browser } = opts;
  const fmt = describeFormat(sampleRate, channels);
  if (prefer === 'null') {
    return { sink: new NullSink(), reason: 'audio: null sink (--audio null) — sound is timed but silent' };
  }
  let deviceWhyNot: string | undefined;
  if (prefer === 'auto' || prefer === 'device') {
    const dev = await openDeviceSink(sampleRate, channels);
    if (dev instanceof DeviceSink) {
      return { sink: dev, reason: `audio: sound device ${dev.deviceName}, ${fmt}` };
    }
    deviceWhyNot = dev.reason;
    if (prefer === 'device') {
      throw new EnvironmentError('E_NO_AUDIO_DEVICE', `No sound device (${deviceWhyNot}); use --audio auto (window or silent) or --audio null`);
    }
  }
  const windowName = browser ? `the ${browser.title} window` : 'the window';
  if (browser && !browser.closed) {
    const why = deviceWhyNot ? `no sound device (${deviceWhyNot}); ` : '';
    const waiting = browser.audioListeners > 0 ? '' : ' (sound starts when its page is open)';
    return {
      sink: new BrowserSink(browser, sampleRate, channels),
      reason: `audio: ${why}playing through ${windowName}${waiting}`,
    };
  }
  if (prefer === 'browser') {
    throw new EnvironmentError(
      'E_NO_AUDIO_WINDOW',
      'No window to play sound through (--audio browser needs the RECEIVING window); drop --no-window or use --audio auto',
    );
  }
  return {
    sink: new NullSink(),
    reason: `audio: null sink (no device: ${deviceWhyNot ?? 'not tried'}; no window) — sound is timed but silent`,
  };
}
