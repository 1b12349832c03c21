#!/usr/bin/env python3
"""Fan-out receiver for `npm run bench`: N clients of avsock's framed wire in one process, timed by
the KERNEL (SO_TIMESTAMPNS, socket(7)): each datagram carries the time the kernel queued it on the
socket, so this process's own scheduling (it shares two cores with the server and with its
siblings) does not show in the figures — only the server's sends and the kernel's delivery do. It
cannot be the bottleneck unless a socket buffer overflows, and that shows up as lost datagrams.

argv: host video_port audio_port clients seconds
Each client: TCP connect to the audio port, read the 48-byte Handshake (token at offset 8, after the
8-byte stream header), send Hello = "AV" 01 02 token (u32 big-endian) to the video port now and every
second, drain the audio connection, and record every video fragment's seq and every completed
frame's (kernel arrival, ptsUs) for `seconds` after its first frame.
Fragment header (big-endian): magic u16, version u8, type u8 (1), seq u32, frameId u32, ptsUs u64,
index u16, count u16, then the payload.
stdout: one JSON line, a list with one object per client.
"""
import json
import selectors
import socket
import struct
import sys
import time

SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
FRAG = struct.Struct(">HBBIIQHH")
TS = struct.Struct("=qq")
RCVBUF = 4 * 1024 * 1024


class Client:
    def __init__(self, host, video_port, audio_port):
        self.tcp = socket.create_connection((host, audio_port), timeout=10)
        head = b""
        while len(head) < 48:
            more = self.tcp.recv(48 - len(head))
            if not more:
                raise RuntimeError("the server closed the connection before its handshake")
            head += more
        if head[0:2] != b"AV" or head[3] != 0x11:
            raise RuntimeError("the first TCP message is not a framed Handshake")
        self.token = struct.unpack_from(">I", head, 8)[0]
        self.tcp.setblocking(False)
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, RCVBUF)
        self.udp.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self.udp.bind((host, 0))
        self.udp.setblocking(False)
        self.dest = (host, video_port)
        self.hello = b"AV\x01\x02" + struct.pack(">I", self.token)
        self.frames = []  # [arrival epoch ms, ptsUs]
        self.partial = {}  # frameId -> fragments seen
        self.expected_seq = None
        self.lost = 0
        self.datagrams = 0
        self.first_ms = None
        self.done = False
        self.incomplete = 0

    def send_hello(self):
        self.udp.sendto(self.hello, self.dest)

    def on_datagrams(self, seconds):
        while True:
            try:
                data, anc, _flags, _addr = self.udp.recvmsg(65536, socket.CMSG_SPACE(TS.size))
            except BlockingIOError:
                return
            if self.done or len(data) < FRAG.size:
                continue
            magic, _ver, typ, seq, frame_id, pts, index, count = FRAG.unpack_from(data)
            if magic != 0x4156 or typ != 1:
                continue
            at_ms = None
            for level, kind, payload in anc:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    sec, nsec = TS.unpack(payload[: TS.size])
                    at_ms = sec * 1000.0 + nsec / 1e6
            if at_ms is None:
                at_ms = time.time() * 1000.0
            self.datagrams += 1
            if self.expected_seq is not None:
                gap = (seq - self.expected_seq) & 0xFFFFFFFF
                if gap < 0x80000000:
                    self.lost += gap
            self.expected_seq = (seq + 1) & 0xFFFFFFFF
            seen = self.partial.get(frame_id, 0) + 1
            if seen >= count:
                self.partial.pop(frame_id, None)
                self.frames.append([at_ms, pts])
                if self.first_ms is None:
                    self.first_ms = at_ms
                elif at_ms - self.first_ms >= seconds * 1000.0:
                    self.done = True
            else:
                self.partial[frame_id] = seen
                if len(self.partial) > 8:  # a frame that never completed
                    self.partial.pop(min(self.partial))
                    self.incomplete += 1

    def on_audio(self):
        try:
            while self.tcp.recv(65536):
                pass
        except BlockingIOError:
            pass

    def close(self):
        self.udp.close()
        self.tcp.close()


def main():
    host, video_port, audio_port, count, seconds = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
    clients = [Client(host, video_port, audio_port) for _ in range(count)]
    sel = selectors.DefaultSelector()
    for c in clients:
        sel.register(c.udp, selectors.EVENT_READ, (c, "udp"))
        sel.register(c.tcp, selectors.EVENT_READ, (c, "tcp"))
        c.send_hello()
    next_hello = time.monotonic() + 1.0
    # Bounded: the recording plus start-up, never longer.
    give_up = time.monotonic() + seconds + 30.0
    while not all(c.done for c in clients) and time.monotonic() < give_up:
        for key, _ in sel.select(timeout=0.2):
            c, kind = key.data
            if kind == "udp":
                c.on_datagrams(seconds)
            else:
                c.on_audio()
        if time.monotonic() >= next_hello:
            for c in clients:
                c.send_hello()
            next_hello += 1.0
    out = [{"frames": c.frames, "lost": c.lost, "incomplete": c.incomplete, "datagrams": c.datagrams, "done": c.done} for c in clients]
    for c in clients:
        c.close()
    sys.stdout.write(json.dumps(out) + "\n")


if __name__ == "__main__":
    main()
