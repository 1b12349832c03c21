import { describe, expect, it } from 'vitest';
import { UsageError } from '../errors.ts';
import { parseClientConfig, parseServerConfig, parseStartConfig } from './stream-options.ts';

describe('stream options', () => {
  it('server defaults follow the tutorial: port 9688, audio port 9687, width 400, quality 80', () => {
    const c = parseServerConfig([])!;
    expect(c).toMatchObject({
      host: '127.0.0.1',
      port: 9688,
      audioPort: 9687,
      width: 400,
      quality: 80,
      wire: 'framed',
      pacing: 'deadline',
      loop: false,
      window: true,
    });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('server --port 0 lets the OS pick both ports', () => {
    expect(parseServerConfig(['--port', '0'])).toMatchObject({ port: 0, audioPort: 0 });
  });

  it('rejects bad values with a UsageError naming the flag', () => {
    expect(() => parseServerConfig(['--wire', 'udp'])).toThrow(/--wire must be one of framed, tutorial/);
    expect(() => parseServerConfig(['--quality', '101'])).toThrow(UsageError);
    expect(() => parseServerConfig(['--width', '401'])).toThrow(/--width must be an even number/);
    expect(() => parseClientConfig(['--port', 'x'])).toThrow(/--port must be a number/);
    expect(() => parseClientConfig(['--bogus'])).toThrow(UsageError);
  });

  it('--help returns undefined', () => {
    expect(parseServerConfig(['--help'])).toBeUndefined();
    expect(parseClientConfig(['-h'])).toBeUndefined();
    expect(parseStartConfig(['--help'])).toBeUndefined();
  });

  it('client options', () => {
    expect(parseClientConfig(['--port', '5000', '--duration', '3', '--stats', 's.json', '--no-window', '--audio', 'null'])).toMatchObject({
      port: 5000,
      audioPort: 4999,
      durationS: 3,
      statsFile: 's.json',
      window: false,
      audio: 'null',
    });
  });
  it("--net takes a profile or a spec on every command; npm start puts it in the client's path", () => {
    expect(parseServerConfig(['--net', 'wifi'])!.net?.label).toBe('wifi');
    expect(parseClientConfig(['--net', 'loss=2%,delay=40ms'])!.net?.down).toMatchObject({ lossPct: 2, delayMs: 40 });
    const start = parseStartConfig(['--net', 'lossy'])!;
    expect(start.client.net?.label).toBe('lossy');
    expect(start.server.net).toBeUndefined();
    expect(parseServerConfig([])!.net).toBeUndefined();
    expect(() => parseClientConfig(['--net', 'loss=2%,rate=fast'])).toThrow(/^--net: rate must be a rate from 8kbit to 100gbit/);
  });
});
