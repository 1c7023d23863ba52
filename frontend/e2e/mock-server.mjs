// A stand-in for the Vigie backend while it is being written: serves the REST API from fixtures
// (fixtures.mjs), keeps added/edited/removed devices in memory, and optionally serves a built dist/
// with the same index.html fallback the backend will use.
//
//   node e2e/mock-server.mjs [--port 8080] [--dist dist] [--delay 0]
//
// With the default port, `npm run dev` (whose proxy sends /api to 127.0.0.1:8080) works against it.
import { createServer } from "node:http";
import { readFile, stat } from "node:fs/promises";
import { extname, join, normalize, resolve } from "node:path";
import { parseArgs } from "node:util";
import { makeFixtures, makeTraffic } from "./fixtures.mjs";

const { values: args } = parseArgs({
  options: { port: { type: "string", default: "8080" }, dist: { type: "string" }, delay: { type: "string", default: "0" } },
});
const now = () => Math.floor(Date.now() / 1000);
const { devices, interfaces } = makeFixtures(now());
const delayMs = Number(args.delay);
const startedAt = now();

const TYPES = { ".html": "text/html; charset=utf-8", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".png": "image/png", ".json": "application/json" };

function send(res, status, body) {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { "Content-Type": "application/json" }).end(JSON.stringify(body));
}
const error = (res, status, code, message, field = null) => send(res, status, { code, message, field });

async function readJson(req) {
  const chunks = [];
  let size = 0;
  for await (const chunk of req) {
    size += chunk.length;
    if (size > 64 * 1024) throw Object.assign(new Error("too large"), { tooLarge: true });
    chunks.push(chunk);
  }
  return JSON.parse(Buffer.concat(chunks).toString("utf8") || "null");
}

const HOST_RE = /^[A-Za-z0-9_.:-]+$/;
/** The server's checks as the contract describes them; returns [status, code, message, field] or null. */
function checkFields(body, creating, selfId) {
  if (typeof body !== "object" || body === null) return [400, "invalid_json", "The request body must be a JSON object.", null];
  if (creating || body.host !== undefined) {
    if (typeof body.host !== "string" || body.host.trim() === "") return [422, "invalid_field", "host: must not be empty", "host"];
    if (!HOST_RE.test(body.host)) return [422, "invalid_field", `host: '${body.host}' is neither an IP address nor a valid DNS name`, "host"];
    const port = body.port ?? 161;
    for (const d of devices.values()) {
      if (d.host === body.host && d.port === port && d.id !== selfId) {
        return [409, "duplicate_device", `A device with address ${body.host}:${port} already exists (${d.name}).`, "host"];
      }
    }
  }
  if (body.port !== undefined && (!Number.isInteger(body.port) || body.port < 1 || body.port > 65535)) return [422, "invalid_field", "port: must be between 1 and 65535", "port"];
  if (creating && (typeof body.snmp?.community !== "string" || body.snmp.community === "")) return [422, "invalid_field", "snmp.community: must not be empty", "snmp.community"];
  if (body.snmp?.version !== undefined && body.snmp.version !== "v2c") return [422, "invalid_field", "snmp.version: only v2c is supported", "snmp.version"];
  if (body.pollIntervalSecs !== undefined && (!Number.isInteger(body.pollIntervalSecs) || body.pollIntervalSecs < 1)) return [422, "invalid_field", "pollIntervalSecs: must be between 1 and 86400", "pollIntervalSecs"];
  return null;
}

async function api(req, res, url) {
  const parts = url.pathname.replace(/^\/api\/v1\/?/, "").split("/").filter(Boolean).map(decodeURIComponent);
  const method = req.method;
  if (parts[0] === "health" && parts.length === 1) return send(res, 200, { status: "ok", uptimeSecs: now() - startedAt, version: "0.1.0-mock" });
  if (parts[0] === "status" && parts.length === 1) {
    const all = [...devices.values()];
    const count = (s) => all.filter((d) => d.status.state === s).length;
    return send(res, 200, {
      devices: all.length,
      up: count("up"),
      down: count("down"),
      unknown: count("unknown"),
      interfaces: all.reduce((a, d) => a + d.interfaceCount, 0),
      poller: { pollsTotal: 1440, pollsFailed: 3, pollsLate: 0, interfaceSamplesTotal: 69_120, samplesDropped: 0 },
      logs: { syslogReceived: 1200, syslogMalformed: 2, syslogTruncated: 0, trapsReceived: 40, trapsMalformed: 1, dropped: 0, stored: 1236 },
    });
  }
  if (parts[0] === "logs" && parts.length === 1 && method === "GET") return sendLogs(res, url.searchParams, null);
  if (parts[0] === "events" && parts.length === 1 && method === "GET") return streamEvents(req, res, url.searchParams.get("deviceId"));
  if (parts[0] !== "devices") return error(res, 404, "not_found", `No API route ${url.pathname}.`);

  if (parts.length === 1) {
    if (method === "GET") return send(res, 200, [...devices.values()]);
    if (method === "POST") {
      let body;
      try {
        body = await readJson(req);
      } catch (e) {
        return e.tooLarge ? error(res, 413, "payload_too_large", "The request body is larger than 64 KiB.") : error(res, 400, "invalid_json", "The request body is not valid JSON.");
      }
      const problem = checkFields(body, true, null);
      if (problem) return error(res, ...problem);
      // Like the server: 8 lower-case hex digits.
      const id = Math.floor(Math.random() * 2 ** 32).toString(16).padStart(8, "0");
      const device = {
        id,
        name: body.name || body.host,
        host: body.host,
        port: body.port ?? 161,
        snmp: { version: "v2c", communitySet: true },
        pollIntervalSecs: body.pollIntervalSecs ?? 60,
        timeoutMs: body.timeoutMs ?? 1000,
        retries: body.retries ?? 1,
        createdAt: now(),
        status: { state: "unknown", since: now(), lastPollAt: null, lastError: null, consecutiveFailures: 0, lastPollDurationMs: null },
        system: null,
        interfaceCount: 0,
        interfacesUp: 0,
        inBps: null,
        outBps: null,
      };
      devices.set(id, device);
      interfaces.set(id, []);
      return send(res, 201, device);
    }
    return error(res, 405, "method_not_allowed", `${method} is not allowed here.`);
  }

  const device = devices.get(parts[1]);
  if (!device) return error(res, 404, "device_not_found", `No device with id ${parts[1]}.`);
  if (parts.length === 2) {
    if (method === "GET") return send(res, 200, device);
    if (method === "DELETE") {
      devices.delete(device.id);
      interfaces.delete(device.id);
      return send(res, 204);
    }
    if (method === "PATCH") {
      let body;
      try {
        body = await readJson(req);
      } catch {
        return error(res, 400, "invalid_json", "The request body is not valid JSON.");
      }
      const problem = checkFields(body, false, device.id);
      if (problem) return error(res, ...problem);
      for (const key of ["host", "name", "port", "pollIntervalSecs", "timeoutMs", "retries"]) if (body[key] !== undefined) device[key] = body[key];
      return send(res, 200, device);
    }
    return error(res, 405, "method_not_allowed", `${method} is not allowed here.`);
  }
  if (parts[2] === "logs" && parts.length === 3 && method === "GET") return sendLogs(res, url.searchParams, device.id);
  if (parts[2] === "interfaces" && parts.length === 3 && method === "GET") {
    return send(res, 200, interfaces.get(device.id).map(({ _base, ...row }) => row));
  }
  if (parts[2] === "interfaces" && parts[4] === "traffic" && parts.length === 5 && method === "GET") {
    const iface = interfaces.get(device.id).find((i) => i.ifIndex === Number(parts[3]));
    if (!iface) return error(res, 404, "interface_not_found", `Device ${device.name} has no interface ${parts[3]}.`);
    const to = Number(url.searchParams.get("to") ?? now());
    const from = Number(url.searchParams.get("from") ?? to - 3600);
    const maxPoints = Number(url.searchParams.get("maxPoints") ?? 600);
    if (!(from < to)) return error(res, 400, "invalid_parameter", `from: must be before to (${to})`, "from");
    return send(res, 200, makeTraffic(device, iface, from, to, maxPoints, now()));
  }
  return error(res, 404, "not_found", `No API route ${url.pathname}.`);
}

/** A few made-up entries per device, one unattributed, so the log pages have something to show. */
const logEntries = (() => {
  const entries = [];
  let id = 0;
  const add = (deviceId, source, severity, appName, message, fields = []) =>
    entries.push({ id: ++id, receivedAt: now() - 3600 + id * 97.125, timestamp: null, source, deviceId, sourceAddr: deviceId ? "192.0.2.1:514" : "198.51.100.9:514", severity, facility: source === "syslog" ? "local7" : null, appName, hostname: null, message, truncated: false, fields });
  for (const d of devices.values()) {
    add(d.id, "event", 6, "vigie", `${d.name} added`);
    add(d.id, "syslog", 5, "LINK", "%LINK-5-CHANGED: Interface Gi0/1, changed state to up");
    add(d.id, "trap", 3, "snmptrap", "linkDown: interface Gi0/2 (ifIndex 2)", [{ name: "1.3.6.1.2.1.2.2.1.1.2", value: "2" }]);
  }
  add(null, "syslog", 4, "sshd", "Failed password for root from 203.0.113.4 port 40022 ssh2");
  return entries.reverse();
})();

/** `GET /logs` and `GET /devices/{id}/logs` over the entries above, with the server's filters and cursor. */
function sendLogs(res, q, deviceId) {
  const num = (k) => (q.has(k) ? Number(q.get(k)) : null);
  const limit = num("limit") ?? 100;
  const text = (q.get("q") ?? "").toLowerCase();
  const rows = logEntries.filter(
    (e) =>
      (!deviceId || e.deviceId === deviceId) &&
      (!q.get("source") || e.source === q.get("source")) &&
      (num("minSeverity") === null || e.severity <= num("minSeverity")) &&
      (!text || [e.message, e.appName].some((t) => t?.toLowerCase().includes(text))) &&
      (num("from") === null || e.receivedAt >= num("from")) &&
      (num("to") === null || e.receivedAt <= num("to")) &&
      (num("cursor") === null || e.id < num("cursor")),
  );
  const page = rows.slice(0, limit);
  return send(res, 200, { entries: page, nextCursor: page.length === limit ? page[page.length - 1].id : null });
}

/**
 * `GET /events`: like the server, a `sample` per poll of each device that answers (here at each multiple
 * of its poll interval, with the fixtures' rates) and a keep-alive comment every 15 s. No status changes:
 * fixture devices keep their state.
 */
function streamEvents(req, res, deviceId) {
  res.writeHead(200, { "Content-Type": "text/event-stream", "Cache-Control": "no-cache" });
  res.write(": connected\n\n");
  let ticks = 0;
  const timer = setInterval(() => {
    const t = now();
    if (++ticks % 15 === 0) res.write(": keep-alive\n\n");
    for (const device of devices.values()) {
      if ((deviceId && device.id !== deviceId) || device.status.state !== "up" || t % device.pollIntervalSecs !== 0) continue;
      const rates = interfaces.get(device.id).map((iface) => {
        const point = makeTraffic(device, iface, t - 60, t, 1, t).points.at(-1);
        return { ifIndex: iface.ifIndex, inBps: point?.inBps ?? null, outBps: point?.outBps ?? null };
      });
      res.write(`event: sample\ndata: ${JSON.stringify({ deviceId: device.id, timestamp: t, interfaces: rates })}\n\n`);
    }
  }, 1000);
  req.on("close", () => clearInterval(timer));
}

async function serveStatic(res, url) {
  const root = resolve(args.dist);
  const path = normalize(join(root, decodeURIComponent(url.pathname)));
  let file = path.startsWith(root) ? path : join(root, "index.html");
  try {
    if (!(await stat(file)).isFile()) file = join(root, "index.html");
  } catch {
    file = join(root, "index.html"); // SPA fallback, like the backend
  }
  const body = await readFile(file);
  res.writeHead(200, { "Content-Type": TYPES[extname(file)] ?? "application/octet-stream" }).end(body);
}

const server = createServer(async (req, res) => {
  const url = new URL(req.url, "http://localhost");
  try {
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    if (url.pathname.startsWith("/api/")) return await api(req, res, url);
    if (args.dist) return await serveStatic(res, url);
    return error(res, 404, "not_found", "This mock serves only /api (start it with --dist to serve the UI).");
  } catch (e) {
    console.error(e);
    return error(res, 500, "internal", "The mock server failed.");
  }
});
server.listen(Number(args.port), "127.0.0.1", () => {
  console.log(`mock Vigie API on http://127.0.0.1:${server.address().port}${args.dist ? ` serving ${args.dist}` : ""}`);
});
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => server.close(() => process.exit(0)));
