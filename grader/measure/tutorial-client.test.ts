import { describe, it, expect } from 'vitest';
import { framesSent, nonSilentSeconds, parseStatusLine } from './tutorial-client.ts';

describe('tutorial client figures', () => {
  it('reads the reference server status line', () => {
    expect(parseStatusLine('server: 1 client(s) | 29.97 fps | t 4.9 s | sent 147', 100)).toEqual({ atMs: 100, clients: 1, fps: 29.97, tS: 4.9, sent: 147 });
    expect(parseStatusLine('server: waiting for a client on udp 127.0.0.1:5000 / tcp 4999', 0)).toBeUndefined();
  });

  it('counts frames sent and their rate over wall time', () => {
    const a = parseStatusLine('server: 1 client(s) | 30.00 fps | t 2.0 s | sent 60', 1000)!;
    const b = parseStatusLine('server: 1 client(s) | 30.00 fps | t 7.0 s | sent 210', 6000)!;
    expect(framesSent([a, b])).toEqual({ frames: 210, fps: 30 });
    expect(framesSent([a])).toEqual({ frames: 60, fps: 30 });
    expect(framesSent([])).toBeUndefined();
  });

  it('counts 1-s blocks with sound, not silence', () => {
    const second = 44_100 * 4;
    const pcm = Buffer.alloc(second * 3 + second / 2);
    pcm.writeInt16LE(1000, second + 400); // second 2 has a beep
    pcm.writeInt16LE(-2000, second * 3 + 100); // the last half second too
    pcm.writeInt16LE(10, 0); // below the threshold
    const r = nonSilentSeconds(pcm);
    expect(r.pcmSeconds).toBeCloseTo(3.5);
    expect(r.audioSeconds).toBeCloseTo(1.5);
  });
});
