/**
 * Who is watching: the server's clients, each a TCP audio connection plus the UDP address its video
 * goes to. Pure bookkeeping (no sockets, no timers): the server feeds it connections, hellos and the
 * time, and it says who joined and who must be dropped. What a connection and a hello mean is the
 * wire's registration rules (src/wire: framed pairs by token, tutorial by address).
 */
import { randomInt } from 'node:crypto';
import {
  MAX_PENDING,
  wireFor,
  type AudioPeer,
  type Departure,
  type RegisteredClient,
  type Registration,
  type UdpAddress,
  type Wire,
  type WireName,
} from '../wire/index.ts';

export type { AudioPeer, LeaveReason, RegisteredClient, UdpAddress } from '../wire/index.ts';
export { KEEPALIVE_TIMEOUT_MS, MAX_PENDING, TUTORIAL_PAIRING_TIMEOUT_MS } from '../wire/index.ts';

export class ClientRegistry<P extends AudioPeer = AudioPeer> {
  readonly #rules: Registration<P>;
  readonly #newToken: () => number;
  readonly #clients = new Map<P, RegisteredClient<P>>();
  readonly #table = { all: () => this.all(), remove: (peer: P) => void this.#clients.delete(peer) };
  #nextId = 1;

  constructor(opts: { wire: Wire | WireName; newToken?: () => number }) {
    const wire = typeof opts.wire === 'string' ? wireFor(opts.wire) : opts.wire;
    this.#rules = wire.newRegistration<P>();
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
   * token now; tutorial: paired at once with a waiting hello from the same host, if any).
   * `evicted`: the oldest still-unpaired connection, removed because more than MAX_PENDING wait
   * (the caller closes it).
   */
  connect(peer: P, nowMs: number): { client: RegisteredClient<P>; joined: boolean; evicted?: RegisteredClient<P> } {
    const token = this.#rules.token(this.#newToken, new Set(this.all().map((c) => c.token)));
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
    const joined = this.#rules.connected(client);
    return { client, joined, ...(evicted ? { evicted } : {}) };
  }

  /**
   * A hello datagram arrived. framed: `token` from Hello; tutorial: undefined (b'Hello' carries none).
   * Returns the client that just became active (joined) or was refreshed, or undefined when the
   * hello matched nobody (unknown token, or a tutorial hello now waiting for its TCP connection).
   */
  hello(from: UdpAddress, token: number | undefined, nowMs: number): { client: RegisteredClient<P>; joined: boolean } | undefined {
    return this.#rules.hello(this.#table, from, token, nowMs);
  }

  /** Forgets a client (its connection closed, a send failed, …). Returns it if it was known. */
  remove(peer: P): RegisteredClient<P> | undefined {
    const client = this.#clients.get(peer);
    this.#clients.delete(peer);
    return client;
  }

  /**
   * Clients whose time is up at `nowMs` (framed: keepalive; tutorial: connections never paired —
   * paired ones leave by TCP). They are removed from the registry; the caller closes their connections.
   */
  expire(nowMs: number): Departure<P>[] {
    return this.#rules.expire(this.#table, nowMs);
  }
}
