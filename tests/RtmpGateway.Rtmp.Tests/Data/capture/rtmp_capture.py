#!/usr/bin/env python3
"""Throwaway RTMP capture server (test-data tool, not product code).

Listens on 127.0.0.1, runs ffmpeg against itself, does the RTMP simple handshake as a server,
records every byte the client sends after C2 and answers just enough for ffmpeg to go on
(connect -> _result, createStream -> _result(1), publish/play -> onStatus).
Writes <out>/ffmpeg-<mode>-chunks.bin and <out>/ffmpeg-<mode>-messages.txt (one line per message:
csid, type, message stream id, timestamp, length, extended-timestamp flag, body hex).
"""
import argparse
import os
import socket
import struct
import subprocess
import sys
import threading
import time

MAX_MESSAGES = 30
MAX_BYTES = 100_000
CAPTURE_SECONDS = 2.5


# ---- tiny AMF0 encoder for the replies --------------------------------------------------------
def amf_str_bare(s):
    b = s.encode("utf-8")
    return struct.pack(">H", len(b)) + b


def amf(v):
    if v is None:
        return b"\x05"
    if isinstance(v, bool):
        return b"\x01" + (b"\x01" if v else b"\x00")
    if isinstance(v, (int, float)):
        return b"\x00" + struct.pack(">d", float(v))
    if isinstance(v, str):
        return b"\x02" + amf_str_bare(v)
    if isinstance(v, dict):
        out = b"\x03"
        for k, x in v.items():
            out += amf_str_bare(k) + amf(x)
        return out + b"\x00\x00\x09"
    raise TypeError(v)


def chunk(csid, msg_type, stream_id, body, chunk_size=128):
    """fmt 0 header then fmt 3 continuations (csid < 64)."""
    out = bytes([csid]) + struct.pack(">I", 0)[1:] + struct.pack(">I", len(body))[1:]
    out += bytes([msg_type]) + struct.pack("<I", stream_id)
    for i in range(0, len(body), chunk_size):
        if i:
            out += bytes([0xC0 | csid])
        out += body[i:i + chunk_size]
    return out


# ---- tiny AMF0 reader, only to find the command name and transaction id -----------------------
def read_name_and_txn(body):
    if not body or body[0] != 0x02:
        return None, None
    n = struct.unpack(">H", body[1:3])[0]
    name = body[3:3 + n].decode("utf-8", "replace")
    p = 3 + n
    txn = struct.unpack(">d", body[p + 1:p + 9])[0] if len(body) >= p + 9 and body[p] == 0 else None
    return name, txn


# ---- RTMP chunk stream reader (client -> server) ----------------------------------------------
class ChunkReader:
    def __init__(self):
        self.buf = b""
        self.pos = 0
        self.chunk_size = 128
        self.prev = {}      # csid -> dict(ts, delta, length, type, sid, ext)
        self.partial = {}   # csid -> bytearray
        self.messages = []  # (csid, type, sid, ts, body, ext, end_offset)
        self.csids = set()
        self.fmts = set()

    def feed(self, data):
        self.buf += data
        while True:
            m = self._one_chunk()
            if m is None:
                return

    def _need(self, p, n):
        return p + n <= len(self.buf)

    def _one_chunk(self):
        b, p = self.buf, self.pos
        if not self._need(p, 1):
            return None
        fmt, csid = b[p] >> 6, b[p] & 0x3F
        p += 1
        if csid == 0:
            if not self._need(p, 1):
                return None
            csid = 64 + b[p]
            p += 1
        elif csid == 1:
            if not self._need(p, 2):
                return None
            csid = 64 + b[p] + 256 * b[p + 1]
            p += 2
        prev = dict(self.prev.get(csid, {}))
        hdr = {0: 11, 1: 7, 2: 3, 3: 0}[fmt]
        if not self._need(p, hdr):
            return None
        if fmt <= 2:
            t = int.from_bytes(b[p:p + 3], "big")
        if fmt <= 1:
            prev["length"] = int.from_bytes(b[p + 3:p + 6], "big")
            prev["type"] = b[p + 6]
        if fmt == 0:
            prev["sid"] = struct.unpack("<I", b[p + 7:p + 11])[0]
        p += hdr
        if fmt <= 2:
            prev["ext"] = t == 0xFFFFFF
        if prev.get("ext"):
            if not self._need(p, 4):
                return None
            t = struct.unpack(">I", b[p:p + 4])[0]
            p += 4
        if fmt == 0:
            prev["ts"] = t
        elif fmt in (1, 2):
            prev["delta"] = t
            prev["ts"] = prev.get("ts", 0) + t
        elif csid not in self.partial:
            prev["ts"] = prev.get("ts", 0) + prev.get("delta", 0)
        have = self.partial.get(csid, bytearray())
        n = min(self.chunk_size, prev["length"] - len(have))
        if not self._need(p, n):
            return None
        have += b[p:p + n]
        p += n
        self.pos = p
        self.prev[csid] = prev
        self.csids.add(csid)
        self.fmts.add(fmt)
        if len(have) == prev["length"]:
            self.partial.pop(csid, None)
            body = bytes(have)
            if prev["type"] == 1:
                self.chunk_size = struct.unpack(">I", body[:4])[0] & 0x7FFFFFFF
            self.messages.append((csid, prev["type"], prev["sid"], prev["ts"], body, prev.get("ext", False), p))
        else:
            self.partial[csid] = have
        return True


def serve(sock, mode, out_dir, done):
    conn, _ = sock.accept()
    conn.settimeout(0.5)

    def recv_exact(n):
        data = b""
        while len(data) < n:
            try:
                part = conn.recv(n - len(data))
            except socket.timeout:
                continue
            if not part:
                raise EOFError
            data += part
        return data

    c0c1 = recv_exact(1 + 1536)
    s1 = struct.pack(">I", 0) + b"\x00" * 4 + os.urandom(1528)
    conn.sendall(b"\x03" + s1 + c0c1[1:])
    recv_exact(1536)  # C2

    reader = ChunkReader()
    raw = b""
    answered = 0
    start = time.time()
    while time.time() - start < CAPTURE_SECONDS and len(reader.messages) < MAX_MESSAGES and len(raw) < MAX_BYTES:
        try:
            data = conn.recv(65536)
        except socket.timeout:
            continue
        if not data:
            break
        raw += data
        reader.feed(data)
        for csid, mtype, sid, ts, body, ext, end in reader.messages[answered:]:
            answered += 1
            if mtype != 20:
                continue
            name, txn = read_name_and_txn(body)
            if name == "connect":
                reply = amf("_result") + amf(txn) + amf({"fmsVer": "FMS/3,0,1,123", "capabilities": 31.0})
                reply += amf({"level": "status", "code": "NetConnection.Connect.Success",
                              "description": "Connection succeeded.", "objectEncoding": 0.0})
                conn.sendall(chunk(3, 20, 0, reply))
            elif name == "createStream":
                conn.sendall(chunk(3, 20, 0, amf("_result") + amf(txn) + amf(None) + amf(1.0)))
            elif name in ("publish", "play"):
                code = "NetStream.Publish.Start" if name == "publish" else "NetStream.Play.Start"
                reply = amf("onStatus") + amf(0.0) + amf(None)
                reply += amf({"level": "status", "code": code, "description": "test"})
                conn.sendall(chunk(5, 20, 1, reply))
    # cut the raw stream right after the chunk that completed the last kept message
    msgs = reader.messages[:MAX_MESSAGES]
    cut = msgs[-1][6] if msgs else 0
    with open(os.path.join(out_dir, f"ffmpeg-{mode}-chunks.bin"), "wb") as f:
        f.write(raw[:cut])
    with open(os.path.join(out_dir, f"ffmpeg-{mode}-messages.txt"), "w") as f:
        f.write(f"# chunk size at end: {reader.chunk_size}; csids: {sorted(reader.csids)}; fmts: {sorted(reader.fmts)}\n")
        for csid, mtype, sid, ts, body, ext, end in msgs:
            name, _ = read_name_and_txn(body) if mtype in (18, 20) else (None, None)
            shown = body.hex() if mtype in (1, 3, 4, 5, 6, 17, 18, 20) or len(body) <= 64 else body[:32].hex() + "..."
            f.write(f"csid={csid} type={mtype} sid={sid} ts={ts} len={len(body)} ext={ext} name={name} {shown}\n")
    conn.close()
    done.set()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["publish", "play"])
    ap.add_argument("--out", default=".")
    args = ap.parse_args()
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    sock.listen(1)
    port = sock.getsockname()[1]
    url = f"rtmp://127.0.0.1:{port}/live/test"
    if args.mode == "publish":
        cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i",
               "testsrc2=size=320x240:rate=30", "-f", "lavfi", "-i", "sine", "-t", "2",
               "-c:v", "libx264", "-c:a", "aac", "-f", "flv", url]
    else:
        cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", url, "-t", "1", "-f", "null", "-"]
    done = threading.Event()
    t = threading.Thread(target=serve, args=(sock, args.mode, args.out, done), daemon=True)
    t.start()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL)
    done.wait(15)
    time.sleep(0.5)
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            proc.kill()
    print(" ".join(cmd), file=sys.stderr)
    print("done" if done.is_set() else "timed out", file=sys.stderr)


if __name__ == "__main__":
    main()
