# An independent plain tutorial-wire client (like the tutorial's client.py, minus cv2/pyaudio):
# registers with b'Hello', drains the audio socket, records frame arrival times with
# time.perf_counter() for SECONDS after the first frame, and prints the arrival times
# (the test computes its figures independently of the grader's analysis).
import json, select, socket, sys, time

host, port, seconds, warmup, fps_src = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
udp.bind(('127.0.0.1', 0))
udp.settimeout(1.0)
tcp = socket.create_connection((host, port - 1), timeout=10)

# One thread and select(): a second Python thread would hold the GIL for up to 5 ms
# (sys.getswitchinterval) and show up as jitter that the server did not cause.
tcp.setblocking(False)
udp.setblocking(False)
udp.sendto(b'Hello', (host, port))
arrivals = []
end = None
last_hello = time.perf_counter()
while True:
    ready, _, _ = select.select([udp, tcp], [], [], 1.0)
    if tcp in ready:
        try:
            if not tcp.recv(1 << 20):
                break
        except BlockingIOError:
            pass
    if udp not in ready:
        if not arrivals and time.perf_counter() - last_hello > 1:
            udp.sendto(b'Hello', (host, port))
            last_hello = time.perf_counter()
        if not ready and arrivals:
            break
        continue
    now = time.perf_counter() * 1000
    udp.recvfrom(65536)
    arrivals.append(now)
    if end is None:
        end = now + seconds * 1000
    if now >= end:
        break

# time.perf_counter() is CLOCK_MONOTONIC on Linux, like Node's process.hrtime(): the test maps the
# two onto one timeline and compares both receivers over the same span.
print(json.dumps({'arrivalsMs': arrivals}))
