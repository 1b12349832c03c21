/**
 * Figures for a tutorial client.py, which prints no statistics: read from outside, from the
 * reference server's status lines (frames it sent to its one client) and from the PCM client.py
 * played into the grader's ALSA file sink (grader/run/python/alsa-file.conf). Pure functions.
 */

/** One `server: N client(s) | F fps | t T s | sent S` status line (src/cli/sessions.ts), with when it was read. */
export interface StatusSample {
  atMs: number;
  clients: number;
  fps: number;
  tS: number;
  sent: number;
}

const STATUS = /server: (\d+) client\(s\) \| ([\d.]+) fps \| t ([\d.]+) s \| sent (\d+)/;

export function parseStatusLine(line: string, atMs: number): StatusSample | undefined {
  const m = STATUS.exec(line);
  if (!m) return undefined;
  return { atMs, clients: Number(m[1]), fps: Number(m[2]), tS: Number(m[3]), sent: Number(m[4]) };
}

/**
 * Frames the reference server sent while client.py was its only client, and their rate over wall
 * time between the first and last status line (one line: the server's own send rate).
 */
export function framesSent(samples: StatusSample[]): { frames: number; fps: number } | undefined {
  const playing = samples.filter((s) => s.clients >= 1);
  const last = playing[playing.length - 1];
  if (!last) return undefined;
  const first = playing[0]!;
  const fps = playing.length >= 2 && last.atMs > first.atMs ? ((last.sent - first.sent) * 1000) / (last.atMs - first.atMs) : last.fps;
  return { frames: last.sent, fps };
}

/**
 * Seconds of sound in raw s16le PCM: the stream is cut into 1-s blocks and a block counts (its
 * length) when any sample exceeds `threshold` (default 32 ≈ −60 dBFS), so priming silence
 * PortAudio writes does not count, while a clip with one short beep per second (the demo clip)
 * counts every second it played.
 */
export function nonSilentSeconds(
  pcm: Buffer,
  opts: { rate?: number; channels?: number; threshold?: number } = {},
): { audioSeconds: number; pcmSeconds: number } {
  const rate = opts.rate ?? 44_100;
  const channels = opts.channels ?? 2;
  const threshold = opts.threshold ?? 32;
  const bytesPerSecond = rate * channels * 2;
  let audio = 0;
  for (let start = 0; start + 1 < pcm.length; start += bytesPerSecond) {
    const end = Math.min(pcm.length - 1, start + bytesPerSecond);
    for (let i = start; i < end; i += 2) {
      const v = pcm.readInt16LE(i);
      if (v > threshold || v < -threshold) {
        audio += (end - start) / bytesPerSecond;
        break;
      }
    }
  }
  return { audioSeconds: audio, pcmSeconds: pcm.length / bytesPerSecond };
}
