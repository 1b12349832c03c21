import { describe, expect, it } from 'vitest';
import { noSoundReason, type SoundHost } from './sound.ts';

function host(platform: NodeJS.Platform, opts: { env?: NodeJS.ProcessEnv; files?: Record<string, string>; sockets?: string[] } = {}): SoundHost {
  return {
    platform,
    env: opts.env ?? {},
    uid: 1000,
    exists: (p) => (opts.sockets ?? []).includes(p),
    read: (p) => opts.files?.[p],
  };
}

describe('noSoundReason()', () => {
  it('Linux without /proc/asound or with no cards: no sound', () => {
    expect(noSoundReason(host('linux'))).toBe('no sound card (no /proc/asound)');
    expect(noSoundReason(host('linux', { files: { '/proc/asound/cards': '--- no soundcards ---\n' } }))).toBe('no sound card (/proc/asound/cards is empty)');
  });

  it('Linux with a card, a PulseAudio or PipeWire socket, or a configured ALSA device: try it', () => {
    expect(noSoundReason(host('linux', { files: { '/proc/asound/cards': ' 0 [PCH ]: HDA-Intel\n' } }))).toBeUndefined();
    expect(noSoundReason(host('linux', { sockets: ['/run/user/1000/pulse/native'] }))).toBeUndefined();
    expect(noSoundReason(host('linux', { env: { XDG_RUNTIME_DIR: '/x' }, sockets: ['/x/pipewire-0'] }))).toBeUndefined();
    expect(noSoundReason(host('linux', { env: { ALSA_CONFIG_PATH: '/a.conf' } }))).toBeUndefined();
  });

  it('macOS and Windows: always worth asking PortAudio', () => {
    expect(noSoundReason(host('darwin'))).toBeUndefined();
    expect(noSoundReason(host('win32'))).toBeUndefined();
  });
});
