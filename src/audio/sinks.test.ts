import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { WindowServer } from '../ui/window-server.ts';
import { BrowserSink, NullSink, linuxHasNoSound, openAudioSink } from './sinks.ts';
import { skipFor } from '../../test/support/requirements.ts';
import { testPattern } from './testing/pattern.ts';

// The child runs in a temp cwd, where a bare `--import tsx` would not resolve.
const tsxLoader = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const alsaConf = fileURLToPath(new URL('./alsa-file-sink.conf', import.meta.url));
const deviceChild = fileURLToPath(new URL('./testing/device-sink-child.ts', import.meta.url));

function fakeWindow(audioListeners = 1): WindowServer & { sent: Array<{ bytes: number; rate: number; ch: number }> } {
  const sent: Array<{ bytes: number; rate: number; ch: number }> = [];
  return {
    sent,
    url: 'http://127.0.0.1:1/',
    title: 'RECEIVING VIDEO',
    showFrame() {},
    setStats() {},
    sendAudio(pcm, rate, ch) {
      sent.push({ bytes: pcm.length, rate, ch });
    },
    audioListeners,
    viewers: 1,
    framesDropped: 0,
    audioDropped: 0,
    onQuit() {},
    closed: false,
    async close() {},
  };
}

describe('openAudioSink()', () => {
  it("prefer 'null' gives the null sink and says so", async () => {
    const { sink, reason } = await openAudioSink({ sampleRate: 44100, channels: 2, prefer: 'null' });
    expect(sink).toBeInstanceOf(NullSink);
    expect(sink.kind).toBe('null');
    expect(reason).toMatch(/^audio: null sink/);
    sink.write(Buffer.alloc(4096));
    expect((sink as NullSink).bytesWritten).toBe(4096);
    await sink.close();
  });

  it("'auto' without a device plays through the window, naming the window and why", async () => {
    const win = fakeWindow();
    const { sink, reason } = await openAudioSink({ sampleRate: 44100, channels: 2, browser: win });
    try {
      if (sink.kind === 'device') return; // this machine has a sound card: the device wins, rightly
      expect(sink).toBeInstanceOf(BrowserSink);
      expect(reason).toMatch(/^audio: no sound device \(.+\); playing through the RECEIVING VIDEO window$/);
      sink.write(Buffer.alloc(4096));
      expect(win.sent).toEqual([{ bytes: 4096, rate: 44100, ch: 2 }]);
    } finally {
      await sink.close();
    }
  });

  it("'auto' with neither device nor window is a clocked null sink with one line of why", async () => {
    const { sink, reason } = await openAudioSink({ sampleRate: 44100, channels: 2 });
    try {
      if (sink.kind === 'device') return;
      expect(sink.kind).toBe('null');
      expect(reason).toMatch(/^audio: null sink \(no device: .+; no window\) — sound is timed but silent$/);
      expect(reason.split('\n')).toHaveLength(1);
    } finally {
      await sink.close();
    }
  });

  it("an explicit 'browser' with no window is an EnvironmentError naming the fix", async () => {
    await expect(openAudioSink({ sampleRate: 44100, channels: 2, prefer: 'browser' })).rejects.toMatchObject({
      code: 'E_NO_AUDIO_WINDOW',
    });
  });

  it('does not probe PortAudio on a Linux box with no sound at all, unless ALSA is configured', () => {
    if (process.platform !== 'linux') return;
    expect(linuxHasNoSound({ ALSA_CONFIG_PATH: alsaConf })).toBeUndefined();
    expect(linuxHasNoSound({ PULSE_SERVER: 'unix:/x' })).toBeUndefined();
  });

  it('the device sink plays a PCM pattern through real PortAudio into an ALSA file sink', async (ctx) => {
    const dir = mkdtempSync(join(tmpdir(), 'avsock-alsa-'));
    const outFile = join(dir, 'out.raw');
    const proc = spawn(process.execPath, ['--import', tsxLoader, deviceChild], {
      cwd: dir, // naudiodon's crash handler writes crash.log into the working directory
      env: { ...process.env, ALSA_CONFIG_PATH: alsaConf, AVSOCK_AUDIO_OUT: outFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    proc.stdout.on('data', (d: Buffer) => (out += d.toString()));
    proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const killer = setTimeout(() => proc.kill('SIGKILL'), 30_000);
    try {
      const code = await new Promise<number | null>((r) => proc.on('exit', r));
      const line = out
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .pop();
      expect(line, `child exited ${code}; stderr:\n${err.slice(-2000)}`).toBeDefined();
      const result = JSON.parse(line!) as { skip?: string; kind: string; played: number; elapsedMs: number };
      if (result.skip) {
        ctx.skip(skipFor('alsa', result.skip));
        return;
      }
      expect(result.kind).toBe('device');
      expect(code).toBe(0);
      // Paced by the clock: 0.5 s of sound takes about 0.5 s (+ lead), not an instant.
      expect(result.elapsedMs).toBeGreaterThan(450);
      expect(result.played).toBeCloseTo(0.5, 2);
      const file = readFileSync(outFile);
      const pattern = testPattern();
      // PortAudio primes the device with silence first: the pattern is inside the file, whole.
      expect(file.length).toBeGreaterThanOrEqual(pattern.length);
      expect(file.indexOf(pattern)).toBeGreaterThanOrEqual(0);
    } finally {
      clearTimeout(killer);
      proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
