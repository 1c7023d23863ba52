#!/usr/bin/env python3
"""Measures what hostile HTTP clients cost Vigie (issue 17, finding 2), on loopback only.

Usage: scripts/measure-http-limits.py [VIGIE_BINARY]  (default target/debug/vigie)
Starts the binary on a free port over a temp dir and prints one figure per line:
event streams that never read (accepted, file descriptors, RSS, /health during a syslog burst),
a 100 MB Content-Length, an endless chunked body, 500 bodies trickled one byte every 15 s.
"""
import json, os, socket, subprocess, sys, tempfile, threading, time, urllib.request

BIN = sys.argv[1] if len(sys.argv) > 1 else "target/debug/vigie"

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close(); return port

def rss_mb(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) // 1024

def fds(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))

def health(port, timeout=5):
    t = time.time()
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/health", timeout=timeout).read()
        return time.time() - t
    except Exception:
        return None

def connect(port, source="127.0.0.1"):
    s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.bind((source, 0)); s.connect(("127.0.0.1", port)); return s

def head_status(s, timeout=5):
    s.settimeout(timeout)
    data = b""
    try:
        while b"\r\n" not in data:
            chunk = s.recv(4096)
            if not chunk: break
            data += chunk
    except socket.timeout:
        return None
    return data.split(b" ")[1].decode() if data.startswith(b"HTTP/") else None

def start():
    d = tempfile.mkdtemp(); port, syslog = free_port(), free_port()
    p = subprocess.Popen([BIN, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", f"{d}/data",
                          "--syslog-udp", f"127.0.0.1:{syslog}", "--syslog-tcp", "off", "--trap-udp", "off", "--auth", "off"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        if health(port, 1) is not None: break
        time.sleep(0.1)
    return p, port, syslog

def quiet_streams(n):
    p, port, syslog = start()
    rss0 = rss_mb(p.pid)
    socks, codes = [], {}
    for i in range(n):
        s = connect(port, f"127.0.{1 + i // 250}.{1 + i % 250}")
        s.sendall(b"GET /api/v1/events HTTP/1.1\r\nHost: v\r\n\r\n")
        socks.append(s)
    for s in socks:
        code = head_status(s, 10); codes[code] = codes.get(code, 0) + 1
    fd_open = fds(p.pid)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    msg = b"<13>Nov 30 10:00:00 burst app: " + b"x" * 8000
    probes, slow, failed = 0, 0, 0
    t0 = time.time()
    for i in range(5000):
        u.sendto(msg, ("127.0.0.1", syslog))
        if i % 100 == 0:
            took = health(port, 5); probes += 1
            if took is None: failed += 1
            elif took > 0.2: slow += 1
            time.sleep(0.02)
    time.sleep(2)
    rss1 = rss_mb(p.pid)
    st = json.load(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v1/status")).get("http")
    print(f"{n} event streams that never read: answers {codes}, {fd_open} fds open, "
          f"RSS {rss0} -> {rss1} MB after a 40 MB syslog burst; /health: {probes} probes, "
          f"{slow} over 200 ms, {failed} failed; http status {st}")
    for s in socks: s.close()
    p.kill(); p.wait()

def big_content_length():
    p, port, _ = start()
    s = connect(port)
    t = time.time()
    s.sendall(b"POST /api/v1/devices HTTP/1.1\r\nHost: v\r\nContent-Type: application/json\r\nContent-Length: 104857600\r\n\r\n")
    code = head_status(s, 5)
    print(f"100 MB Content-Length, head only: answer {code} after {time.time() - t:.3f} s"
          + ("" if code else " (none within 5 s: the server waits for the body)"))
    p.kill(); p.wait()

def endless_chunked():
    p, port, _ = start()
    s = connect(port)
    s.sendall(b"POST /api/v1/devices HTTP/1.1\r\nHost: v\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"10000\r\n" + b"a" * 65536 + b"\r\n"
    sent, t = 0, time.time()
    try:
        while time.time() - t < 10:
            s.sendall(chunk); sent += 65536
        how = "still read after 10 s"
    except OSError as e:
        how = f"cut after {time.time() - t:.2f} s ({e.strerror})"
    print(f"endless chunked body: {sent // 1_000_000} MB sent, {how}")
    p.kill(); p.wait()

def trickled_bodies(n=500, wait=20):
    p, port, _ = start()
    socks = []
    for i in range(n):
        s = connect(port, f"127.0.{1 + i // 250}.{1 + i % 250}")
        s.sendall(b"POST /api/v1/devices HTTP/1.1\r\nHost: v\r\nContent-Type: application/json\r\nContent-Length: 60000\r\n\r\n{")
        socks.append(s)
    t = time.time()
    while time.time() - t < wait:
        time.sleep(min(15, wait - (time.time() - t)))
        for s in socks:
            try: s.send(b" ")
            except OSError: pass
    still_open = 0
    for s in socks:
        s.settimeout(0.05)
        try:
            while True:
                d = s.recv(65536)
                if not d: break
        except socket.timeout:
            still_open += 1
        except OSError:
            pass
    print(f"{n} bodies trickled one byte every 15 s: {still_open} connections still open after {wait} s, "
          f"health {health(port)}")
    for s in socks: s.close()
    p.kill(); p.wait()

if __name__ == "__main__":
    big_content_length()
    endless_chunked()
    quiet_streams(1000)
    quiet_streams(3000)
    trickled_bodies()
