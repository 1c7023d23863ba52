#!/usr/bin/env python3
"""Measures the list endpoints at fleet scale (issue 18), on loopback only; asserts nothing.

Usage: scripts/measure-lists.py [VIGIE_BINARY] [AGENTS]  (default target/debug/vigie, 2000)
Starts `vigie sim` (AGENTS agents x 48 interfaces, plus one agent with 4,000 interfaces) and the
binary over a temp dir, adds every agent (polled every 10 s), waits for two rounds, then prints
per request the median of 5 (latency, bytes): GET /devices plain and gzip, a page of 50, the
304, the 4,000-interface table, a page of it, one interface; then the event stream's bytes per
second over 30 s, all kinds and the overview's `device,status,alert`. An older binary without
the new routes prints "-" for them: the "before" column.
"""
import gzip, http.client, json, os, shutil, signal, socket, statistics, subprocess, sys, tempfile, time

BIN = sys.argv[1] if len(sys.argv) > 1 else "target/debug/vigie"
AGENTS = int(sys.argv[2]) if len(sys.argv) > 2 else 2000


def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close(); return port


def request(port, path, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    t = time.perf_counter()
    c.request("GET", path, headers=headers or {})
    r = c.getresponse(); body = r.read()
    elapsed = time.perf_counter() - t
    c.close()
    return r.status, dict((k.lower(), v) for k, v in r.getheaders()), body, elapsed


def measure(port, label, path, headers=None):
    runs = [request(port, path, headers) for _ in range(5)]
    status, _, body, _ = runs[-1]
    if status not in (200, 304):
        print(f"{label:<48} -  (status {status})"); return
    ms = statistics.median(r[3] for r in runs) * 1e3
    print(f"{label:<48} {ms:8.1f} ms {len(body):>10,} bytes")


def stream_rate(port, types, secs=30):
    s = socket.create_connection(("127.0.0.1", port))
    query = f"?types={types}" if types else ""
    s.sendall(f"GET /api/v1/events{query} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
    s.settimeout(1); total, start = 0, time.time()
    events, ended = 0, None
    while time.time() < start + secs:
        try:
            chunk = s.recv(65536)
        except socket.timeout:
            continue
        if not chunk:
            ended = time.time() - start; break
        total += len(chunk); events += chunk.count(b"\nevent: ") + chunk.startswith(b"event: ")
    s.close()
    took = ended or secs
    return total / took, events / took, ended


def main():
    work = tempfile.mkdtemp()
    sim = subprocess.Popen([BIN, "sim", "--agents", str(AGENTS), "--interfaces", "48", "--huge-interfaces", "4000"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    ports, huge = [], None
    for line in sim.stdout:
        if "agents ready" in line: break
        port = int(line.split()[1].rsplit(":", 1)[1])
        if " 4000 interfaces" in line: huge = port
        else: ports.append(port)
    port = free_port()
    serve = subprocess.Popen([BIN, "serve", "--listen", f"127.0.0.1:{port}", "--data-dir", f"{work}/data",
                              "--syslog-udp", f"127.0.0.1:{free_port()}", "--syslog-tcp", "off", "--trap-udp", "off",
                              "--auth", "off"], stdout=subprocess.DEVNULL, stderr=open(f"{work}/vigie.log", "w"))
    try:
        for _ in range(600):
            try:
                request(port, "/api/v1/health"); break
            except OSError:
                if serve.poll() is not None:
                    sys.exit(f"vigie stopped:\n{open(f'{work}/vigie.log').read()[-2000:]}")
                time.sleep(0.1)
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        huge_id = None
        for i, p in enumerate(ports + [huge]):
            body = json.dumps({"name": f"sim-{i:04}", "host": "127.0.0.1", "port": p, "pollIntervalSecs": 10,
                               "snmp": {"version": "v2c", "community": "public"}})
            c.request("POST", "/api/v1/devices", body, {"content-type": "application/json"})
            answer = json.loads(c.getresponse().read())
            if p == huge: huge_id = answer["id"]
        c.close()
        deadline = time.time() + 600
        while time.time() < deadline:
            status = json.loads(request(port, "/api/v1/status")[2])
            if status.get("interfaces", 0) >= len(ports) * 48 + 4000: break
            time.sleep(2)
        time.sleep(25)  # two more rounds: every interface has rates
        n = len(ports) + 1
        print(f"{BIN}: {n} devices, {len(ports) * 48 + 4000} interfaces")
        gz = {"accept-encoding": "gzip"}
        measure(port, f"GET /devices ({n})", "/api/v1/devices")
        measure(port, f"GET /devices ({n}), gzip", "/api/v1/devices", gz)
        measure(port, f"GET /devices ({n}), br", "/api/v1/devices", {"accept-encoding": "br"})
        measure(port, "GET /fleet/devices?limit=50", "/api/v1/fleet/devices?limit=50")
        measure(port, "GET /fleet/devices?limit=50, gzip", "/api/v1/fleet/devices?limit=50", gz)
        measure(port, "GET /fleet/devices?limit=50&q=sim-01&sort=inBps", "/api/v1/fleet/devices?limit=50&q=sim-01&sort=inBps")
        tag = request(port, "/api/v1/fleet/devices?limit=50")[1].get("etag")
        if tag:
            measure(port, "GET /fleet/devices?limit=50, If-None-Match", "/api/v1/fleet/devices?limit=50", {"if-none-match": tag})
        measure(port, "GET /fleet/summary", "/api/v1/fleet/summary")
        measure(port, "GET /fleet/names", "/api/v1/fleet/names")
        measure(port, "GET /devices/{id}/interfaces (4,000)", f"/api/v1/devices/{huge_id}/interfaces")
        measure(port, "GET /devices/{id}/interfaces (4,000), gzip", f"/api/v1/devices/{huge_id}/interfaces", gz)
        measure(port, "GET /devices/{id}/interface-page?limit=50", f"/api/v1/devices/{huge_id}/interface-page?limit=50")
        measure(port, "GET …/interface-page?limit=50&q=12&sort=utilization",
                f"/api/v1/devices/{huge_id}/interface-page?limit=50&q=12&sort=utilization")
        measure(port, "GET /devices/{id}/interfaces/1200", f"/api/v1/devices/{huge_id}/interfaces/1200")
        for types in ["", "device,status,alert"]:
            rate, per_sec, ended = stream_rate(port, types)
            note = f", the server ended it after {ended:.1f} s" if ended else ""
            label = "GET /events" + ("?types=" + types if types else " (all kinds)")
            print(f"{label:<48} {rate / 1e3:8.1f} kB/s, {per_sec:6.1f} events/s{note}")
    finally:
        serve.send_signal(signal.SIGTERM); sim.send_signal(signal.SIGTERM)
        serve.wait(timeout=30); sim.wait(timeout=30)
        shutil.rmtree(work, ignore_errors=True)


main()
