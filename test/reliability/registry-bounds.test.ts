/** Per-unknown-peer state in the server's registry is capped and expires (pure, no sockets). */
import { describe, expect, it } from 'vitest';
import { ClientRegistry, MAX_PENDING, TUTORIAL_PAIRING_TIMEOUT_MS } from '../../src/server/registry.ts';

const peer = (i: number) => ({ remoteAddress: '127.0.0.1', i });

describe.each(['framed', 'tutorial'] as const)('ClientRegistry (%s) under a connection flood', (wire) => {
  it(`keeps at most ${MAX_PENDING} unregistered connections, evicting the oldest`, () => {
    const r = new ClientRegistry<ReturnType<typeof peer>>({ wire });
    const evicted: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const { evicted: e } = r.connect(peer(i), 0);
      if (e) evicted.push(e.peer.i);
    }
    expect(r.size).toBe(MAX_PENDING);
    expect(evicted).toEqual(Array.from({ length: 1000 - MAX_PENDING }, (_, i) => i));
  });

  it('forgets connections that never registered', () => {
    const r = new ClientRegistry<ReturnType<typeof peer>>({ wire });
    for (let i = 0; i < 10; i++) r.connect(peer(i), 0);
    expect(r.expire(TUTORIAL_PAIRING_TIMEOUT_MS - 1)).toHaveLength(0);
    const gone = r.expire(Math.max(TUTORIAL_PAIRING_TIMEOUT_MS, 5000));
    expect(gone).toHaveLength(10);
    expect(gone.every((g) => g.reason === 'no hello after connecting')).toBe(true);
    expect(r.size).toBe(0);
  });
});

describe('ClientRegistry (tutorial) under a hello flood from many addresses', () => {
  it(`remembers at most ${MAX_PENDING} unpaired hellos; the newest still pairs`, () => {
    const r = new ClientRegistry<ReturnType<typeof peer>>({ wire: 'tutorial' });
    for (let port = 1; port <= 5000; port++) r.hello({ address: '127.0.0.2', port }, undefined, 0);
    const legit = r.hello({ address: '127.0.0.1', port: 40000 }, undefined, 0);
    expect(legit).toBeUndefined();
    const { joined, client } = r.connect(peer(0), 1);
    expect(joined).toBe(true);
    expect(client.udp).toEqual({ address: '127.0.0.1', port: 40000 });
  });
});
