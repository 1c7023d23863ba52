// Child processes, temp dirs, waiting and free loopback ports for the end-to-end test. Everything
// spawned runs in its own process group and is killed on exit, interruption or the global timeout.
import { spawn } from "node:child_process";
import dgram from "node:dgram";
import { rmSync } from "node:fs";
import net from "node:net";

export const started = Date.now();
export const log = (...args) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s]`, ...args);

const children = []; // { name, child }
const tempDirs = [];

/** Removes `dir` (recursively) when the test ends. */
export function removeAtExit(dir) {
  tempDirs.push(dir);
}

export function killAll() {
  for (const { child } of children) {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, "SIGKILL");
      } catch {
        /* already gone */
      }
    }
  }
}
export function removeTemps() {
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}
process.on("exit", () => {
  killAll();
  removeTemps();
});
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => {
    console.error(`e2e: interrupted by ${signal}`);
    process.exit(130);
  });
}
/** Fails the run after `ms`, after `beforeExit` (closing the browser) or 3 s, whichever is first. */
export function exitAfter(ms, beforeExit) {
  const timer = setTimeout(async () => {
    console.error(`e2e: global timeout of ${ms / 1000} s reached`);
    await Promise.race([beforeExit().catch(() => {}), sleep(3000)]);
    console.log("e2e: 0 passed, 1 failed (global timeout)");
    process.exit(1);
  }, ms);
  timer.unref();
}

export function spawnGroup(name, cmd, args, options) {
  const child = spawn(cmd, args, { ...options, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  const keep = (chunk) => {
    output = (output + chunk).slice(-20_000);
  };
  child.stdout.on("data", keep);
  child.stderr.on("data", keep);
  child.on("error", (err) => keep(`spawn error: ${err.message}\n`));
  const entry = { name, child, output: () => output };
  children.push(entry);
  return entry;
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(what, fn, { timeout = 10_000, interval = 100 } = {}) {
  const deadline = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      const value = await fn();
      if (value) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}${last ? `: ${last.message}` : ""}`);
    await sleep(interval);
  }
}

// Free ports come from a counter below Linux's ephemeral range (32768-60999 by default): a port
// found by binding port 0 and letting go can be handed out again by the next bind to port 0, which
// once gave vigie's HTTP listener and its syslog receiver the same number. Each port is handed out
// once per process, after checking it is free right now; the counter starts at an offset drawn from
// the process id, so two suites run side by side seldom try the same ports.
const FIRST_PORT = 20000;
const PORT_COUNT = 12000;
let nextPort = (process.pid * 7919) % PORT_COUNT;

function bindable(kind, port) {
  return new Promise((resolve) => {
    const s = kind === "udp" ? dgram.createSocket("udp4") : net.createServer();
    s.on("error", () => resolve(false));
    const close = () => s.close(() => resolve(true));
    if (kind === "udp") s.bind(port, "127.0.0.1", close);
    else s.listen(port, "127.0.0.1", close);
  });
}

async function takePort(kinds) {
  for (let tried = 0; tried < PORT_COUNT; tried++) {
    const port = FIRST_PORT + (nextPort++ % PORT_COUNT);
    let free = true;
    for (const kind of kinds) free = free && (await bindable(kind, port));
    if (free) return port;
  }
  throw new Error(`no free port on 127.0.0.1 between ${FIRST_PORT} and ${FIRST_PORT + PORT_COUNT - 1}`);
}

/** A port free for UDP on 127.0.0.1, never handed out before by this process. */
export const freeUdpPort = () => takePort(["udp"]);
/** A port free for both UDP and TCP on 127.0.0.1: syslog listens on both with the same number. */
export const freeUdpTcpPort = () => takePort(["udp", "tcp"]);
/** A port free for TCP on 127.0.0.1, never handed out before by this process. */
export const freeTcpPort = () => takePort(["tcp"]);
