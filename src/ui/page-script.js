// @ts-check
/**
 * The window page's script (served as /page.js; type-checked by tsc through JSDoc, no build step).
 *
 * Wire (both /stream and /audio): u8 type, u32be payload length, payload — see window-server.ts.
 * The page decodes JPEGs with createImageBitmap (off the main thread in Chromium) and keeps only
 * the newest undecoded frame, so a slow page skips frames instead of falling behind. The FPS
 * figure is drawn on the picture like the tutorial's
 * cv2.putText(frame, 'FPS: ' + str(fps), (10, 40), FONT_HERSHEY_SIMPLEX, 0.7, (0, 0, 255), 2).
 * window.__avsock exposes counters for tests and the grader.
 * Its settings come from the page's <body data-audio data-picture-width>.
 */

/** Message types (u8), as window-server.ts sends them. */
const MSG_FRAME = 1;
const MSG_STATS = 2;
const MSG_AUDIO = 3;
const MSG_TITLE = 4;

/**
 * @template {HTMLElement} T
 * @param {string} id
 * @param {new () => T} type
 * @returns {T}
 */
function element(id, type) {
  const el = document.getElementById(id);
  if (!(el instanceof type)) throw new Error(`page: #${id} is missing`);
  return el;
}

const CFG = {
  audio: document.body.dataset.audio === 'true',
  pictureWidth: Number(document.body.dataset.pictureWidth) || 400,
};

/** Counters the tests and the grader read (window.__avsock). */
const A = {
  title: document.title,
  framesShown: 0,
  framesSkipped: 0,
  decodeErrors: 0,
  fps: 0,
  fpsText: '',
  lastFrameAt: 0,
  width: 0,
  height: 0,
  connected: false,
  /** @type {Record<string, unknown>} */ stats: {},
  quitSent: false,
  audioState: CFG.audio ? 'starting' : 'off',
  audioConnected: false,
  audioSecondsScheduled: 0,
  audioChunks: 0,
  audioDropped: 0,
  audioUnderruns: 0,
  audioQueuedMaxS: 0,
};
/** @type {Window & { __avsock?: typeof A }} */ (window).__avsock = A;

const canvas = element('pic', HTMLCanvasElement);
const context = canvas.getContext('2d');
if (!context) throw new Error('page: no 2D canvas');
const g = context;
const statusEl = element('status', HTMLElement);
const statsEl = element('stats', HTMLElement);
const titleEl = element('title', HTMLElement);
g.fillStyle = '#222';
g.fillRect(0, 0, canvas.width, canvas.height);
g.fillStyle = '#888';
g.font = '14px sans-serif';
g.fillText('waiting for video…', 12, 24);

/** @param {number} ms */
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Queued chunks of a byte stream, from which whole messages are taken off the front. */
class ByteQueue {
  /** @type {Uint8Array[]} */
  chunks = [];
  have = 0;
  /** @param {Uint8Array} chunk */
  push(chunk) {
    this.chunks.push(chunk);
    this.have += chunk.length;
  }
  /** n bytes off the front (n ≤ have). @param {number} n @returns {Uint8Array} */
  take(n) {
    const first = /** @type {Uint8Array} */ (this.chunks[0]);
    this.have -= n;
    if (first.length >= n) {
      if (first.length === n) this.chunks.shift();
      else this.chunks[0] = first.subarray(n);
      return first.subarray(0, n);
    }
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      const c = /** @type {Uint8Array} */ (this.chunks[0]);
      const k = Math.min(c.length, n - off);
      out.set(c.subarray(0, k), off);
      off += k;
      if (k === c.length) this.chunks.shift();
      else this.chunks[0] = c.subarray(k);
    }
    return out;
  }
}

/**
 * Reads one length-prefixed message stream; reconnects after a second while the page lives.
 * @param {string} path
 * @param {(type: number, payload: Uint8Array) => void} onMessage
 * @param {(up: boolean) => void} onState
 */
async function readStream(path, onMessage, onState) {
  for (;;) {
    if (A.quitSent) return;
    try {
      const res = await fetch(path, { cache: 'no-store' });
      if (!res.ok || !res.body) throw new Error('HTTP ' + res.status);
      onState(true);
      const reader = res.body.getReader();
      const queue = new ByteQueue();
      let need = -1,
        type = 0;
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        queue.push(value);
        for (;;) {
          if (need < 0) {
            if (queue.have < 5) break;
            const h = queue.take(5);
            type = /** @type {number} */ (h[0]);
            need = new DataView(h.buffer, h.byteOffset + 1, 4).getUint32(0);
          }
          if (queue.have < need) break;
          const payload = queue.take(need);
          need = -1;
          onMessage(type, payload);
        }
      }
    } catch {
      /* server gone or not yet up: retry below */
    }
    onState(false);
    await sleep(1000);
  }
}

// ---- picture -------------------------------------------------------------------------------
/** @type {{ fps: number; jpeg: Uint8Array } | null} */
let pending = null;
let decoding = false;
/** @param {number} fps */
function fpsLabel(fps) {
  return 'FPS: ' + (Math.round(fps * 10) / 10).toFixed(1);
}
/** @param {ImageBitmap} bmp @param {number} fps */
function draw(bmp, fps) {
  if (canvas.width !== bmp.width || canvas.height !== bmp.height) {
    canvas.width = bmp.width;
    canvas.height = bmp.height;
  }
  g.drawImage(bmp, 0, 0);
  const s = bmp.width / CFG.pictureWidth;
  const text = fpsLabel(fps);
  g.font = 'bold ' + Math.round(19 * s) + 'px sans-serif';
  g.fillStyle = 'rgb(255,0,0)';
  g.fillText(text, 10 * s, 40 * s); // cv2.putText origin (10, 40) is the text's bottom-left
  A.framesShown++;
  A.fps = fps;
  A.fpsText = text;
  A.lastFrameAt = Date.now();
  A.width = bmp.width;
  A.height = bmp.height;
}
async function decodeLoop() {
  decoding = true;
  while (pending) {
    const f = pending;
    pending = null;
    try {
      const bmp = await createImageBitmap(new Blob([/** @type {Uint8Array<ArrayBuffer>} */ (f.jpeg)], { type: 'image/jpeg' }));
      draw(bmp, f.fps);
      bmp.close();
    } catch {
      A.decodeErrors++;
    }
  }
  decoding = false;
}
/** @param {string} text @returns {Record<string, unknown>} */
function parseTable(text) {
  /** @type {unknown} */
  const table = JSON.parse(text);
  return typeof table === 'object' && table !== null ? /** @type {Record<string, unknown>} */ (table) : {};
}
/** @param {Record<string, unknown>} stats */
function renderStats(stats) {
  A.stats = stats;
  const frag = document.createDocumentFragment();
  for (const [k, v] of Object.entries(stats)) {
    const ke = document.createElement('span');
    ke.className = 'k';
    ke.textContent = k;
    const ve = document.createElement('span');
    ve.className = 'v';
    ve.textContent = String(v);
    frag.append(ke, ve);
  }
  statsEl.replaceChildren(frag);
}
const utf8 = new TextDecoder();
void readStream(
  '/stream',
  (type, p) => {
    if (type === MSG_FRAME) {
      const fps = new DataView(p.buffer, p.byteOffset, 8).getFloat64(0);
      if (pending) A.framesSkipped++;
      pending = { fps, jpeg: p.subarray(8) };
      if (!decoding) void decodeLoop();
    } else if (type === MSG_STATS) {
      try {
        renderStats(parseTable(utf8.decode(p)));
      } catch {
        /* ignore a bad table */
      }
    } else if (type === MSG_TITLE) {
      A.title = document.title = titleEl.textContent = utf8.decode(p);
    }
  },
  (up) => {
    A.connected = up;
    statusEl.textContent = A.quitSent ? 'quitting…' : up ? 'press q to quit' : 'disconnected — retrying…';
  },
);

// ---- sound (browser sink) ------------------------------------------------------------------
/** @type {AudioContext | null} */
let ctx = null;
let audioOpen = false,
  nextTime = 0;
/** @param {Uint8Array} p u32be sampleRate, u8 channels, 3 bytes zero, s16le interleaved PCM */
function onAudio(p) {
  if (!ctx || p.length < 8) return;
  const dv = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const rate = dv.getUint32(0),
    ch = dv.getUint8(4);
  const frames = Math.floor((p.length - 8) / (2 * ch));
  if (!frames || !ch) return;
  const now = ctx.currentTime;
  // More than 0.25 s queued means earlier stalls piled up latency: drop to stay near the player's clock.
  if (nextTime - now > 0.25) {
    A.audioDropped++;
    return;
  }
  if (nextTime < now + 0.01) {
    // starved (or first chunk): restart with a small lead
    if (nextTime > 0) A.audioUnderruns++;
    nextTime = now + 0.05;
  }
  const buf = ctx.createBuffer(ch, frames, rate); // resampled to the device rate by Web Audio
  for (let c = 0; c < ch; c++) {
    const out = buf.getChannelData(c);
    for (let i = 0, o = 8 + 2 * c; i < frames; i++, o += 2 * ch) out[i] = dv.getInt16(o, true) / 32768;
  }
  const src = ctx.createBufferSource();
  src.buffer = buf;
  src.connect(ctx.destination);
  src.start(nextTime);
  nextTime += frames / rate; // back-to-back: no gaps, no overlaps
  A.audioSecondsScheduled += frames / rate;
  A.audioChunks++;
  A.audioQueuedMaxS = Math.max(A.audioQueuedMaxS, nextTime - now); // the latency the drop rule bounds
}
function openAudio() {
  if (audioOpen) return;
  audioOpen = true;
  void readStream(
    '/audio',
    (type, p) => {
      if (type === MSG_AUDIO) onAudio(p);
    },
    (up) => {
      A.audioConnected = up;
    },
  );
}
function startAudio() {
  if (!CFG.audio) return;
  try {
    if (!ctx) {
      const audio = new AudioContext({ latencyHint: 'interactive' });
      audio.onstatechange = () => {
        A.audioState = audio.state;
        if (audio.state === 'running') openAudio();
      };
      ctx = audio;
    }
    A.audioState = ctx.state;
    if (ctx.state === 'running') openAudio();
    else ctx.resume().catch(() => {}); // needs --autoplay-policy=no-user-gesture-required, or a key/click
  } catch (e) {
    A.audioState = 'unavailable: ' + (e instanceof Error ? e.message : String(e));
  }
}
startAudio();
addEventListener('pointerdown', startAudio);

// ---- q quits, as in the tutorial (cv2.waitKey … ord('q')) -------------------------------------
addEventListener('keydown', (e) => {
  startAudio();
  if ((e.key === 'q' || e.key === 'Q') && !A.quitSent) {
    A.quitSent = true;
    statusEl.textContent = 'quitting…';
    fetch('/quit', { method: 'POST' }).catch(() => {});
  }
});
