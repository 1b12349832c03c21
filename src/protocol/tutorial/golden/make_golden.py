#!/usr/bin/env python3
"""Golden bytes for src/protocol/tutorial: what real CPython emits for the tutorial wire.

Run from this folder:  python3 make_golden.py   (writes golden.json and evil-os-system.pickle)

For each payload size n (chosen where pickle's layout changes: SHORT_BINBYTES < 256 B,
BINBYTES ≥ 256 B, FRAME omitted when the bytes reach 64 KiB (_FRAME_SIZE_TARGET), plus 4096 B =
one 1024-frame stereo s16 chunk) the payload is payload(n) below, deterministic, so only the
bytes around it are stored: prefix + payload + suffix == the tutorial server's audio message
  struct.pack("Q", len(a)) + a   with   a = pickle.dumps(payload, protocol=4)
and sha256 covers the whole message so the test proves the reconstruction.
"""
import base64, hashlib, json, os, pickle, struct, sys

SIZES = [0, 1, 3, 4, 255, 256, 4096, 65535, 65536, 70000]


def payload(n: int) -> bytes:
    return bytes((i * 31 + 7) & 0xFF for i in range(n))


class Evil:
    # What a hostile "server" can send the tutorial's client.py: pickle.loads runs os.system.
    def __reduce__(self):
        return (os.system, ('echo pwned',))


def main() -> None:
    here = os.path.dirname(os.path.abspath(__file__))
    entries = []
    for n in SIZES:
        data = payload(n)
        a = pickle.dumps(data, protocol=4)
        assert a == pickle.dumps(data) or sys.version_info >= (3, 14)  # 3.8–3.13 default is 4
        message = struct.pack("Q", len(a)) + a  # native "Q": 8 bytes little-endian on x86/arm64
        at = message.index(data) if n else len(message) - 2  # payload sits before MEMOIZE STOP
        entries.append({
            "n": n,
            "pickleLength": len(a),
            "prefixHex": message[:at].hex(),
            "suffixHex": message[at + n:].hex(),
            "sha256": hashlib.sha256(message).hexdigest(),
        })
    jpeg_like = bytes([0xFF, 0xD8, 0xFF, 0xE0]) + payload(40) + bytes([0xFF, 0xD9])
    out = {
        "python": sys.version.split()[0],
        "payload": "bytes((i * 31 + 7) & 0xFF for i in range(n))",
        "audioMessages": entries,
        # server.py: base64.b64encode(buffer); client.py: base64.b64decode(packet, ' /')
        "videoDatagram": {"jpegHex": jpeg_like.hex(), "datagram": base64.b64encode(jpeg_like).decode("ascii")},
    }
    with open(os.path.join(here, "golden.json"), "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    with open(os.path.join(here, "evil-os-system.pickle"), "wb") as f:
        f.write(pickle.dumps(Evil(), protocol=4))


if __name__ == "__main__":
    main()
