# An independent real-time client for the tutorial wire, written apart from the grader's probe
# (another language, another JPEG decoder, its own arithmetic) so the two can check each other.
#
# It behaves like the tutorial's client.py: b'Hello' on UDP, then a TCP connection whose sound is
# played by a "sound card" that consumes 44100 stereo frames per second and whose write() blocks
# while its buffer is full (PyAudio's blocking stream.write), in a thread of its own. Video
# datagrams are stamped in the main thread as they arrive (time.perf_counter, CLOCK_MONOTONIC).
# After SECONDS it stops and reports, as one JSON line:
#   arrivalsMs            every frame's arrival, ms
#   fps, fpsErrorPct      over the steady window (from WARMUP s after the first frame)
#   jitterP99Ms, jitterP50Ms  percentiles of |D|, D = arrival gap - k x clip-time gap (frame numbers
#                         from the clip's strip when readable, else one frame per 1/FPS; k the
#                         sender's own pace, the least-squares slope of arrival over clip time)
#   freezes               W3C: a gap >= max(3 x mean, mean + 150 ms)
#   framesMissing         clip frames never received between the first and last one received
#   avOffsetMs, avPairs   median (flash shown - beep played), flash k paired with beep k
#   audioRate, heldBackPct, underrunMs   what the sound card saw
# cv2/numpy (python3-opencv) are needed only for the markers; without them those figures are null
# with a reason.
#
# usage: plain_client.py HOST PORT SECONDS WARMUP FPS [BUFFER_MS]   (audio on PORT - 1)
import io, json, pickle, select, socket, struct, sys, threading, time

host, port, seconds, warmup, fps_src = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
buffer_s = (float(sys.argv[6]) if len(sys.argv) > 6 else 100.0) / 1000.0
BYTES_PER_S = 44100 * 2 * 2
now_ms = lambda: time.perf_counter() * 1000.0

# The audio thread must not hold the GIL long enough to delay a video timestamp.
sys.setswitchinterval(0.0005)


class OnlyBytes(pickle.Unpickler):
    """pickle.loads for pickle.dumps(bytes) only: anything that imports a name is refused."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f'refusing {module}.{name}')


class SoundCard:
    """Plays at 44.1 kHz from its own clock; write() returns once the data fits in the buffer."""

    def __init__(self, buffer_s):
        self.buffer_s = buffer_s
        self.end = None  # perf_counter s when everything written so far has been played
        self.held_s = 0.0
        self.underrun_s = 0.0

    def write(self, nbytes):
        t = time.perf_counter()
        if self.end is not None and t > self.end:
            self.underrun_s += t - self.end
        start = t if self.end is None or t > self.end else self.end
        self.end = start + nbytes / BYTES_PER_S
        wait = self.end - self.buffer_s - time.perf_counter()
        if wait > 0:
            self.held_s += wait
            time.sleep(wait)
        return start * 1000.0


audio = []  # (arrival ms, play ms, pcm)
audio_error = []
stop = threading.Event()


def audio_thread(sock):
    card = SoundCard(buffer_s)
    data = b''
    try:
        while not stop.is_set():
            while len(data) < 8:
                packet = sock.recv(4096)
                if not packet:
                    return
                data += packet
            size = struct.unpack('Q', data[:8])[0]
            if size > (1 << 22):
                raise ValueError(f'audio message of {size} bytes')
            data = data[8:]
            while len(data) < size:
                packet = sock.recv(4096)
                if not packet:
                    return
                data += packet
            arrived = now_ms()
            pcm = OnlyBytes(io.BytesIO(data[:size])).load()
            data = data[size:]
            if not isinstance(pcm, bytes):
                raise ValueError('audio message is not bytes')
            played = card.write(len(pcm)) if pcm else arrived
            if pcm:
                audio.append((arrived, played, pcm))
    except Exception as e:  # report, never crash the measurement
        audio_error.append(repr(e))
    finally:
        card_state.update(held_s=card.held_s, underrun_s=card.underrun_s)


card_state = {}
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
udp.bind(('0.0.0.0', 0))
udp.setblocking(False)
udp.sendto(b'Hello', (host, port))
deadline = time.perf_counter() + 30
while True:  # the server may still be starting (bounded: 30 s)
    try:
        tcp = socket.create_connection((host, port - 1), timeout=2)
        break
    except OSError:
        if time.perf_counter() > deadline:
            raise
        time.sleep(0.15)
# The server is up now: a Hello sent while it was starting may be lost, and client.py's Hello and
# connect come back to back (server.py starts its sound on accept and its picture on Hello).
udp.sendto(b'Hello', (host, port))
tcp.settimeout(None)
worker = threading.Thread(target=audio_thread, args=(tcp,), daemon=True)
worker.start()

frames = []  # (arrival ms, jpeg bytes)
end = None
last_hello = time.perf_counter()
while True:
    ready, _, _ = select.select([udp], [], [], 1.0)
    t = now_ms()
    if not ready:
        if not frames and time.perf_counter() - last_hello > 1:
            udp.sendto(b'Hello', (host, port))
            last_hello = time.perf_counter()
            continue
        if frames:
            break  # 1 s without video: the stream is over
        continue
    packet, _ = udp.recvfrom(65536)
    frames.append((t, packet))
    if end is None:
        end = t + seconds * 1000
    if t >= end:
        break
stop.set()
stopped_ms = now_ms()
try:
    tcp.shutdown(socket.SHUT_RDWR)
except OSError:
    pass
tcp.close()
worker.join(2)

# ---- analysis (after the run: nothing here can delay a timestamp) ----
out = {'arrivalsMs': [f[0] for f in frames], 'reasons': {}}


def pct(xs, p):
    xs = sorted(xs)
    if not xs:
        return None
    r = p / 100 * (len(xs) - 1)
    lo = int(r)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (r - lo)


try:
    import base64
    import cv2
    import numpy as np
except ImportError as e:
    cv2 = None
    out['reasons']['markers'] = f'no cv2/numpy ({e}): apt-get install python3-opencv'

CELLS, BITS, FIRST_BIT, PARITY, WHITE, BLACK = 16, 12, 2, 14, (0, 15), 1


def frame_info(packet):
    """(mean luma, frame number or None) from a base64 JPEG datagram, by OpenCV."""
    img = cv2.imdecode(np.frombuffer(base64.b64decode(packet, ' /'), dtype=np.uint8), cv2.IMREAD_GRAYSCALE)
    if img is None:
        return None, None
    luma = float(img.mean())
    small = cv2.resize(img, (CELLS * 10, 96), interpolation=cv2.INTER_AREA).astype(float)
    band = small[96 - 8 + 2:96 - 2, :]
    level = [band[:, c * 10 + 3:c * 10 + 7].mean() for c in range(CELLS)]
    white, black = min(level[c] for c in WHITE), level[BLACK]
    if white - black < 80:
        return luma, None
    th = (white + black) / 2
    bits = [1 if level[FIRST_BIT + b] > th else 0 for b in range(BITS)]
    if (1 if level[PARITY] > th else 0) != sum(bits) % 2:
        return luma, None
    return luma, sum(b << i for i, b in enumerate(bits))


numbers = [None] * len(frames)
lumas = [None] * len(frames)
if cv2 is not None:
    for i, (_, packet) in enumerate(frames):
        try:
            lumas[i], numbers[i] = frame_info(packet)
        except Exception:
            pass

# Video over the steady window.
t_all = [f[0] for f in frames]
if t_all:
    start = t_all[0] + warmup * 1000
    idx = [i for i, t in enumerate(t_all) if t >= start]
    ts = [t_all[i] for i in idx]
    numbered = all(numbers[i] is not None for i in idx) and all(numbers[idx[k]] >= numbers[idx[k - 1]] for k in range(1, len(idx)))
    clip = [numbers[i] * 1000 / fps_src for i in idx] if numbered else [k * 1000 / fps_src for k in range(len(idx))]
    if len(ts) >= 3 and ts[-1] > ts[0]:
        fps = (len(ts) - 1) * 1000 / (ts[-1] - ts[0])
        # Around the sender's own pace (least-squares slope of arrival over clip time), so a steady
        # sender at the wrong rate shows its error in fps, not here.
        mc, mt = sum(clip) / len(clip), sum(ts) / len(ts)
        var = sum((c - mc) ** 2 for c in clip)
        pace = sum((c - mc) * (t - mt) for c, t in zip(clip, ts)) / var if var > 0 else 1.0
        pace = pace if pace > 0 else 1.0
        d = [abs((ts[k] - ts[k - 1]) - pace * (clip[k] - clip[k - 1])) for k in range(1, len(ts))]
        gaps = [ts[k] - ts[k - 1] for k in range(1, len(ts))]
        freezes = 0
        for k, g in enumerate(gaps):
            if k > 0:
                mean = sum(gaps[:k]) / k
                if g >= max(3 * mean, mean + 150):
                    freezes += 1
        out.update(fps=fps, fpsErrorPct=(fps - fps_src) / fps_src * 100, jitterP50Ms=pct(d, 50), jitterP99Ms=pct(d, 99),
                   freezes=freezes, clipTimeFrom='frame numbers' if numbered else 'arrival order')
    known = [n for n in numbers if n is not None]
    if known and len(known) >= 0.9 * len(numbers):
        out['framesMissing'] = max(known) - min(known) + 1 - len(set(known))

# Audio: what the card saw, over the same steady window.
if audio and t_all:
    w0, w1 = t_all[0] + warmup * 1000, stopped_ms
    got = sum(len(p) for a, _, p in audio if w0 <= a <= w1) / BYTES_PER_S
    out.update(audioRate=got / ((w1 - w0) / 1000), heldBackPct=card_state.get('held_s', 0) * 1000 / (stopped_ms - audio[0][0]) * 100,
               underrunMs=card_state.get('underrun_s', 0) * 1000, audioSeconds=sum(len(p) for _, _, p in audio) / BYTES_PER_S)
if audio_error:
    out['audioError'] = audio_error[0]

# A/V: flash k (its frame number says k) against beep k (its frequency says k mod 20).
if cv2 is not None and audio and frames:
    known_l = [l for l in lumas if l is not None]
    flashes = []
    if known_l and max(known_l) - float(np.median(known_l)) >= 60:
        th = float(np.median(known_l)) + (max(known_l) - float(np.median(known_l))) / 2
        for i, l in enumerate(lumas):
            if l is not None and l > th and not (i > 0 and lumas[i - 1] is not None and lumas[i - 1] > th) and numbers[i] is not None:
                flashes.append((frames[i][0], int(numbers[i] / fps_src + 1e-6)))
    pcm = np.frombuffer(b''.join(p for _, _, p in audio), dtype='<i2').reshape(-1, 2).mean(axis=1)
    starts = np.cumsum([0] + [len(p) // 4 for _, _, p in audio])
    plays = [pl for _, pl, _ in audio]
    loud = np.abs(pcm) > max(0.05 * 32768, 0.3 * np.abs(pcm).max()) if len(pcm) else np.array([], dtype=bool)
    beeps = []
    quiet = int(0.3 * 44100)  # a beep starts after >= 0.3 s below the threshold
    prev = 0  # a recording that starts inside a beep has no onset there
    for s in np.flatnonzero(loud):
        if s - prev >= quiet:
            seg = pcm[s + 220:s + 220 + 2646]  # 60 ms from 5 ms after the onset
            if len(seg) == 2646:
                spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg)), 1 << 15))
                freqs = np.fft.rfftfreq(1 << 15, 1 / 44100)
                cand = [spec[np.argmin(np.abs(freqs - (500 + 100 * k)))] for k in range(20)]
                k = int(np.argmax(cand))
                if sorted(cand)[-2] * 2 <= cand[k]:
                    c = int(np.searchsorted(starts, s, side='right') - 1)
                    beeps.append((plays[c] + (s - starts[c]) * 1000 / 44100, k))
        prev = s
    offsets = []
    for t_f, k in flashes:
        same = [t_b for t_b, kb in beeps if kb == k % 20]
        if same:
            t_b = min(same, key=lambda x: abs(t_f - x))
            offsets.append(t_f - t_b)
    out.update(flashes=len(flashes), beeps=len(beeps), avPairs=len(offsets))
    if offsets:
        out['avOffsetMs'] = float(np.median(offsets))
    else:
        out['reasons']['avOffsetMs'] = f'no flash/beep pair of the same second ({len(flashes)} flashes, {len(beeps)} beeps)'

# perf_counter is CLOCK_MONOTONIC on Linux, like Node's process.hrtime(): a caller can map the
# arrivals onto its own timeline.
print(json.dumps(out))
