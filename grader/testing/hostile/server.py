# A hostile tutorial-style submission for grader/hostile.test.ts: the tutorial's settings lines (the
# grader rewrites them), then whatever hostile.json beside it asks for:
#   flood     — after the hello, floods the grader's client with random datagrams of 1..65507 bytes
#   tcpsilent — streams valid frames on UDP, accepts the audio connection and never sends on it
#   endless   — prints one endless line (no newline ever) and serves nothing
#   fork      — forks a child that leaves the process group (setsid) and outlives the server, which
#               then streams; the child writes its pid to cfg["pidfile"] and sleeps
import base64, json, os, random, socket, sys, time

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
conn, _ = tcp.accept()  # and never send a byte on it
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
