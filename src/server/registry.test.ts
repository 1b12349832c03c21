import { describe, expect, it } from 'vitest';
import { ClientRegistry, KEEPALIVE_TIMEOUT_MS } from './registry.ts';

const peer = (remoteAddress = '127.0.0.1') => ({ remoteAddress });

describe('ClientRegistry (framed)', () => {
  it('registers a client when its Hello echoes the handshake token', () => {
    let t = 41;
    const r = new ClientRegistry({ wire: 'framed', newToken: () => ++t });
    const p = peer();
    const { client, joined } = r.connect(p, 0);
    expect(joined).toBe(false);
    expect(client.token).toBe(42);
    expect(r.active()).toHaveLength(0);
    expect(r.hello({ address: '127.0.0.1', port: 5000 }, 7, 10)).toBeUndefined();
    expect(r.hello({ address: '127.0.0.1', port: 5000 }, 42, 10)).toMatchObject({ joined: true });
    expect(r.hello({ address: '127.0.0.1', port: 5000 }, 42, 20)).toMatchObject({ joined: false });
    expect(r.active()[0]?.udp).toEqual({ address: '127.0.0.1', port: 5000 });
  });

  it('gives every connection a distinct token', () => {
    const tokens = [5, 5, 5, 6];
    const r = new ClientRegistry({ wire: 'framed', newToken: () => tokens.shift()! });
    const a = r.connect(peer(), 0).client;
    const b = r.connect(peer(), 0).client;
    expect(a.token).not.toBe(b.token);
  });

  it('drops a client five seconds after its last Hello, or after connecting without one', () => {
    const r = new ClientRegistry({ wire: 'framed' });
    const a = r.connect(peer(), 0).client;
    const b = r.connect(peer(), 0).client;
    r.hello({ address: '127.0.0.1', port: 1 }, a.token, 1000);
    expect(r.expire(KEEPALIVE_TIMEOUT_MS - 1)).toEqual([]);
    expect(r.expire(KEEPALIVE_TIMEOUT_MS).map((g) => [g.client.id, g.reason])).toEqual([[b.id, 'no hello after connecting']]);
    expect(r.expire(1000 + KEEPALIVE_TIMEOUT_MS).map((g) => [g.client.id, g.reason])).toEqual([[a.id, 'keepalive timeout']]);
    expect(r.size).toBe(0);
  });
});

describe('ClientRegistry (tutorial)', () => {
  it('pairs the hello with the TCP connection from the same host, hello first (client.py order)', () => {
    const r = new ClientRegistry({ wire: 'tutorial' });
    expect(r.hello({ address: '127.0.0.1', port: 6000 }, undefined, 0)).toBeUndefined();
    const { joined, client } = r.connect(peer('::ffff:127.0.0.1'), 5);
    expect(joined).toBe(true);
    expect(client.udp?.port).toBe(6000);
  });

  it('pairs a TCP connection that came first with the next hello from its host', () => {
    const r = new ClientRegistry({ wire: 'tutorial' });
    r.connect(peer('10.0.0.2'), 0);
    expect(r.hello({ address: '10.0.0.3', port: 1 }, undefined, 1)).toBeUndefined();
    expect(r.hello({ address: '10.0.0.2', port: 2 }, undefined, 1)).toMatchObject({ joined: true });
    expect(r.hello({ address: '10.0.0.2', port: 2 }, undefined, 2)).toMatchObject({ joined: false });
  });

  it('never expires tutorial clients by time (they leave when TCP closes)', () => {
    const r = new ClientRegistry({ wire: 'tutorial' });
    r.hello({ address: '127.0.0.1', port: 1 }, undefined, 0);
    const p = peer();
    r.connect(p, 0);
    expect(r.expire(60_000)).toEqual([]);
    expect(r.remove(p)).toBeDefined();
    expect(r.size).toBe(0);
  });
});
