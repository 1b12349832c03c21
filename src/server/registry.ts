/**
 * Who is watching: the server's clients, each a TCP audio connection plus the UDP address its video
 * goes to. Pure bookkeeping (no sockets, no timers): the server feeds it connections, hellos and the
 * time, and it says who joined and who must be dropped.
 *
 * framed wire: a TCP connection gets a random token in its Handshake; the client's UDP Hello{token}
 * names its UDP address and, repeated every second, keeps it alive. Five seconds without a Hello
 * (or never one after connecting) drops the client.
 * tutorial wire: client.py sends b'Hello' to the video port first, then connects TCP, and never
 * says anything again; the two are paired by IP address, oldest first. A tutorial client leaves when
 * its TCP connection closes or a send fails.
 */
import { randomInt } from 'node:crypto';
import type { Wire } from '../protocol/wire.ts';

/** The TCP side of a client as the registry sees it (a net.Socket in the server). */
export interface AudioPeer {
  readonly remoteAddress: string | undefined;
}

export interface UdpAddress {
  readonly address: string;
  readonly port: number;
}

export interface RegisteredClient<P extends AudioPeer = AudioPeer> {
  /** Small number for logs: client #1, #2 … */
  readonly id: number;
  /** framed: the token sent in the Handshake and echoed in Hello (u32); tutorial: 0. */
  readonly token: number;
  readonly peer: P;
  /** Where video datagrams go; undefined until the client's hello arrives. */
  udp: UdpAddress | undefined;
  /** Clock time (ms) of the TCP connection. */
  readonly connectedMs: number;
  /** Clock time (ms) of the last hello (framed keepalive). */
  lastHelloMs: number | undefined;
}

export type LeaveReason = 'keepalive timeout' | 'no hello after connecting' | 'connection closed' | 'send failed' | 'too slow' | 'end of stream' | 'server stopping';

/** Framed clients send Hello every 1 s; five missed in a row means gone. */
export const KEEPALIVE_TIMEOUT_MS = 5000;
/** A tutorial hello waits this long for its TCP connection before it is forgotten. */
export const TUTORIAL_PAIRING_TIMEOUT_MS = 5000;

/**
 * At most this many connections (or tutorial hellos) waiting to be paired are kept; beyond, the
 * oldest is dropped. A real client pairs within milliseconds of connecting, so a flood of junk
 * connections evicts junk, and the state an unknown peer can make us keep stays bounded.
 */
export const MAX_PENDING = 256;

interface PendingHello {
  readonly udp: UdpAddress;
  readonly atMs: number;
}

function sameUdp(a: UdpAddress | undefined, b: UdpAddress): boolean {
  return a !== undefined && a.address === b.address && a.port === b.port;
}

/** IPv4-mapped IPv6 (::ffff:127.0.0.1) and plain IPv4 name the same host. */
function hostKey(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

export class ClientRegistry<P extends AudioPeer = AudioPeer> {
  readonly #wire: Wire;
  readonly #newToken: () => number;
  readonly #clients = new Map<P, RegisteredClient<P>>();
  #pendingHellos: PendingHello[] = [];
  #nextId = 1;

  constructor(opts: { wire: Wire; newToken?: () => number }) {
    this.#wire = opts.wire;
    // Random, not sequential: a stray or spoofed Hello must not guess another client's token.
    this.#newToken = opts.newToken ?? (() => randomInt(1, 0xffffffff));
  }

  get size(): number {
    return this.#clients.size;
  }

  /** Every client, registered or still waiting for its hello. */
  all(): RegisteredClient<P>[] {
    return [...this.#clients.values()];
  }

  /** Clients with both halves: they receive video and audio. */
  active(): RegisteredClient<P>[] {
    return this.all().filter((c) => c.udp !== undefined);
  }

  get(peer: P): RegisteredClient<P> | undefined {
    return this.#clients.get(peer);
  }

  /**
   * A TCP audio connection arrived. Returns the client (framed: send it the Handshake with its
   * token now). tutorial: paired at once with the oldest unpaired hello from the same host, if any.
   * `evicted`: the oldest still-unpaired connection, removed because more than MAX_PENDING wait
   * (the caller closes it).
   */
  connect(peer: P, nowMs: number): { client: RegisteredClient<P>; joined: boolean; evicted?: RegisteredClient<P> } {
    const usedTokens = new Set(this.all().map((c) => c.token));
    let token = 0;
    if (this.#wire === 'framed') {
      do token = this.#newToken() >>> 0;
      while (token === 0 || usedTokens.has(token));
    }
    const client: RegisteredClient<P> = {
      id: this.#nextId++,
      token,
      peer,
      udp: undefined,
      connectedMs: nowMs,
      lastHelloMs: undefined,
    };
    this.#clients.set(peer, client);
    let evicted: RegisteredClient<P> | undefined;
    const waiting = this.all().filter((c) => c.udp === undefined);
    if (waiting.length > MAX_PENDING) {
      evicted = waiting[0]!;
      this.#clients.delete(evicted.peer);
    }
    if (this.#wire === 'tutorial') {
      const host = hostKey(peer.remoteAddress);
      const i = this.#pendingHellos.findIndex((h) => hostKey(h.udp.address) === host);
      if (i >= 0) {
        client.udp = this.#pendingHellos[i]!.udp;
        client.lastHelloMs = this.#pendingHellos[i]!.atMs;
        this.#pendingHellos.splice(i, 1);
        return { client, joined: true, ...(evicted ? { evicted } : {}) };
      }
    }
    return { client, joined: false, ...(evicted ? { evicted } : {}) };
  }

  /**
   * A hello datagram arrived. framed: `token` from Hello; tutorial: undefined (b'Hello' carries none).
   * Returns the client that just became active (joined) or was refreshed, or undefined when the
   * hello matched nobody (unknown token, or a tutorial hello now waiting for its TCP connection).
   */
  hello(from: UdpAddress, token: number | undefined, nowMs: number): { client: RegisteredClient<P>; joined: boolean } | undefined {
    if (this.#wire === 'framed') {
      if (token === undefined) return undefined;
      const client = this.all().find((c) => c.token === token >>> 0);
      if (!client) return undefined;
      const joined = client.udp === undefined;
      client.udp = { address: from.address, port: from.port }; // follows a NAT rebinding
      client.lastHelloMs = nowMs;
      return { client, joined };
    }
    // tutorial: a repeated hello from an address already playing changes nothing.
    const known = this.all().find((c) => sameUdp(c.udp, from));
    if (known) {
      known.lastHelloMs = nowMs;
      return { client: known, joined: false };
    }
    const host = hostKey(from.address);
    const waiting = this.all().find((c) => c.udp === undefined && hostKey(c.peer.remoteAddress) === host);
    if (waiting) {
      waiting.udp = { address: from.address, port: from.port };
      waiting.lastHelloMs = nowMs;
      return { client: waiting, joined: true };
    }
    if (!this.#pendingHellos.some((h) => sameUdp(h.udp, from))) {
      this.#pendingHellos.push({ udp: { address: from.address, port: from.port }, atMs: nowMs });
      // Bounded: a flood from many source addresses forgets the oldest unpaired hellos first.
      if (this.#pendingHellos.length > MAX_PENDING) this.#pendingHellos.shift();
    }
    return undefined;
  }

  /** Forgets a client (its connection closed, a send failed, …). Returns it if it was known. */
  remove(peer: P): RegisteredClient<P> | undefined {
    const client = this.#clients.get(peer);
    this.#clients.delete(peer);
    return client;
  }

  /**
   * Clients whose time is up at `nowMs` (framed: keepalive; tutorial: none — they leave by TCP).
   * They are removed from the registry; the caller closes their connections.
   */
  expire(nowMs: number): Array<{ client: RegisteredClient<P>; reason: LeaveReason }> {
    this.#pendingHellos = this.#pendingHellos.filter((h) => nowMs - h.atMs < TUTORIAL_PAIRING_TIMEOUT_MS);
    const gone: Array<{ client: RegisteredClient<P>; reason: LeaveReason }> = [];
    if (this.#wire !== 'framed') {
      // client.py sends its hello before it connects: a connection still unpaired after the pairing
      // timeout is not a tutorial client (a port scan, a stray connection) and must not be kept forever.
      for (const client of this.all()) {
        if (client.udp === undefined && nowMs - client.connectedMs >= TUTORIAL_PAIRING_TIMEOUT_MS) {
          gone.push({ client, reason: 'no hello after connecting' });
          this.#clients.delete(client.peer);
        }
      }
      return gone;
    }
    for (const client of this.all()) {
      const since = client.lastHelloMs ?? client.connectedMs;
      if (nowMs - since >= KEEPALIVE_TIMEOUT_MS) {
        gone.push({ client, reason: client.lastHelloMs === undefined ? 'no hello after connecting' : 'keepalive timeout' });
        this.#clients.delete(client.peer);
      }
    }
    return gone;
  }
}
