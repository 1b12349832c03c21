/**
 * The bookkeeping types a wire's registration rules work on: a client as the server sees it (a TCP
 * audio connection plus the UDP address its video goes to) and the table of such clients.
 */

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
  /** The token sent in the framed Handshake and echoed in Hello (u32); 0 on a wire without tokens. */
  readonly token: number;
  readonly peer: P;
  /** Where video datagrams go; undefined until the client's hello arrives. */
  udp: UdpAddress | undefined;
  /** Clock time (ms) of the TCP connection. */
  readonly connectedMs: number;
  /** Clock time (ms) of the last hello (framed keepalive). */
  lastHelloMs: number | undefined;
}

export type LeaveReason =
  'keepalive timeout' | 'no hello after connecting' | 'connection closed' | 'send failed' | 'too slow' | 'end of stream' | 'server stopping';

export interface Departure<P extends AudioPeer> {
  readonly client: RegisteredClient<P>;
  readonly reason: LeaveReason;
}

/** The registry's clients as registration rules see them. */
export interface ClientTable<P extends AudioPeer> {
  all(): RegisteredClient<P>[];
  remove(peer: P): void;
}

/**
 * How clients of one wire register and leave. The registry keeps the table and the shared bounds;
 * these rules say what a connection and a hello mean. One instance per server (it may keep state,
 * such as hellos waiting for their connection).
 */
export interface Registration<P extends AudioPeer> {
  /** The token for a new connection: `fresh()` draws a random u32 (0 when the wire has no tokens). */
  token(fresh: () => number, used: ReadonlySet<number>): number;
  /** A connection was added to the table; true when that completed its registration (joined). */
  connected(client: RegisteredClient<P>): boolean;
  /** A hello datagram (token when the wire's hello carries one) from `from` at `nowMs`. */
  hello(table: ClientTable<P>, from: UdpAddress, token: number | undefined, nowMs: number): { client: RegisteredClient<P>; joined: boolean } | undefined;
  /** Clients whose time is up at `nowMs`; removed from the table by this call. */
  expire(table: ClientTable<P>, nowMs: number): Departure<P>[];
}

/** Removes from `table` every client `reasonOf` names a reason for, and returns them with it. */
export function removeWhere<P extends AudioPeer>(table: ClientTable<P>, reasonOf: (client: RegisteredClient<P>) => LeaveReason | undefined): Departure<P>[] {
  const gone: Departure<P>[] = [];
  for (const client of table.all()) {
    const reason = reasonOf(client);
    if (reason === undefined) continue;
    gone.push({ client, reason });
    table.remove(client.peer);
  }
  return gone;
}

export function sameUdp(a: UdpAddress | undefined, b: UdpAddress): boolean {
  return a !== undefined && a.address === b.address && a.port === b.port;
}

/** IPv4-mapped IPv6 (::ffff:127.0.0.1) and plain IPv4 name the same host. */
export function hostKey(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/**
 * At most this many connections (or tutorial hellos) waiting to be paired are kept; beyond, the
 * oldest is dropped. A real client pairs within milliseconds of connecting, so a flood of junk
 * connections evicts junk, and the state an unknown peer can make us keep stays bounded.
 */
export const MAX_PENDING = 256;
