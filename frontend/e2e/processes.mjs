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

export function freeUdpPort() {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket("udp4");
    s.on("error", reject);
    s.bind(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
/** A port free for both UDP and TCP on 127.0.0.1: syslog listens on both with the same number. */
export async function freeUdpTcpPort() {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await freeTcpPort();
    const udpFree = await new Promise((resolve) => {
      const s = dgram.createSocket("udp4");
      s.on("error", () => resolve(false));
      s.bind(port, "127.0.0.1", () => s.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new Error("no port free for both UDP and TCP on 127.0.0.1");
}

export function freeTcpPort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}
