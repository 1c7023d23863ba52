#!/usr/bin/env python3
"""Figures of the log path's bounds (README, Reliability): runs a vigie binary through hostile
scenarios on loopback and prints what it measured. Not part of the test suite (it takes minutes
and writes a 1.1 GB day file under /tmp).

Usage: scripts/measure-log-bounds.py target/release/vigie names udp_flood tcp_lockout log_scan"""
import json, os, socket, subprocess, sys, tempfile, threading, time, urllib.request, urllib.error

BIN = sys.argv[1]


def free_port(kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


class Vigie:
    def __init__(self, data, extra=()):
        self.http = free_port()
        self.syslog = free_port()
        self.trap = free_port(socket.SOCK_DGRAM)
        self.log = open(data + ".log", "w")
        self.logpath = data + ".log"
        self.p = subprocess.Popen(
            [BIN, "serve", "--listen", f"127.0.0.1:{self.http}", "--data-dir", data,
             "--syslog-udp", f"127.0.0.1:{self.syslog}", "--syslog-tcp", f"127.0.0.1:{self.syslog}",
             "--trap-udp", f"127.0.0.1:{self.trap}", "--auth", "off", *extra],
            stdout=self.log, stderr=self.log, stdin=subprocess.DEVNULL, env={**os.environ, "RUST_LOG": "info"})
        for _ in range(200):
            try:
                self.get("/api/v1/health")
                return
            except Exception:
                time.sleep(0.05)
        raise RuntimeError("vigie did not start")

    def get(self, path, timeout=10):
        with urllib.request.urlopen(f"http://127.0.0.1:{self.http}{path}", timeout=timeout) as r:
            return json.loads(r.read())

    def post(self, path, body):
        req = urllib.request.Request(f"http://127.0.0.1:{self.http}{path}", data=json.dumps(body).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, json.loads(r.read())
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read())

    def rss_mb(self):
        for line in open(f"/proc/{self.p.pid}/status"):
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024

    def hwm_mb(self):
        for line in open(f"/proc/{self.p.pid}/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024

    def reset_hwm(self):
        with open(f"/proc/{self.p.pid}/clear_refs", "w") as f:
            f.write("5")

    def stop(self):
        self.p.terminate()
        self.p.wait(20)
        self.log.close()

    def log_lines(self, needle):
        return sum(1 for l in open(self.logpath, errors="replace") if needle in l)


def udp_flood(data):
    """Finding 1: 15,159 paced UDP messages of 60 KiB."""
    v = Vigie(data)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    before = v.rss_mb()
    peak = before
    t0 = time.time()
    for i in range(15159):
        s.sendto(b"<14>flood: FLOOD %05d " % i + b"x" * (60 * 1024 - 30), ("127.0.0.1", v.syslog))
        time.sleep(0.0015)
        if i % 200 == 0:
            peak = max(peak, v.rss_mb())
    took = time.time() - t0
    time.sleep(3)
    peak = max(peak, v.rss_mb())
    st = v.get("/api/v1/status")["logs"]
    print(f"udp_flood: sent 15159 x 60 KiB in {took:.1f}s; RSS {before:.0f} MB -> peak {peak:.0f} MB, "
          f"after {v.rss_mb():.0f} MB; received {st.get('syslogReceived')} stored {st.get('stored')} dropped {st.get('dropped')}; "
          f"memoryBytes {st.get('memoryBytes')} queueBytes {st.get('queueBytes')}")
    v.stop()


def tcp_lockout(data):
    """Finding 3: 2,000 idle peers, then a real logger; trickled 2e9 header; 200 peers x 1 MB."""
    v = Vigie(data)
    idle = []
    refused = 0
    for _ in range(2000):
        c = socket.socket()
        try:
            c.connect(("127.0.0.1", v.syslog))
            idle.append(c)
        except OSError:
            refused += 1
    time.sleep(2)
    subprocess.run(["logger", "-T", "-n", "127.0.0.1", "-P", str(v.syslog), "-t", "real", "MARK-REAL sender"],
                   timeout=20, capture_output=True)
    stored = False
    for _ in range(50):
        page = v.get("/api/v1/logs?q=MARK-REAL")
        if page["entries"]:
            stored = True
            break
        time.sleep(0.1)
    warnings = v.log_lines("too many peers") + v.log_lines("Syslog TCP in the last")
    st = v.get("/api/v1/status")["logs"]
    print(f"tcp_lockout: 2000 idle peers; real logger message stored: {stored}; warning lines so far: {warnings}; "
          f"tcp status: {st.get('tcp')}")
    for c in idle:
        c.close()
    time.sleep(1)
    # A header claiming 2,000,000,000 bytes, then one byte every 5 s.
    t = socket.socket()
    t.connect(("127.0.0.1", v.syslog))
    t.sendall(b"2000000000 <13>")
    t0 = time.time()
    closed_after = None
    t.settimeout(5)
    while time.time() - t0 < 45:
        try:
            if t.recv(1) == b"":
                closed_after = time.time() - t0
                break
        except socket.timeout:
            try:
                t.sendall(b"x")
            except OSError:
                closed_after = time.time() - t0
                break
        except OSError:
            closed_after = time.time() - t0
            break
    print(f"tcp_trickle: 2e9-byte header trickled 1 byte/5 s: closed after "
          f"{'%.1fs' % closed_after if closed_after else 'never (still open at 45 s)'}")
    t.close()
    # 200 peers each sending 1 MB without a newline.
    before = v.rss_mb()
    holders = []
    chunk = b"<13>" + b"y" * (1024 * 1024 - 4)
    for _ in range(200):
        c = socket.socket()
        c.connect(("127.0.0.1", v.syslog))
        c.setblocking(False)
        try:
            c.send(chunk)
        except OSError:
            pass
        holders.append(c)
    time.sleep(3)
    st = v.get("/api/v1/status")["logs"]
    print(f"tcp_hold: 200 peers x 1 MB without newline: RSS {before:.0f} MB -> {v.rss_mb():.0f} MB; "
          f"tcp {st.get('tcp')}")
    for c in holders:
        c.close()
    v.stop()


def write_day(dir_, target_bytes):
    os.makedirs(dir_, exist_ok=True)
    day = time.strftime("%Y-%m-%d", time.gmtime())
    now = int(time.time())
    pad = "p" * 250
    n = 0
    written = 0
    with open(os.path.join(dir_, day + ".jsonl"), "w", buffering=1 << 20) as f:
        while written < target_bytes:
            n += 1
            line = (f'{{"id":{n},"receivedAt":{now}.5,"timestamp":null,"source":"syslog","deviceId":null,'
                    f'"sourceAddr":"127.0.0.1:514","severity":6,"facility":"user","appName":"bulk",'
                    f'"hostname":null,"message":"bulk line {n} {pad}"}}\n')
            f.write(line)
            written += len(line)
    return n


def log_scan(data):
    """Finding 4: a 1.1 GB day file."""
    lines = write_day(os.path.join(data, "logs"), 1100 * 1024 * 1024)
    v = Vigie(data)
    # Warm the page cache once, as the runs had it warm.
    subprocess.run(["cat", os.path.join(data, "logs", time.strftime("%Y-%m-%d", time.gmtime()) + ".jsonl")],
                   stdout=subprocess.DEVNULL)
    def timed(path):
        t0 = time.time()
        page = v.get(path, timeout=60)
        return time.time() - t0, page
    took, page = timed("/api/v1/logs?q=no-such-text")
    print(f"log_scan: {lines} lines; q=<no match>: {took*1000:.0f} ms, partial={page.get('partial')}, "
          f"nextCursor={page.get('nextCursor')}")
    # Follow the cursor to the end (the whole scan, in budgeted pages).
    t0 = time.time(); pages = 1; cursor = page.get("nextCursor")
    while cursor is not None and page.get("partial"):
        took_p, page = timed(f"/api/v1/logs?q=no-such-text&cursor={cursor}")
        cursor = page.get("nextCursor"); pages += 1
    if pages > 1:
        print(f"log_scan: whole scan through cursors: {pages} pages, {time.time()-t0+took:.2f} s")
    # Health while three scans run.
    slow = []
    def scan():
        try:
            v.get("/api/v1/logs?q=no-such-text", timeout=60)
        except Exception:
            pass
    threads = [threading.Thread(target=scan) for _ in range(3)]
    for th in threads:
        th.start()
    probes = []
    t_end = time.time() + 2.5
    while time.time() < t_end:
        t0 = time.time()
        try:
            v.get("/api/v1/health", timeout=1)
            probes.append(time.time() - t0)
        except Exception:
            probes.append(None)
        time.sleep(0.05)
    for th in threads:
        th.join()
    ok = [p for p in probes if p is not None]
    print(f"log_scan: health during 3 scans: {len(ok)}/{len(probes)} answered within 1 s, "
          f"max {max(ok)*1000 if ok else float('nan'):.0f} ms")
    v.reset_hwm()
    base = v.rss_mb()
    took, page = timed(f"/api/v1/logs?limit=1&cursor={lines // 3}")
    print(f"log_scan: limit=1&cursor={lines // 3}: {took*1000:.0f} ms, peak RSS +{v.hwm_mb() - base:.0f} MB, "
          f"got id {page['entries'][0]['id'] if page['entries'] else None}")
    took, page = timed("/api/v1/logs?cursor=0")
    print(f"log_scan: cursor=0: {took*1000:.0f} ms")
    v.stop()


def names(data):
    """Finding 5."""
    v = Vigie(data)
    for name in ["a\u0000b", "core\nsw1"]:
        status, body = v.post("/api/v1/devices", {"name": name, "host": "127.0.0.1",
                                                  "snmp": {"version": "v2c", "community": "public"}})
        print(f"names: POST name={name!r}: {status} {body.get('code', '')} {body.get('field', '')}")
    v.stop()


for scenario in sys.argv[2:]:
    with tempfile.TemporaryDirectory() as d:
        globals()[scenario](os.path.join(d, "data"))
