# A small tutorial-format server for the grader's tests: the wire of the tutorial's server.py
# (UDP: one base64 JPEG per datagram after a b'Hello'; TCP port-1: u64le length + pickle.dumps(pcm)),
# with no cv2/pyaudio, so it runs on any python3. Behaviour comes from fake.json beside it
# (the grader passes no extra environment): {"fps": 30, "rate": 1.0, "mode": "ok"|"silent"|"crash"|"garbage"|"spam", "pacedAudio": true}.
import base64, json, os, pickle, socket, struct, sys, threading, time

host_ip = '192.168.1.21'
port = 9688
filename = 'count.mp4'

here = os.path.dirname(os.path.abspath(__file__))
cfg = json.load(open(os.path.join(here, 'fake.json')))
mode = cfg.get('mode', 'ok')
if mode == 'crash':
    print('fake server: crashing on purpose', file=sys.stderr)
    sys.exit(3)
jpeg = open(os.path.join(here, 'frame.jpg'), 'rb').read()
fps = float(cfg.get('fps', 30)) * float(cfg.get('rate', 1.0))

udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.bind((host_ip, port))
tcp = socket.socket()
tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
tcp.bind((host_ip, port - 1))
tcp.listen(5)
print('Listening at:', (host_ip, port), flush=True)

def video():
    msg, addr = udp.recvfrom(65536)
    if mode == 'silent':
        return
    t0 = time.perf_counter()
    n = 0
    while True:
        due = t0 + n / fps
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        data = os.urandom(900) if mode == 'garbage' else base64.b64encode(jpeg)
        udp.sendto(data, addr)
        n += 1

def audio():
    conn, _ = tcp.accept()
    if mode == 'silent':
        time.sleep(3600)
    chunk = bytes(4096)
    t0 = time.perf_counter()
    k = 0
    while True:
        if cfg.get('pacedAudio', True):
            delay = t0 + k * 1024 / 44100 - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
        a = pickle.dumps(chunk)
        conn.sendall(struct.pack('Q', len(a)) + a)
        k += 1
        if k > 44100 * 30 / 1024:
            time.sleep(3600)

def spam():
    while True:
        print('x' * 200, flush=True)

if mode == 'spam':
    threading.Thread(target=spam, daemon=True).start()
threading.Thread(target=audio, daemon=True).start()
video()
time.sleep(3600)
