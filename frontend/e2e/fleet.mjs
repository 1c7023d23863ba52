// The web UI at fleet scale, end to end: the real vigie (access control off, on loopback) polls the
// simulator's 2,000 devices of 48 interfaces plus one of 4,000 (`vigie sim`), added through the API, and
// headless Chromium checks that the overview and the device page stay correct with a bounded DOM:
// fewer than 200 rows drawn while the data holds 2,001 devices or 4,000 interfaces, search, state
// filter, sort and scrolling showing the right rows, a device's state change patched live into the
// list (problems first), live rates patched into the interface table in place. No timing is asserted
// (the benchmark, scale.mjs, measures them). Run after `cargo build -p vigie` and `npm run build`.
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { exitAfter, freeTcpPort, freeUdpPort, freeUdpTcpPort, log, removeAtExit, spawnGroup, waitFor } from "./processes.mjs";

const frontend = join(dirname(fileURLToPath(import.meta.url)), "..");
const repo = join(frontend, "..");
const VIGIE_BIN = process.env.VIGIE_BIN ?? join(repo, "target", "debug", "vigie");
const CHROMIUM = process.env.CHROMIUM ?? "/usr/bin/chromium";
const DIST = join(frontend, "dist");
export const AGENTS = Number(process.env.FLEET_AGENTS ?? 2000);
export const HUGE = Number(process.env.FLEET_HUGE_INTERFACES ?? 4000);
/** Rows a virtual table may draw: what fits in the viewport plus the overscan, far below the data. */
const MAX_ROWS = 200;

let browser = null;

/** Starts `vigie sim` and resolves to its agents ({name, port}) once it says they are ready. */
export async function startSim(agents, huge) {
  const sim = spawnGroup("sim", VIGIE_BIN, ["sim", "--agents", String(agents), "--interfaces", "48", "--huge-interfaces", String(huge)], {});
  const found = [];
  let rest = "";
  let ready = false;
  sim.child.stdout.on("data", (chunk) => {
    const lines = (rest + chunk).split("\n");
    rest = lines.pop();
    for (const line of lines) {
      const m = /^(sim-\S+) udp:127\.0\.0\.1:(\d+) /.exec(line);
      if (m) found.push({ name: m[1], port: Number(m[2]) });
      if (/agents ready/.test(line)) ready = true;
    }
  });
  await waitFor("the simulator's agents", () => {
    if (sim.child.exitCode !== null) throw new Error(`vigie sim exited: ${sim.output()}`);
    return ready;
  }, { timeout: 60_000 });
  if (found.length !== agents + (huge > 0 ? 1 : 0)) throw new Error(`vigie sim listed ${found.length} agents`);
  return found;
}

/** The device a simulated agent is, as `POST /devices` takes it (and `devices.json` stores it). */
function deviceFor(agent, pollIntervalSecs) {
  const huge = agent.name === "sim-huge";
  return {
    name: agent.name,
    host: "127.0.0.1",
    port: agent.port,
    snmp: { version: "v2c", community: "public" },
    pollIntervalSecs: huge ? 10 : pollIntervalSecs,
    timeoutMs: huge ? 5000 : 2000,
    retries: 1,
    pingIntervalSecs: 0,
    tags: [huge || Number(agent.name.slice(4)) % 2 === 0 ? "even" : "odd"],
  };
}

/**
 * A data dir holding `agents` as devices: `devices.json` in the documented storage format. 2,000
 * `POST /devices` take minutes in a debug build (each one rewrites the whole file); the huge device
 * is still added through the API (`addDevice`).
 */
export function seededDataDir(agents, pollIntervalSecs) {
  const dataDir = mkdtempSync(join(tmpdir(), "vigie-fleet-data-"));
  removeAtExit(dataDir);
  const now = Math.floor(Date.now() / 1000);
  const devices = agents.map((a) => ({ id: randomBytes(4).toString("hex"), createdAt: now, ...deviceFor(a, pollIntervalSecs) }));
  writeFileSync(join(dataDir, "devices.json"), JSON.stringify({ version: 1, devices }, null, 2), { mode: 0o600 });
  return { dataDir, ids: Object.fromEntries(devices.map((d) => [d.name, d.id])) };
}

/** Adds one agent as a device through the API; resolves to its id. */
export async function addDevice(api, agent, pollIntervalSecs) {
  return (await api("POST", "/devices", deviceFor(agent, pollIntervalSecs))).id;
}

/** Starts `vigie serve --auth off` on free loopback ports with `dataDir`; resolves to its base URL. */
export async function startVigie(dataDir) {
  const port = await freeTcpPort();
  const syslog = await freeUdpTcpPort();
  const trap = await freeUdpPort();
  const args = ["serve", "--auth", "off", "--listen", `127.0.0.1:${port}`, "--syslog-udp", `127.0.0.1:${syslog}`, "--syslog-tcp", `127.0.0.1:${syslog}`, "--trap-udp", `127.0.0.1:${trap}`, "--data-dir", dataDir, "--ui-dir", DIST];
  const vigie = spawnGroup("vigie", VIGIE_BIN, args, { env: { ...process.env, RUST_LOG: process.env.RUST_LOG ?? "warn" } });
  const base = `http://127.0.0.1:${port}`;
  await waitFor("vigie /api/v1/health", async () => {
    if (vigie.child.exitCode !== null) throw new Error(`vigie exited: ${vigie.output()}`);
    return (await fetch(`${base}/api/v1/health`)).ok;
  }, { timeout: 30_000 });
  return base;
}

export function apiAt(base) {
  return async (method, path, body) => {
    const res = await fetch(`${base}/api/v1${path}`, { method, headers: body ? { "Content-Type": "application/json" } : {}, body: body ? JSON.stringify(body) : undefined });
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.status === 204 ? null : res.json();
  };
}

export async function launchBrowser() {
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, timezoneId: "UTC", colorScheme: "light" });
  context.setDefaultTimeout(30_000);
  return { browser, page: await context.newPage() };
}

// ---------------------------------------------------------------- the checks

const results = [];
async function check(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push(true);
    console.log(`ok   ${results.length}. ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (err) {
    results.push(false);
    console.log(`FAIL ${results.length}. ${name}\n  ${err.stack ?? err}`);
    throw err;
  }
}
function expect(what, actual, wanted) {
  if (actual !== wanted) throw new Error(`${what}: got ${JSON.stringify(actual)}, wanted ${JSON.stringify(wanted)}`);
}

/** What the virtual table draws: its data rows (not the spacers), their names, and the count it announces. */
async function drawn(page, nameSelector) {
  return page.evaluate((sel) => {
    const table = document.querySelector("table.data-table.virtual");
    const rows = [...table.querySelectorAll("tbody tr:not(.spacer):not(.empty-row)")];
    return {
      rows: rows.length,
      names: rows.map((r) => r.querySelector(sel)?.textContent?.trim() ?? ""),
      classes: rows.map((r) => r.className),
      rowCount: Number(table.getAttribute("aria-rowcount")) - 1,
      meta: document.querySelector(".table-meta")?.textContent ?? "",
      nodes: document.getElementsByTagName("*").length,
    };
  }, nameSelector);
}
const deviceName = "td:nth-child(2) a";
const interfaceName = "td:nth-child(2) a";

async function main() {
  for (const [what, path] of [["vigie", VIGIE_BIN], ["the built UI", join(DIST, "index.html")], ["chromium", CHROMIUM]]) {
    if (!existsSync(path)) throw new Error(`${what} is missing: ${path}`);
  }
  const agents = await startSim(AGENTS, HUGE);
  log(`simulator: ${agents.length} agents`);
  const fleet = agents.filter((a) => a.name !== "sim-huge");
  const { dataDir, ids } = seededDataDir(fleet, 30);
  const base = await startVigie(dataDir);
  const api = apiAt(base);
  ids["sim-huge"] = await addDevice(api, agents.find((a) => a.name === "sim-huge"), 30);
  const total = agents.length;
  expect("devices served", (await api("GET", "/fleet/summary")).devices, total);
  log(`${fleet.length} devices in the data dir, sim-huge added through the API`);
  await waitFor("every device's first poll", async () => (await api("GET", "/fleet/summary")).counts.unknown === 0, { timeout: 120_000, interval: 1000 });
  log("every device polled once");
  const { page } = await launchBrowser();
  const pageErrors = [];
  page.on("pageerror", (err) => pageErrors.push(err.message));
  page.on("console", (msg) => msg.type() === "error" && pageErrors.push(msg.text()));

  await check(`overview: ${total} devices, fewer than ${MAX_ROWS} rows in the DOM`, async () => {
    await page.goto(`${base}/`);
    await page.waitForFunction((n) => document.querySelector(".table-meta")?.textContent === `${n} devices`, total);
    const d = await drawn(page, deviceName);
    expect("rows announced", d.rowCount, total);
    if (d.rows < 10 || d.rows >= MAX_ROWS) throw new Error(`${d.rows} rows drawn`);
    // All up: problems first is then by name.
    expect("first rows", d.names.slice(0, 3).join(), "sim-0000,sim-0001,sim-0002");
    log(`  ${d.rows} rows drawn of ${total}, ${d.nodes} DOM nodes`);
  });

  await check("overview: the header stays visible and the list scrolls to its last row", async () => {
    const scroller = page.locator(".table-scroll.virtual");
    await scroller.evaluate((el) => (el.scrollTop = el.scrollHeight));
    await page.waitForFunction(() => [...document.querySelectorAll("table.virtual tbody tr:not(.spacer) td:nth-child(2) a")].some((a) => a.textContent === "sim-huge"));
    const d = await drawn(page, deviceName);
    expect("last row", d.names.at(-1), "sim-huge");
    if (d.rows >= MAX_ROWS) throw new Error(`${d.rows} rows drawn after scrolling`);
    const headerVisible = await page.evaluate(() => {
      const th = document.querySelector("table.virtual thead th").getBoundingClientRect();
      const box = document.querySelector(".table-scroll.virtual").getBoundingClientRect();
      return th.top >= box.top - 1 && th.bottom <= box.bottom;
    });
    expect("header within the scrolled box", headerVisible, true);
  });

  await check("overview: search narrows to the matching devices", async () => {
    await page.fill("#device-search", "sim-123");
    await page.waitForFunction((n) => document.querySelector(".table-meta")?.textContent === `10 of ${n} devices`, total);
    const d = await drawn(page, deviceName);
    expect("rows", d.names.join(), [...Array.from({ length: 10 }, (_, i) => `sim-123${i}`)].join());
    await page.fill("#device-search", "sim-1234");
    await page.waitForFunction((n) => document.querySelector(".table-meta")?.textContent === `1 of ${n} devices`, total);
    expect("row", (await drawn(page, deviceName)).names.join(), "sim-1234");
    await page.fill("#device-search", "");
    await page.waitForFunction((n) => document.querySelector(".table-meta")?.textContent === `${n} devices`, total);
    expect("URL", new URL(page.url()).search, "");
  });

  await check("overview: sorting by name, both ways", async () => {
    await page.click("th button[data-sort='name']");
    await page.waitForURL(/sort=name/);
    expect("ascending", (await drawn(page, deviceName)).names.slice(0, 2).join(), "sim-0000,sim-0001");
    await page.click("th button[data-sort='name']");
    await page.waitForURL(/sort=-name/);
    expect("descending", (await drawn(page, deviceName)).names.slice(0, 2).join(), "sim-huge,sim-1999");
    const sorted = await page.locator("th[aria-sort='descending']").textContent();
    expect("aria-sort", sorted, "Name");
  });

  await check("overview: a device going down is patched live into the list, problems first", async () => {
    await page.goto(`${base}/`);
    await page.waitForFunction((n) => document.querySelector(".table-meta")?.textContent === `${n} devices`, total);
    const devicesBefore = await page.evaluate(() => performance.getEntriesByType("resource").filter((e) => e.name.endsWith("/api/v1/devices")).length);
    // A port nobody listens on: the next poll gets no answer.
    const closed = await freeUdpPort();
    await api("PATCH", `/devices/${ids["sim-1500"]}`, { port: closed, pollIntervalSecs: 2, timeoutMs: 500, retries: 0 });
    await page.waitForFunction(() => document.querySelector("table.virtual tbody tr:not(.spacer) td:nth-child(2) a")?.textContent === "sim-1500", null, { timeout: 60_000 });
    const d = await drawn(page, deviceName);
    if (d.classes[0] === "state-up") throw new Error(`sim-1500's row says ${d.classes[0]}`);
    expect("second row", d.names[1], "sim-0000");
    expect("problems chip", await page.locator("button[data-state='problems'] .chip-count").textContent(), "1");
    const devicesAfter = await page.evaluate(() => performance.getEntriesByType("resource").filter((e) => e.name.endsWith("/api/v1/devices")).length);
    log(`  patched from the event stream (${devicesAfter - devicesBefore} full reload(s) of the list meanwhile)`);
    await page.click("button[data-state='problems']");
    await page.waitForFunction((n) => document.querySelector(".table-meta")?.textContent === `1 of ${n} devices`, total);
    expect("problems only", (await drawn(page, deviceName)).names.join(), "sim-1500");
  });

  const huge = ids["sim-huge"];
  await check(`device page: ${HUGE} interfaces, fewer than ${MAX_ROWS} rows in the DOM`, async () => {
    await page.goto(`${base}/devices/${huge}`);
    await page.waitForFunction((n) => document.querySelector(".table-meta")?.textContent === `${n} interfaces`, HUGE);
    const d = await drawn(page, interfaceName);
    expect("rows announced", d.rowCount, HUGE);
    if (d.rows < 10 || d.rows >= MAX_ROWS) throw new Error(`${d.rows} rows drawn`);
    expect("first rows", d.names.slice(0, 2).join(), "ge-0/0/1,ge-0/0/2");
    log(`  ${d.rows} rows drawn of ${HUGE}, ${d.nodes} DOM nodes`);
  });

  await check("device page: the filter shows the right interfaces", async () => {
    await page.fill("#interface-search", "ge-0/0/12");
    await page.waitForFunction((n) => document.querySelector(".table-meta")?.textContent === `111 of ${n} interfaces`, HUGE);
    expect("first rows", (await drawn(page, interfaceName)).names.slice(0, 3).join(), "ge-0/0/12,ge-0/0/120,ge-0/0/121");
    await page.fill("#interface-search", "ge-0/0/1234");
    await page.waitForFunction((n) => document.querySelector(".table-meta")?.textContent === `1 of ${n} interfaces`, HUGE);
    expect("one row", (await drawn(page, interfaceName)).names.join(), "ge-0/0/1234");
    await page.fill("#interface-search", "");
    await page.click("th button[data-sort='name']");
    await page.click("th button[data-sort='name']");
    await page.waitForURL(/sort=-name/);
    expect("by name, descending", (await drawn(page, interfaceName)).names.slice(0, 2).join(), `ge-0/0/${HUGE},ge-0/0/${HUGE - 1}`);
  });

  await check("device page: live rates patch the rows in place", async () => {
    await page.click("th button[data-sort='index']");
    await page.waitForURL((url) => !url.search.includes("sort=-name"));
    const before = await page.evaluate(() => {
      window.__fleetTable = document.querySelector("table.data-table.virtual");
      return [...document.querySelectorAll("table.virtual tbody tr:not(.spacer)")].slice(0, 20).map((r) => r.children[5]?.textContent).join("|");
    });
    // The huge device is polled every 10 s; its sample event brings new rates.
    await page.waitForFunction(
      (old) => [...document.querySelectorAll("table.virtual tbody tr:not(.spacer)")].slice(0, 20).map((r) => r.children[5]?.textContent).join("|") !== old,
      before,
      { timeout: 60_000 },
    );
    expect("same table element", await page.evaluate(() => window.__fleetTable === document.querySelector("table.data-table.virtual")), true);
    expect("rows still bounded", (await drawn(page, interfaceName)).rows < MAX_ROWS, true);
  });

  await check("no error in the browser", async () => {
    if (pageErrors.length) throw new Error(pageErrors.join("\n"));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  exitAfter(Number(process.env.FLEET_TIMEOUT_MS ?? 300_000), async () => browser?.close());
  main()
    .then(async () => {
      await browser?.close();
      console.log(`fleet e2e: ${results.length} passed, 0 failed`);
      process.exit(0);
    })
    .catch(async (err) => {
      if (!results.includes(false)) console.log(`FAIL setup\n  ${err.stack ?? err}`);
      await browser?.close().catch(() => {});
      console.log(`fleet e2e: ${results.filter(Boolean).length} passed, 1 failed`);
      process.exit(1);
    });
}
