/**
 * What an impaired path does, as text and as a value: `loss=2%,burst=4,delay=40ms,jitter=15ms,
 * rate=3mbit,mtu=1500`. The units are tc-netem's (ms, %, kbit/mbit, kb = 1024 bytes) so a reader of
 * netem's manual reads these the same way. Parsing is strict: a bad field is one UsageError naming
 * the field and its range; formatting writes only what differs from the defaults, and
 * parseSpec(formatSpec(s)) equals s for every valid s.
 */
import { UsageError } from '../errors.ts';

/** One direction of a path. Every field has a default that changes nothing. */
export interface NetSpec {
  /** Packets lost, percent 0..100 (default 0). Applies to each IP fragment of a datagram. */
  readonly lossPct: number;
  /** Mean length of a run of lost packets, ≥ 1 (default 1 = independent losses; above 1: Gilbert–Elliott). */
  readonly burst: number;
  /** One-way delay added to every packet, ms (default 0). */
  readonly delayMs: number;
  /** Each packet's delay varies uniformly within ±jitter ms (netem's default distribution) (default 0). */
  readonly jitterMs: number;
  /** Jitter may let a later packet overtake an earlier one (default false: order kept, as a FIFO link). */
  readonly overtake: boolean;
  /** Packets held back and sent just after the next one, percent (default 0). */
  readonly reorderPct: number;
  /** Packets sent twice, percent (default 0). */
  readonly duplicatePct: number;
  /** Datagrams cut short at a random length, percent (default 0), as a too-small receive buffer does. */
  readonly truncatePct: number;
  /** Bottleneck rate, bit/s; 0 = unlimited (default). */
  readonly rateBps: number;
  /** Bottleneck queue before tail drop, bytes; 0 = 100 ms at the rate, at least 128 KiB (default). */
  readonly queueBytes: number;
  /** Path MTU, bytes; a larger datagram travels as IP fragments and is lost if any one is. 0 = none (default). */
  readonly mtu: number;
  /** Seed of the random choices (default 1): the same seed and traffic make the same decisions. */
  readonly seed: number;
}

export const NO_IMPAIRMENT: NetSpec = Object.freeze({
  lossPct: 0,
  burst: 1,
  delayMs: 0,
  jitterMs: 0,
  overtake: false,
  reorderPct: 0,
  duplicatePct: 0,
  truncatePct: 0,
  rateBps: 0,
  queueBytes: 0,
  mtu: 0,
  seed: 1,
});

type Key = keyof NetSpec;

interface Field<K extends Key> {
  readonly name: string;
  readonly key: K;
  /** The allowed values, as a reader should see them in an error. */
  readonly range: string;
  parse(raw: string): NetSpec[K] | undefined;
  format(value: NetSpec[K]): string;
}

/** A number with an optional unit from `units` (factor to the stored unit); undefined if malformed or out of [min, max]. */
function unitNumber(raw: string, units: Record<string, number>, bare: number | undefined, min: number, max: number, integer = false): number | undefined {
  const m = /^([0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?)([a-z%]*)$/i.exec(raw.trim());
  if (!m) return undefined;
  const factor = m[2] === '' ? bare : units[m[2]!.toLowerCase()];
  if (factor === undefined) return undefined;
  let value = Number(m[1]) * factor;
  if (integer) {
    if (Math.abs(value - Math.round(value)) > 1e-6) return undefined;
    value = Math.round(value);
  }
  return Number.isFinite(value) && value >= min && value <= max ? value : undefined;
}

const percent = (name: string, key: 'lossPct' | 'reorderPct' | 'duplicatePct' | 'truncatePct'): Field<typeof key> => ({
  name,
  key,
  range: 'a percentage from 0% to 100%',
  parse: (raw) => unitNumber(raw, { '%': 1 }, undefined, 0, 100),
  format: (v) => `${v}%`,
});

const millis = (name: string, key: 'delayMs' | 'jitterMs'): Field<typeof key> => ({
  name,
  key,
  range: 'a time from 0ms to 10s (us, ms or s)',
  parse: (raw) => unitNumber(raw, { us: 0.001, ms: 1, s: 1000 }, 1, 0, 10_000),
  format: (v) => `${v}ms`,
});

/** Largest tc unit that states `value` exactly. */
function scaled(value: number, units: ReadonlyArray<readonly [string, number]>): string {
  for (const [unit, factor] of units) if (value % factor === 0) return `${value / factor}${unit}`;
  return `${value}`;
}

const RATE_UNITS = [
  ['gbit', 1e9],
  ['mbit', 1e6],
  ['kbit', 1e3],
  ['bit', 1],
] as const;
const SIZE_UNITS = [
  ['mb', 1024 * 1024],
  ['kb', 1024],
  ['b', 1],
] as const;

const FIELDS = [
  percent('loss', 'lossPct'),
  {
    name: 'burst',
    key: 'burst',
    range: 'a mean loss-run length from 1 to 1000 packets',
    parse: (raw: string) => unitNumber(raw, {}, 1, 1, 1000),
    format: (v: number) => `${v}`,
  } satisfies Field<'burst'>,
  millis('delay', 'delayMs'),
  millis('jitter', 'jitterMs'),
  {
    name: 'overtake',
    key: 'overtake',
    range: 'yes or no',
    parse: (raw: string) => (raw === 'yes' ? true : raw === 'no' ? false : undefined),
    format: (v: boolean) => (v ? 'yes' : 'no'),
  } satisfies Field<'overtake'>,
  percent('reorder', 'reorderPct'),
  percent('dup', 'duplicatePct'),
  percent('truncate', 'truncatePct'),
  {
    name: 'rate',
    key: 'rateBps',
    range: 'a rate from 8kbit to 100gbit (bit, kbit, mbit, gbit), or 0 for none',
    parse: (raw: string) => (raw.trim() === '0' ? 0 : unitNumber(raw, Object.fromEntries(RATE_UNITS), undefined, 8000, 100e9, true)),
    format: (v: number) => scaled(v, RATE_UNITS),
  } satisfies Field<'rateBps'>,
  {
    name: 'queue',
    key: 'queueBytes',
    range: 'a size from 2kb to 64mb (b, kb, mb; kb = 1024 bytes)',
    parse: (raw: string) => unitNumber(raw, Object.fromEntries(SIZE_UNITS), 1, 2048, 64 * 1024 * 1024, true),
    format: (v: number) => scaled(v, SIZE_UNITS),
  } satisfies Field<'queueBytes'>,
  {
    name: 'mtu',
    key: 'mtu',
    range: 'a whole number of bytes from 576 to 65535, or 0 for none',
    parse: (raw: string) => (raw.trim() === '0' ? 0 : unitNumber(raw, {}, 1, 576, 65535, true)),
    format: (v: number) => `${v}`,
  } satisfies Field<'mtu'>,
  {
    name: 'seed',
    key: 'seed',
    range: 'a whole number from 0 to 4294967295',
    parse: (raw: string) => unitNumber(raw, {}, 1, 0, 0xffff_ffff, true),
    format: (v: number) => `${v}`,
  } satisfies Field<'seed'>,
] as const;

/** The field names a spec may use, in the order formatSpec writes them. */
export const SPEC_FIELDS: readonly string[] = FIELDS.map((f) => f.name);

/** The error every bad spec becomes: one line, exit code 2. `flag` names the option it came from. */
function specError(flag: string, message: string): UsageError {
  return new UsageError(`${flag}: ${message}`);
}

/**
 * Reads `field=value,…` (spaces around items allowed; a field at most once). An empty text is no
 * impairment. Throws a UsageError naming the field and its allowed values.
 */
export function parseSpec(text: string, flag = '--net'): NetSpec {
  const spec: Record<string, unknown> = { ...NO_IMPAIRMENT };
  const seen = new Set<string>();
  for (const item of text
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '')) {
    const eq = item.indexOf('=');
    const name = (eq < 0 ? item : item.slice(0, eq)).trim().toLowerCase();
    const field = FIELDS.find((f) => f.name === name);
    if (!field) throw specError(flag, `unknown field "${name}" in "${text}"; fields are ${SPEC_FIELDS.join(', ')} (or a profile: ${PROFILE_NAMES.join(', ')})`);
    if (eq < 0) throw specError(flag, `${name} needs a value (${name}=…): ${field.range}`);
    if (seen.has(name)) throw specError(flag, `${name} is given twice in "${text}"`);
    seen.add(name);
    const raw = item.slice(eq + 1).trim();
    const value = field.parse(raw);
    if (value === undefined) throw specError(flag, `${name} must be ${field.range}, got "${raw}"`);
    spec[field.key] = value;
  }
  const parsed = spec as unknown as NetSpec;
  // Gilbert–Elliott: entering the bad state with p = loss·r/(1 − loss) (r = 1/burst) must be a probability.
  if (parsed.burst > 1 && parsed.lossPct > 0 && gilbertEnterProbability(parsed) > 1) {
    throw specError(
      flag,
      `burst must be at least ${Math.ceil(parsed.lossPct / (100 - parsed.lossPct))} packets with loss=${parsed.lossPct}% (a mean loss of L needs bursts ≥ L/(1−L)), got ${parsed.burst}`,
    );
  }
  if (parsed.lossPct === 100 && parsed.burst > 1) throw specError(flag, 'burst must be 1 with loss=100% (everything is lost)');
  return Object.freeze(parsed);
}

/** Good → bad transition probability of the two-state loss model with the spec's mean loss and burst. */
export function gilbertEnterProbability(spec: Pick<NetSpec, 'lossPct' | 'burst'>): number {
  const loss = spec.lossPct / 100;
  return loss >= 1 ? 1 : loss / (1 - loss) / spec.burst;
}

/** The shortest text that parses back to `spec`: the fields that differ from NO_IMPAIRMENT ("" = none). */
export function formatSpec(spec: NetSpec): string {
  const parts: string[] = [];
  for (const field of FIELDS) {
    const value = spec[field.key];
    if (value === NO_IMPAIRMENT[field.key]) continue;
    parts.push(`${field.name}=${(field.format as (v: typeof value) => string)(value)}`);
  }
  return parts.join(',');
}

/** A named path: the direction server → client carries the stream; the other carries hellos. */
export interface NetProfile {
  readonly name: string;
  /** One line for --help and the windows. */
  readonly summary: string;
  /** Where the figures come from. */
  readonly source: string;
  readonly down: NetSpec;
}

function profile(name: string, summary: string, source: string, spec: string): NetProfile {
  return Object.freeze({ name, summary, source, down: parseSpec(spec, `profile ${name}`) });
}

/**
 * The profiles. Rates and delays are each direction's own (a 150 ms round trip is 75 ms each way);
 * the figures are the presets other tools use, named in `source`, so a result here can be compared.
 */
export const PROFILES: readonly NetProfile[] = Object.freeze([
  profile(
    'lan',
    'switched 100 Mbit/s Ethernet: no loss, sub-millisecond delay',
    'IEEE 802.3u Fast Ethernet rate; 0.25 ms each way is a two-hop switched LAN',
    'delay=0.25ms,jitter=0.05ms,rate=100mbit,mtu=1500',
  ),
  profile(
    'wifi',
    'a busy home Wi-Fi: a few ms of delay with bursts of jitter and loss',
    "Loadero's 4G/Wi-Fi-class preset (0.2 % loss, 5–15 ms jitter) with 802.11's bursty loss (retries fail together under interference); 20 Mbit/s of real 802.11n throughput",
    'loss=0.5%,burst=3,delay=4ms,jitter=4ms,rate=20mbit,mtu=1500',
  ),
  profile(
    'mobile',
    '3.5G/HSPA: 150 ms round trip, 0.5 % loss',
    'Loadero\'s "3.5G/HSPA" network preset: 20 Mbit/s, 0.5 % loss, 150 ms latency (taken as the round trip), 10 ms jitter',
    'loss=0.5%,burst=2,delay=75ms,jitter=10ms,rate=20mbit,mtu=1500',
  ),
  profile(
    'lossy',
    '5 % of packets lost, independently, on a 1500-byte path',
    'Loadero\'s "5% packetloss" preset; MTU 1500 as Ethernet (RFC 894), so a tutorial frame of 20–60 KB travels as 14–41 IP fragments',
    'loss=5%,delay=10ms,mtu=1500',
  ),
  profile(
    'congested',
    'a 4 Mbit/s bottleneck below what the stream needs: its queue fills and drops at the tail',
    'the demo stream needs ≈ 1.4 Mbit/s of PCM audio (44.1 kHz × 16 bit × 2) plus 3–5 Mbit/s of JPEG video; a saturated home uplink (bufferbloat.net) with a 128 KiB queue',
    'delay=20ms,jitter=2ms,rate=4mbit,queue=128kb,mtu=1500',
  ),
]);

export const PROFILE_NAMES: readonly string[] = PROFILES.map((p) => p.name);

/** What --net chose: a profile's name or the spec text, and both directions. */
export interface NetSetting {
  /** The profile's name, or the canonical spec. */
  readonly label: string;
  /** Server → client: the video datagrams and the audio stream. */
  readonly down: NetSpec;
  /** Client → server: hellos and the TCP acknowledgements' path: the same delay and jitter, nothing lost. */
  readonly up: NetSpec;
}

/** The upstream of a path: the same delay (a path's delay is both ways), no loss, duplication or cap. */
export function upstreamOf(down: NetSpec): NetSpec {
  return Object.freeze({ ...NO_IMPAIRMENT, delayMs: down.delayMs, jitterMs: down.jitterMs, mtu: down.mtu, seed: (down.seed + 1) >>> 0 });
}

/** `--net PROFILE|SPEC` (a profile name may be followed by overrides: `lossy,seed=7`). Throws a one-line UsageError. */
export function parseNet(text: string, flag = '--net'): NetSetting {
  const trimmed = text.trim();
  if (trimmed === '')
    throw specError(flag, `needs a profile (${PROFILE_NAMES.join(', ')}) or a spec such as loss=2%,burst=4,delay=40ms,jitter=15ms,rate=3mbit,mtu=1500`);
  const [head, ...rest] = trimmed.split(',');
  const named = PROFILES.find((p) => p.name === head!.trim().toLowerCase());
  if (named) {
    const overrides = rest.join(',').trim();
    if (overrides === '') return Object.freeze({ label: named.name, down: named.down, up: upstreamOf(named.down) });
    // Re-read the merged spec so the checks across fields (loss against burst) still apply.
    const down = parseSpec(formatSpec({ ...named.down, ...pickGiven(parseSpec(overrides, flag), overrides) }), flag);
    return Object.freeze({ label: `${named.name},${overrides}`, down, up: upstreamOf(down) });
  }
  if (!head!.includes('='))
    throw specError(flag, `unknown profile "${head!.trim()}"; profiles are ${PROFILE_NAMES.join(', ')}, or give a spec such as loss=2%,delay=40ms`);
  const down = parseSpec(trimmed, flag);
  return Object.freeze({ label: formatSpec(down) || 'none', down, up: upstreamOf(down) });
}

/** The fields named in `text` (already validated), taken from `spec`. */
function pickGiven(spec: NetSpec, text: string): Partial<NetSpec> {
  const given: Record<string, unknown> = {};
  for (const item of text.split(',')) {
    const name = item.split('=')[0]!.trim().toLowerCase();
    const field = FIELDS.find((f) => f.name === name);
    if (field) given[field.key] = spec[field.key];
  }
  return given;
}
