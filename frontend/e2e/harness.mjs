// The end-to-end test's harness: the real vigie started on free loopback ports with its own data dir,
// the test's own API session, headless Chromium with every page watched for problems (console errors,
// page errors, failed requests, unexpected HTTP errors, except those a step expects), and named checks
// with a screenshot after each. e2e.mjs runs the checks; access-checks.mjs and alerts-checks.mjs take
// what they need of this module.
import { existsSync, mkdirSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { freeTcpPort, freeUdpPort, freeUdpTcpPort, log, removeAtExit, sleep, spawnGroup, waitFor } from "./processes.mjs";

export { waitFor };

const frontend = join(dirname(fileURLToPath(import.meta.url)), "..");
export const repo = join(frontend, "..");
export const VIGIE_BIN = process.env.VIGIE_BIN ?? join(repo, "target", "debug", "vigie");
export const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
export const DIST = join(frontend, "dist");
export const ARTIFACTS = process.env.E2E_ARTIFACTS ?? join(repo, "test-artifacts", "e2e");
export const VIEWPORT = { width: 1280, height: 800 };
export const SCREENSHOTS_DIR = process.env.SCREENSHOTS_DIR ? resolve(repo, process.env.SCREENSHOTS_DIR) : null;

export let browser = null;

// ---------------------------------------------------------------- vigie

export let base = "";
export let vigie = null;
export let dataDir = "";
/** The test's own API session (as admin), once the admin has a password of their own. */
export const apiSession = { current: null };
/** Where vigie receives syslog (UDP and TCP) and traps: explicit loopback ports, never the 0.0.0.0 defaults. */
export const receivers = { syslog: 0, trap: 0 };

/** The test's own API calls, as the admin (cookie and CSRF token, like the SPA). */
export async function api(method, path, body) {
  if (!apiSession.current) throw new Error("the test has no API session yet");
  return apiSession.current.call(method, path, body);
}

export async function startVigie() {
  if (!existsSync(VIGIE_BIN)) throw new Error(`${VIGIE_BIN} is missing: run cargo build -p vigie`);
  if (!existsSync(join(DIST, "index.html"))) throw new Error(`${DIST} is missing: run npm run build in frontend/`);
  dataDir = mkdtempSync(join(tmpdir(), "vigie-e2e-data-"));
  removeAtExit(dataDir);
  const port = await freeTcpPort();
  receivers.syslog = await freeUdpTcpPort();
  receivers.trap = await freeUdpPort();
  base = `http://127.0.0.1:${port}`;
  const listen = ["--listen", `127.0.0.1:${port}`, "--syslog-udp", `127.0.0.1:${receivers.syslog}`, "--syslog-tcp", `127.0.0.1:${receivers.syslog}`, "--trap-udp", `127.0.0.1:${receivers.trap}`];
  vigieArgs = ["serve", ...listen, "--data-dir", dataDir, "--ui-dir", DIST];
  await spawnVigie();
}

export let vigieArgs = [];
export async function spawnVigie() {
  vigie = spawnGroup("vigie", VIGIE_BIN, vigieArgs, {
    env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn" },
  });
  await waitFor("vigie /api/v1/health", async () => {
    if (vigie.child.exitCode !== null) throw new Error(`vigie exited with ${vigie.child.exitCode}: ${vigie.output()}`);
    const res = await fetch(`${base}/api/v1/health`);
    return res.ok && (await res.json()).status === "ok";
  });
}

/** Stops vigie as a service manager would (SIGTERM) and starts it again: same port, same data dir. */
export async function restartVigie() {
  const old = vigie.child;
  const t0 = Date.now();
  process.kill(-old.pid, "SIGTERM");
  await waitFor("vigie to stop", async () => old.exitCode !== null || old.signalCode !== null, { timeout: 20_000 });
  const stopped = Date.now();
  await spawnVigie();
  log(`  vigie stopped in ${((stopped - t0) / 1000).toFixed(1)} s and answered again ${((Date.now() - stopped) / 1000).toFixed(1)} s later`);
}

// ---------------------------------------------------------------- browser problems

export const problems = [];
/** While set, exactly these are expected: { status, method, path } (one response and its console line). */
export let expected = null;
export let expectedSeen = 0;

/** `expected.status` is one status or several; `expected.path` is a path, or a RegExp for several (the 401s of every request a logout cuts short). */
export function isExpected(status, method, url) {
  const statuses = Array.isArray(expected?.status) ? expected.status : [expected?.status];
  if (expected === null || !statuses.includes(status) || (method !== undefined && expected.method !== undefined && method !== expected.method)) return false;
  const path = new URL(url).pathname;
  return typeof expected.path === "string" ? path === expected.path : expected.path.test(path);
}

/** `expected.dropped`, when set, matches URLs whose connection may break (a stream cut by a restart). */
export function isDropExpected(url) {
  return expected?.dropped instanceof RegExp && expected.dropped.test(new URL(url).pathname);
}

/** Runs `fn` with `what` expected (see isExpected); returns how many such responses were seen. */
export async function expecting(what, fn) {
  expected = what;
  expectedSeen = 0;
  try {
    await fn();
    await sleep(200); // let the console line of the last expected response arrive while it is expected
    return expectedSeen;
  } finally {
    expected = null;
  }
}


export function watch(page) {
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    // Chromium logs every HTTP error response as "Failed to load resource: ... status of 409 (Conflict)".
    const url = msg.location()?.url ?? "";
    if (url && /status of (\d+)/.test(msg.text()) && isExpected(Number(/status of (\d+)/.exec(msg.text())[1]), undefined, url)) return;
    if (url && isDropExpected(url) && /net::ERR_/.test(msg.text())) return;
    problems.push(`console error: ${msg.text()} (${url})`);
  });
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("requestfailed", (req) => {
    const failure = req.failure()?.errorText ?? "";
    // Requests the app cancels on purpose (leaving a page aborts its fetches) are not failures.
    if (failure.includes("ERR_ABORTED") || isDropExpected(req.url())) return;
    problems.push(`request failed: ${req.method()} ${req.url()} ${failure}`);
  });
  page.on("response", (res) => {
    if (res.status() < 400) return;
    if (isExpected(res.status(), res.request().method(), res.url())) {
      expectedSeen++;
      return;
    }
    problems.push(`HTTP ${res.status()} for ${res.request().method()} ${res.url()}`);
  });
}

// ---------------------------------------------------------------- checks

export const results = [];
export let page = null;
export let stepNo = 0;

export async function screenshot(name) {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
  const file = join(ARTIFACTS, `${String(stepNo).padStart(2, "0")}-${slug}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

export async function check(name, fn) {
  stepNo++;
  const t0 = Date.now();
  const before = problems.length;
  let error = null;
  try {
    await fn();
    if (problems.length > before) throw new Error(`browser problems:\n    ${problems.slice(before).join("\n    ")}`);
  } catch (err) {
    error = err;
  }
  try {
    if (page) await screenshot(name);
  } catch (err) {
    log(`  (screenshot failed: ${err.message})`);
  }
  const secs = ((Date.now() - t0) / 1000).toFixed(1);
  results.push({ name, ok: !error });
  if (error) {
    console.log(`FAIL ${stepNo}. ${name} (${secs} s)\n  ${error.stack ?? error}`);
    throw error;
  }
  console.log(`ok   ${stepNo}. ${name} (${secs} s)`);
}

/** A page in a fresh browser context (no cookies), watched like the main one; `close` ends the context. */
export async function newPage() {
  const fresh = await browser.newContext({ viewport: VIEWPORT, timezoneId: "UTC", colorScheme: "light" });
  fresh.setDefaultTimeout(10_000);
  const freshPage = await fresh.newPage();
  watch(freshPage);
  return { page: freshPage, close: () => fresh.close() };
}

/** Launches Chromium and opens the main page (watched), its context allowed the clipboard on `base`. */
export async function openBrowser() {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const context = await browser.newContext({ viewport: VIEWPORT, timezoneId: "UTC", colorScheme: "light" });
  context.setDefaultTimeout(10_000);
  await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
  page = await context.newPage();
  watch(page);
}

/** Expects exactly `what` from now until `expectNothing()` (for a step that checks the count itself). */
export function expectOnly(what) {
  expected = what;
  expectedSeen = 0;
}

export function expectNothing() {
  expected = null;
}

/** How many expected responses were seen since `expectOnly`. */
export const expectedCount = () => expectedSeen;

/** Numbers the next screenshot (after the counted checks). */
export function setStepNo(n) {
  stepNo = n;
}

/** Requests the page makes to paths matching `pattern`, from now until `stop()`. */
export function recordRequests(pattern) {
  const seen = [];
  const onRequest = (req) => {
    if (pattern.test(new URL(req.url()).pathname)) seen.push(`${req.method()} ${req.url()}`);
  };
  page.on("request", onRequest);
  return { seen, stop: () => page.off("request", onRequest) };
}

/** A screenshot for the README (the viewport only, so each is 1280x800), when SCREENSHOTS_DIR is set. */
export async function readmeShot(name) {
  if (!SCREENSHOTS_DIR) return;
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  const file = join(SCREENSHOTS_DIR, name);
  await page.screenshot({ path: file });
  log(`  wrote ${file}`);
}

/** Runs a command-line tool (util-linux logger, net-snmp snmptrap) to completion; fails on a non-zero exit. */
export async function runTool(cmd, args) {
  const tool = spawnGroup(cmd, cmd, args, {});
  const code = await new Promise((resolve) => {
    if (tool.child.exitCode !== null) resolve(tool.child.exitCode);
    else tool.child.on("close", (c) => resolve(c));
  });
  if (code !== 0) throw new Error(`${cmd} ${args.join(" ")} exited with ${code}: ${tool.output()}`);
}
