/**
 * Is there clearly no sound output to find? Asked before loading PortAudio, because on Linux
 * without any card libasound prints ~50 lines of "ALSA lib … cannot find card '0'" to stderr while
 * PortAudio probes (it cannot be silenced from JavaScript).
 *
 * - Linux: nothing when there is no ALSA card (/proc/asound/cards), no PulseAudio/PipeWire socket
 *   and no ALSA_CONFIG_PATH (a configured device, e.g. the test's file sink).
 * - macOS (CoreAudio) and Windows (MME/WASAPI): PortAudio asks the OS quietly; always worth trying.
 *
 * The host is injected so each OS's branch is tested anywhere (Linux paths are joined with posix.join
 * so the Linux branch reads the same on a Windows test machine).
 */
import { existsSync, readFileSync } from 'node:fs';
import { posix } from 'node:path';

export interface SoundHost {
  readonly platform: NodeJS.Platform;
  readonly env: NodeJS.ProcessEnv;
  readonly uid: number | undefined;
  exists(path: string): boolean;
  /** Contents of a file, or undefined when it cannot be read. */
  read(path: string): string | undefined;
}

export const realSoundHost: SoundHost = {
  platform: process.platform,
  env: process.env,
  uid: typeof process.getuid === 'function' ? process.getuid() : undefined,
  exists: existsSync,
  read: (path) => {
    try {
      return readFileSync(path, 'utf8');
    } catch {
      return undefined;
    }
  },
};

/** Why there is certainly no sound output here, or undefined when one may exist. */
export function noSoundReason(host: SoundHost = realSoundHost): string | undefined {
  if (host.platform !== 'linux') return undefined;
  const { env } = host;
  if (env.ALSA_CONFIG_PATH || env.PULSE_SERVER || env.AVSOCK_AUDIO_PROBE === 'always') return undefined;
  const runtime = env.XDG_RUNTIME_DIR ?? (host.uid !== undefined ? `/run/user/${host.uid}` : '');
  if (runtime && (host.exists(posix.join(runtime, 'pulse', 'native')) || host.exists(posix.join(runtime, 'pipewire-0')))) return undefined;
  const cards = host.read('/proc/asound/cards');
  if (cards === undefined) return 'no sound card (no /proc/asound)';
  return /no soundcards/i.test(cards) || cards.trim() === '' ? 'no sound card (/proc/asound/cards is empty)' : undefined;
}
