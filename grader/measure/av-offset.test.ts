/**
 * A 2-second A/V error must read 2 s through the whole measurement: a tutorial-wire server made
 * here streams a clip whose every beep is 2 s after its flash (makeTestClip beepLateS), sending
 * video at the clip's rate from the Hello and sound as fast as TCP lets it (like server.py). The
 * grader's probe (its own process, real-time player) and the independent plain client
 * (grader/testing/plain_client.py, when python3 has OpenCV) must both read about −2000 ms — never
 * ≈ 0, which nearest-neighbour pairing would give. Timing-sensitive: run under the CPU lock.
 */
import { spawn, spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { makeTestClip } from '../../src/media/clips.ts';
import { resolveFfmpeg } from '../../src/platform/tools.ts';
import { encodeTutorialAudio, encodeTutorialFrame } from '../../src/protocol/tutorial/index.ts';
import { need } from '../../test/support/requirements.ts';
import { resolvePython } from '../run/python/python.ts';
import { computeServerFigures } from './server-figures.ts';
import { probeServer } from './probe-client.ts';

const dir = mkdtempSync(join(tmpdir(), 'avsock-avoffset-'));
const closers: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c();
  rmSync(dir, { recursive: true, force: true });
});
const noOpenCv = await need('python-opencv');

async function clipMedia(): Promise<{ jpegs: Buffer[]; pcm: Buffer }> {
  const file = await makeTestClip(join(dir, 'late.mp4'), { fps: '30', seconds: 8, flashes: true, beepLateS: 2, width: 400, height: 226 });
  const ff = resolveFfmpeg().path;
  const v = spawnSync(ff, ['-v', 'error', '-i', file, '-c:v', 'mjpeg', '-q:v', '4', '-f', 'image2pipe', 'pipe:1'], { maxBuffer: 256 << 20 });
  const a = spawnSync(ff, ['-v', 'error', '-i', file, '-f', 's16le', '-ar', '44100', '-ac', '2', 'pipe:1'], { maxBuffer: 256 << 20 });
  if (v.status !== 0 || a.status !== 0) throw new Error(`ffmpeg: ${v.stderr.toString()} ${a.stderr.toString()}`);
  const jpegs: Buffer[] = [];
  let start = 0;
  for (let i = 2; i + 1 < v.stdout.length; i++) {
    if (v.stdout[i] === 0xff && v.stdout[i + 1] === 0xd8 && v.stdout[i - 2] === 0xff && v.stdout[i - 1] === 0xd9) {
      jpegs.push(v.stdout.subarray(start, i));
      start = i;
    }
  }
  jpegs.push(v.stdout.subarray(start));
  return { jpegs, pcm: a.stdout };
}

/** One-client tutorial-wire server: frames at 30 fps from the Hello, sound as fast as the client reads. */
async function lateSoundServer(media: { jpegs: Buffer[]; pcm: Buffer }): Promise<{ videoPort: number; close: () => Promise<void> }> {
  const datagrams = media.jpegs.map(encodeTutorialFrame);
  const sockets = new Set<net.Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const udp = dgram.createSocket('udp4');
  await new Promise<void>((r) => udp.bind(0, '127.0.0.1', r));
  const videoPort = udp.address().port;
  const tcp = net.createServer((s) => {
    sockets.add(s);
    s.on('error', () => {});
    s.on('close', () => sockets.delete(s));
    let at = 0;
    const pump = (): void => {
      while (!s.destroyed && at < media.pcm.length) {
        const msg = encodeTutorialAudio(media.pcm.subarray(at, at + 4096));
        at += 4096;
        if (!s.write(msg)) return void s.once('drain', pump);
      }
    };
    pump();
  });
  await new Promise<void>((r, j) => tcp.listen(videoPort - 1, '127.0.0.1', r).once('error', j));
  let started = false;
  udp.on('message', (_m, from) => {
    if (started) return;
    started = true;
    const t0 = performance.now();
    const send = (n: number): void => {
      if (n >= datagrams.length) return;
      udp.send(datagrams[n]!, from.port, from.address);
      const t = setTimeout(() => send(n + 1), Math.max(0, t0 + ((n + 1) * 1000) / 30 - performance.now()));
      timers.add(t);
    };
    send(0);
  });
  return {
    videoPort,
    close: async () => {
      for (const t of timers) clearTimeout(t);
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => tcp.close(() => r()));
      await new Promise<void>((r) => udp.close(() => r()));
    },
  };
}

/** A free UDP port P whose TCP P − 1 is free too (the tutorial's pairing). */
async function serverWithPorts(media: { jpegs: Buffer[]; pcm: Buffer }): Promise<{ videoPort: number; close: () => Promise<void> }> {
  for (let attempt = 0; attempt < 20; attempt++) {
    try {
      return await lateSoundServer(media);
    } catch {
      // TCP P − 1 taken: try another P
    }
  }
  throw new Error('no free port pair in 20 tries');
}

describe('a 2-second A/V error, end to end', () => {
  it('reads about −2000 ms by the probe (sound 2 s behind the picture)', async () => {
    const server = await serverWithPorts(await clipMedia());
    closers.push(server.close);
    const rec = await probeServer({ host: '127.0.0.1', videoPort: server.videoPort, audioPort: server.videoPort - 1, wire: 'tutorial', seconds: 6 });
    const f = await computeServerFigures(rec, { sourceFps: 30 });
    expect(rec.problem).toBeUndefined();
    expect(f.avPairs, JSON.stringify(f.avSync)).toBeGreaterThanOrEqual(3);
    // The server starts its picture on the Hello and its sound on the connection, as server.py
    // does, so what a client sees is the clip's 2 s plus however late its sound started: the probe
    // connects right after its Hello, but on a loaded machine its audio thread may take hundreds of
    // ms to. The reading must be the clip's error shifted by exactly that start gap.
    const startGapMs = rec.audio[0]!.arrivalMs - rec.frames[0]!.arrivalMs;
    const expected = -2000 - startGapMs;
    expect(Math.abs(f.avOffsetMs - expected), `start gap ${startGapMs.toFixed(0)} ms; ${JSON.stringify(f.avSync)}`).toBeLessThan(250);
    expect(f.framesMissing).toBe(0);
    expect(f.paced).toBe(false); // it sends sound as fast as TCP lets it
  });

  it.skipIf(Boolean(noOpenCv))('reads about −2000 ms by the independent plain client too', async () => {
    const server = await serverWithPorts(await clipMedia());
    closers.push(server.close);
    const out = await new Promise<string>((resolve, reject) => {
      const p = spawn(
        resolvePython().command,
        [fileURLToPath(new URL('../testing/plain_client.py', import.meta.url)), '127.0.0.1', String(server.videoPort), '6', '1', '30'],
        { stdio: ['ignore', 'pipe', 'pipe'] },
      );
      let o = '';
      let e = '';
      p.stdout.on('data', (d: Buffer) => (o += d.toString()));
      p.stderr.on('data', (d: Buffer) => (e += d.toString()));
      p.on('exit', (code) => (code === 0 ? resolve(o) : reject(new Error(e))));
    });
    const j = JSON.parse(out.trim().split('\n').pop()!) as { avOffsetMs?: number; avPairs?: number; framesMissing?: number };
    expect(j.avPairs).toBeGreaterThanOrEqual(3);
    expect(Math.abs(j.avOffsetMs! + 2000)).toBeLessThan(250);
    expect(j.framesMissing).toBe(0);
  });
});
