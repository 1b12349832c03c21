// @ts-check
// The video sender thread (started by video-sender.ts): it owns the UDP video socket, and per frame
// it does three things only — block in Atomics.wait until the frame's deadline, send the slot's
// datagrams to every client, mark the slot free. Everything else (ffmpeg, JPEG splitting, base64,
// fragmenting, audio, TCP, the registry) happens on the main thread, ahead of the deadline.
//
// Plain JavaScript on purpose: a worker does not inherit the TypeScript loader the main thread runs
// under, and registering one inside the worker costs ~0.5 s of start-up; this file imports only
// node: built-ins. It is type-checked all the same (@ts-check above, JSDoc types from
// video-sender.ts, read by `npm run typecheck`); the casts are comments, free at run time. The ring layout (C_*, M_*) is defined in frame-ring.ts and passed in workerData,
// so there is one source of truth.
//
// Datagrams that arrive on the socket (hellos, keepalives) are passed to the main thread as they
// come; while a frame is due the thread is blocked in its deadline wait, so a hello waits at most
// one frame interval — the main thread wakes it early (C_WAKE) when the clients change.
import { createSocket } from 'node:dgram';
import { performance, PerformanceObserver } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';

/** @typedef {import('./video-sender.ts').SenderWorkerData} SenderWorkerData */
/** @typedef {{ port: number; address: string }} Client */

/** @type {SenderWorkerData} */
const d = workerData;
if (!parentPort) throw new Error('video-sender-worker.mjs runs only as a worker thread');
const parent = parentPort;
const L = d.layout;
const K = d.keys;
const ctrl = new Int32Array(d.sab, 0, 16);
const meta = new Float64Array(d.sab, L.metaOffset, L.slots * K.META_FIELDS);
const slots = Array.from({ length: L.slots }, (_, i) => Buffer.from(d.sab, L.dataOffset + i * L.slotBytes, L.slotBytes));
// This thread's performance.now() → the main thread's (deadlines are on the main thread's timeline).
const toMain = performance.timeOrigin - d.mainTimeOrigin;
/**
 * Atomics.waitAsync (V8 8.7+, every Node ≥ 16), not yet in TypeScript's ES2023 lib.
 * @type {(a: Int32Array, i: number, v: number) => { async: false; value: 'not-equal' | 'timed-out' } | { async: true; value: Promise<'ok' | 'timed-out'> }}
 */
const waitAsync = /** @type {any} */ (Atomics).waitAsync;
const now = () => performance.now() + toMain;

/** Trace (bench only): per frame 8 f64 — deadline, wake, send start, send end, published, pts, datagrams sent, 1 = dropped. */
const trace = d.trace ? new Float64Array(d.trace.sab) : undefined;
const traceGcEntries = d.trace?.gcEntries ?? 0;
const TRACE_FIELDS = d.trace?.frameFields ?? 0;
const traceFrames = trace ? Math.floor((trace.length - 1 - 2 * traceGcEntries) / TRACE_FIELDS) : 0;
let traced = 0;
let gcTraced = 0;
/** @type {PerformanceObserver | undefined} */
let gcObserver;
if (trace) {
  gcObserver = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      if (gcTraced >= traceGcEntries) break;
      const at = 1 + traceFrames * TRACE_FIELDS + gcTraced * 2;
      trace[at] = e.startTime + toMain;
      trace[at + 1] = e.duration;
      gcTraced += 1;
    }
  });
  gcObserver.observe({ entryTypes: ['gc'] });
}

// The spin window (ms) is sized from how late the futex sleep itself returns on this machine: the
// last part of each wait is spent spinning, long enough to cover the latest oversleep of the last
// OVERSLEEP_HISTORY waits (the tail is a few late wake-ups per hundred frames, so a quantile below
// the maximum would miss exactly them), between d.spinMs and SPIN_BUDGET of the frame interval (at
// most SPIN_MAX_MS): the CPU it burns is at most SPIN_BUDGET of a core, and on a quiet machine,
// where the futex returns within ~0.2 ms, it stays near d.spinMs. A thread that sleeps through its
// deadline needs the scheduler to run it again, which on a busy 2-core VM takes up to
// milliseconds; a thread already spinning is running when the deadline comes. Measured at 15 and
// 60 fps on the shared 2-core VM (medians of 3 interleaved rounds): jitter p99 1.91 → 0.48 ms and
// 1.41 → 0.60 ms against a fixed 0.15 ms spin, for +0 and +2.7 points of a core.
const SPIN_BUDGET = 0.05;
const SPIN_MAX_MS = 1;
const SPIN_MARGIN_MS = 0.05;
const OVERSLEEP_HISTORY = 64;
const oversleeps = new Float64Array(OVERSLEEP_HISTORY);
let oversleepCount = 0;
let spinMs = d.spinMs;
let intervalMs = 0;
let lastDeadline = Number.NaN;

/** @param {number} ms how late the futex wait returned */
function recordOversleep(ms) {
  oversleeps[oversleepCount % OVERSLEEP_HISTORY] = ms;
  oversleepCount += 1;
  let q = 0;
  for (let i = 0; i < Math.min(oversleepCount, OVERSLEEP_HISTORY); i++) q = Math.max(q, /** @type {number} */ (oversleeps[i]));
  const cap = Math.max(d.spinMs, Math.min(SPIN_MAX_MS, SPIN_BUDGET * intervalMs));
  spinMs = Math.min(cap, Math.max(d.spinMs, q + SPIN_MARGIN_MS));
}

/** @type {Client[]} */
let clients = [];
let clientsGen = Atomics.load(ctrl, K.C_CLIENTS);
let sent = Atomics.load(ctrl, K.C_SENT);
let closed = false;
let bound = false;
const socket = createSocket({ type: d.family, reuseAddr: false });

socket.on('message', (msg, rinfo) => {
  // Copy into a transferable buffer: msg may be a view into a pool.
  const copy = new Uint8Array(msg.length);
  copy.set(msg);
  parent.postMessage({ type: 'datagram', data: copy, address: rinfo.address, port: rinfo.port, family: rinfo.family, size: rinfo.size }, [copy.buffer]);
});
socket.on('error', (error) => {
  if (bound) parent.postMessage({ type: 'send-error', message: error.message });
  else parent.postMessage({ type: 'bind-error', code: /** @type {NodeJS.ErrnoException} */ (error).code, message: error.message });
});

parent.on('message', (m) => {
  if (m.type === 'clients') {
    clients = m.clients;
    clientsGen = m.gen;
  }
});

/**
 * Publishes one slot as sent (and traces it when the bench asked).
 * @param {boolean} dropped @param {number} deadline @param {number} wokeAt @param {number} start
 * @param {number} end @param {number} published @param {number} pts @param {number} datagrams
 */
function finishSlot(dropped, deadline, wokeAt, start, end, published, pts, datagrams) {
  if (trace && traced < traceFrames) {
    const at = 1 + traced * TRACE_FIELDS;
    trace[at] = deadline;
    trace[at + 1] = wokeAt;
    trace[at + 2] = start;
    trace[at + 3] = end;
    trace[at + 4] = published;
    trace[at + 5] = pts;
    trace[at + 6] = datagrams;
    trace[at + 7] = dropped ? 1 : 0;
    traced += 1;
    trace[0] = traced;
  }
  sent = (sent + 1) | 0;
  Atomics.store(ctrl, K.C_SENT, sent);
  Atomics.notify(ctrl, K.C_SENT);
}

/**
 * Sends slot `index` (meta at `m`) to every client; returns the datagrams sent.
 * @param {number} index @param {number} m @returns {number}
 */
function sendSlot(index, m) {
  const buf = /** @type {Buffer} */ (slots[index]);
  const count = /** @type {number} */ (meta[m + K.M_COUNT]);
  const full = /** @type {number} */ (meta[m + K.M_FULL]);
  const last = /** @type {number} */ (meta[m + K.M_LAST]);
  const to = clients;
  let n = 0;
  for (let i = 0; i < count; i++) {
    if (i > 0 && i % d.burstDatagrams === 0) {
      // Let the receivers drain their socket buffers between bursts of a large frame (1 ms).
      Atomics.wait(ctrl, K.C_STOP, 0, 1);
    }
    const len = i === count - 1 ? last : full;
    const off = i * full;
    for (let c = 0; c < to.length; c++) {
      const client = /** @type {Client} */ (to[c]);
      socket.send(buf, off, len, client.port, client.address);
      n += 1;
    }
  }
  return n;
}

function step() {
  if (closed) return;
  if (Atomics.load(ctrl, K.C_STOP) === 1) return close();
  const written = Atomics.load(ctrl, K.C_WRITTEN);
  if (written === sent) {
    // Nothing to send: wait for a frame without blocking this thread's event loop (hellos keep flowing).
    const r = waitAsync(ctrl, K.C_WRITTEN, written);
    if (r.async) r.value.then(step);
    else setImmediate(step);
    return;
  }
  const index = (sent >>> 0) % L.slots;
  const m = index * K.META_FIELDS;
  const deadline = /** @type {number} */ (meta[m + K.M_DEADLINE]);
  const published = /** @type {number} */ (meta[m + K.M_PUBLISHED]);
  const pts = /** @type {number} */ (meta[m + K.M_PTS]);
  if (meta[m + K.M_GEN] !== Atomics.load(ctrl, K.C_GEN)) {
    finishSlot(true, deadline, Number.NaN, Number.NaN, Number.NaN, published, pts, 0);
    setImmediate(step);
    return;
  }
  const gap = deadline - lastDeadline;
  if (gap > 0 && gap < 1000) intervalMs = gap;
  const wake = Atomics.load(ctrl, K.C_WAKE);
  const before = now();
  const remaining = deadline - before;
  if (remaining > spinMs) {
    // The deadline wait: a futex sleep, no timer and no event loop between us and the deadline.
    const asked = remaining - spinMs;
    const r = Atomics.wait(ctrl, K.C_WAKE, wake, asked);
    if (r === 'timed-out') recordOversleep(now() - before - asked);
    if (r !== 'timed-out') {
      // Woken by the main thread (clients changed, flush, stop): handle it, then wait again.
      setImmediate(step);
      return;
    }
  }
  if (Atomics.load(ctrl, K.C_CLIENTS) !== clientsGen) {
    // A newer client list is on its way (posted before this frame was published): take it first.
    setImmediate(step);
    return;
  }
  lastDeadline = deadline;
  const wokeAt = now();
  // The last ≤ spinMs: spin through the futex's wake-up lateness (see SPIN_BUDGET).
  while (now() < deadline) {
    /* spin */
  }
  const start = now();
  const datagrams = sendSlot(index, m);
  // dgram.send() of an IP literal completes its (no-op) lookup on the next tick and calls sendmsg
  // there; this tick runs after them, so `end` is when the last datagram was handed to the kernel.
  process.nextTick(() => {
    finishSlot(false, deadline, wokeAt, start, now(), published, pts, datagrams);
    setImmediate(step);
  });
}

function close() {
  if (closed) return;
  closed = true;
  gcObserver?.disconnect();
  socket.close(() => parent.postMessage({ type: 'closed' }));
}

socket.bind(d.port, d.host, () => {
  bound = true;
  try {
    socket.setSendBufferSize(d.sendBufferBytes);
  } catch {
    // the kernel's cap (net.core.wmem_max) applies; the bursts above still protect large frames
  }
  const a = socket.address();
  parent.postMessage({ type: 'listening', address: a.address, port: a.port, family: a.family });
  step();
});
