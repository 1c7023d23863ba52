// The web UI benchmark at fleet scale (not part of the suite; prints numbers, asserts nothing):
// the same setup as fleet.mjs (vigie with access control off polling the simulator's 2,000 × 48
// devices plus one 4,000-interface device), then in headless Chromium, three runs of each:
//   - overview and device page: first rows painted after the list's data arrived (Resource Timing's
//     responseEnd to the first animation frame showing the rows), DOM nodes;
//   - a search / filter keystroke: Event Timing's duration (input to the next paint), per key;
//   - a sort: Event Timing's duration of the header click;
//   - sitting on either page with live updates for SCALE_IDLE_SECS (60): long tasks (> 50 ms) seen by
//     a PerformanceObserver, their total and the longest, and the bytes fetched (Resource Timing's
//     transferSize; the event stream's bytes are not in it).
// Run: cargo build -p vigie && (cd frontend && npm run build && node e2e/scale.mjs)
// `--only device-live` or `--only overview-search` runs that scenario alone; SCALE_PROFILE=1 also
// records Chromium's CPU profile (CDP Profiler) while sitting or typing and prints the functions that
// took the most time (inclusive, self), to say what the long tasks are.
import { fileURLToPath } from "node:url";
import { addDevice, AGENTS, apiAt, HUGE, launchBrowser, seededDataDir, startSim, startVigie } from "./fleet.mjs";
import { exitAfter, log, waitFor } from "./processes.mjs";

const RUNS = Number(process.env.SCALE_RUNS ?? 3);
const IDLE_SECS = Number(process.env.SCALE_IDLE_SECS ?? 60);
const PROFILE = process.env.SCALE_PROFILE === "1";
const ONLY = process.argv.includes("--only") ? process.argv[process.argv.indexOf("--only") + 1] : null;

/** Installed before any page script: long tasks and slow events collected from the start. */
const OBSERVE = () => {
  window.__longTasks = [];
  window.__events = [];
  new PerformanceObserver((list) => window.__longTasks.push(...list.getEntries().map((e) => ({ start: e.startTime, duration: e.duration })))).observe({ type: "longtask", buffered: true });
  new PerformanceObserver((list) => window.__events.push(...list.getEntries().map((e) => ({ name: e.name, start: e.startTime, duration: e.duration, id: e.interactionId })))).observe({ type: "event", durationThreshold: 16, buffered: true });
};

const ms = (n) => `${Math.round(n)} ms`;
const table = [];
function record(what, values, format = ms) {
  table.push([what, values.map(format).join(" / ")]);
  log(`${what}: ${values.map(format).join(" / ")}`);
}

/** Loads `url` and measures from the data's arrival (`dataPath`'s responseEnd) to the rows painted. */
async function paintAfterData(page, url, dataPath, metaText) {
  await page.goto("about:blank");
  await page.goto(url);
  const painted = await page.waitForFunction((text) => document.querySelector(".table-meta")?.textContent === text && performance.now(), metaText, { polling: "raf", timeout: 60_000 });
  const paintedAt = await painted.jsonValue();
  return page.evaluate(([path, at]) => {
    const data = performance.getEntriesByType("resource").filter((e) => new URL(e.name).pathname === path).at(-1);
    return { afterData: at - data.responseEnd, dataAt: data.responseEnd, nodes: document.getElementsByTagName("*").length, bytes: data.transferSize, size: data.decodedBodySize };
  }, [dataPath, paintedAt]);
}

/** Types `text` key by key into `selector`; the slowest key and the time to the final table. */
async function typing(page, selector, text, metaWanted) {
  await page.fill(selector, "");
  await page.waitForTimeout(300);
  await page.evaluate(() => (window.__events = []));
  const t0 = await page.evaluate(() => performance.now());
  await page.locator(selector).pressSequentially(text, { delay: 30 });
  const done = await (await page.waitForFunction((w) => document.querySelector(".table-meta")?.textContent === w && performance.now(), metaWanted, { polling: "raf" })).jsonValue();
  await page.waitForTimeout(300);
  const events = await page.evaluate(() => window.__events.filter((e) => e.id > 0));
  const perKey = new Map();
  for (const e of events) perKey.set(e.id, Math.max(perKey.get(e.id) ?? 0, e.duration));
  return { slowestKey: Math.max(0, ...perKey.values()), total: done - t0 };
}

/** Clicks a sort header; the interaction's duration (Event Timing: click to the next paint). */
async function sortClick(page, key) {
  await page.evaluate(() => (window.__events = []));
  await page.click(`th button[data-sort='${key}']`);
  await page.waitForTimeout(400);
  const events = await page.evaluate(() => window.__events.filter((e) => e.id > 0));
  return Math.max(16, ...events.map((e) => e.duration));
}

/** The functions of a CPU profile (CDP `Profiler.Profile`) that took the most time, inclusive and self. */
function topFunctions(profile, count = 15) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const label = (n) => `${n.callFrame.functionName || "(anonymous)"} ${n.callFrame.url.split("/").pop()}:${n.callFrame.lineNumber + 1}`;
  const inclusive = new Map();
  const self = new Map();
  profile.samples.forEach((id, i) => {
    const dt = (profile.timeDeltas[i + 1] ?? 0) / 1000;
    const own = label(byId.get(id));
    self.set(own, (self.get(own) ?? 0) + dt);
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const name = label(byId.get(at));
      if (seen.has(name)) continue;
      seen.add(name);
      inclusive.set(name, (inclusive.get(name) ?? 0) + dt);
    }
  });
  const top = (m) => [...m].filter(([k]) => !/^\((root|program|idle)\)/.test(k)).sort((a, b) => b[1] - a[1]).slice(0, count);
  return { inclusive: top(inclusive), self: top(self) };
}

/** With SCALE_PROFILE=1, starts Chromium's CPU profiler; the function returned stops it and prints its top functions. */
async function startProfile(page) {
  if (!PROFILE) return async () => {};
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("Profiler.enable");
  await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
  await cdp.send("Profiler.start");
  return async () => {
    const { profile } = await cdp.send("Profiler.stop");
    const { inclusive, self } = topFunctions(profile);
    log(`profile, inclusive:\n${inclusive.map(([k, v]) => `  ${ms(v)}  ${k}`).join("\n")}`);
    log(`profile, self:\n${self.map(([k, v]) => `  ${ms(v)}  ${k}`).join("\n")}`);
    await cdp.detach();
  };
}

/** Sits on the page for IDLE_SECS with live updates: long tasks and bytes fetched meanwhile. */
async function idle(page) {
  await page.evaluate(() => {
    window.__longTasks = [];
    window.__idleStart = performance.now();
  });
  const stop = await startProfile(page);
  await page.waitForTimeout(IDLE_SECS * 1000);
  await stop();
  return page.evaluate(() => {
    const since = window.__idleStart;
    const tasks = window.__longTasks.filter((t) => t.start >= since);
    const bytes = performance.getEntriesByType("resource").filter((e) => e.startTime >= since).reduce((n, e) => n + e.transferSize, 0);
    return { count: tasks.length, total: tasks.reduce((n, t) => n + t.duration, 0), longest: Math.max(0, ...tasks.map((t) => t.duration)), bytes };
  });
}

async function main() {
  const agents = await startSim(AGENTS, HUGE);
  const { dataDir, ids } = seededDataDir(agents.filter((a) => a.name !== "sim-huge"), 60);
  const base = await startVigie(dataDir);
  const api = apiAt(base);
  ids["sim-huge"] = await addDevice(api, agents.find((a) => a.name === "sim-huge"), 60);
  await waitFor("every device's first poll", async () => (await api("GET", "/fleet/summary")).counts.unknown === 0, { timeout: 180_000, interval: 1000 });
  log(`${agents.length} devices polled; measuring, ${RUNS} runs`);
  const { browser, page } = await launchBrowser();
  await page.context().addInitScript(OBSERVE);
  const total = agents.length;
  const overview = [];
  const device = [];
  const search = [];
  const filter = [];
  const sorts = [];
  const idleOverview = [];
  const idleDevice = [];
  if (ONLY === "overview-search") {
    for (let run = 0; run < RUNS; run++) {
      overview.push(await paintAfterData(page, `${base}/`, "/api/v1/devices", `${total} devices`));
      const stop = await startProfile(page);
      search.push(await typing(page, "#device-search", "sim-01", `100 of ${total} devices`));
      await stop();
    }
    record("overview: slowest search keystroke (\"sim-01\")", search.map((s) => s.slowestKey));
    record("overview: typing \"sim-01\" until the final table", search.map((s) => s.total));
    await browser.close();
    return;
  }
  if (ONLY === "device-live") {
    for (let run = 0; run < RUNS; run++) {
      device.push(await paintAfterData(page, `${base}/devices/${ids["sim-huge"]}`, `/api/v1/devices/${ids["sim-huge"]}/interfaces`, `${HUGE} interfaces`));
      idleDevice.push(await idle(page));
    }
    record(`device page: long tasks in ${IDLE_SECS} s live (count, total, longest)`, idleDevice.map((i) => `${i.count}, ${ms(i.total)}, ${ms(i.longest)}`), String);
    record(`device page: bytes fetched in ${IDLE_SECS} s`, idleDevice.map((i) => i.bytes), String);
    await browser.close();
    return;
  }
  for (let run = 0; run < RUNS; run++) {
    overview.push(await paintAfterData(page, `${base}/`, "/api/v1/devices", `${total} devices`));
    search.push(await typing(page, "#device-search", "sim-01", `100 of ${total} devices`));
    await page.fill("#device-search", "");
    sorts.push(await sortClick(page, "name"));
    await page.goto(`${base}/`);
    await page.waitForFunction((t) => document.querySelector(".table-meta")?.textContent === t, `${total} devices`);
    idleOverview.push(await idle(page));
    device.push(await paintAfterData(page, `${base}/devices/${ids["sim-huge"]}`, `/api/v1/devices/${ids["sim-huge"]}/interfaces`, `${HUGE} interfaces`));
    filter.push(await typing(page, "#interface-search", "ge-0/0/12", `111 of ${HUGE} interfaces`));
    await page.fill("#interface-search", "");
    idleDevice.push(await idle(page));
  }
  record("overview: rows painted after the data", overview.map((o) => o.afterData));
  record("overview: DOM nodes", overview.map((o) => o.nodes), String);
  record("overview: GET /devices bytes on the wire (decoded)", overview.map((o) => `${o.bytes} (${o.size})`), String);
  record("overview: slowest search keystroke (\"sim-01\")", search.map((s) => s.slowestKey));
  record("overview: typing \"sim-01\" until the final table", search.map((s) => s.total));
  record("overview: sort by name (click to paint)", sorts);
  record(`overview: long tasks in ${IDLE_SECS} s live (count, total, longest)`, idleOverview.map((i) => `${i.count}, ${ms(i.total)}, ${ms(i.longest)}`), String);
  record(`overview: bytes fetched in ${IDLE_SECS} s`, idleOverview.map((i) => i.bytes), String);
  record("device page: rows painted after the data", device.map((o) => o.afterData));
  record("device page: DOM nodes", device.map((o) => o.nodes), String);
  record("device page: slowest filter keystroke (\"ge-0/0/12\")", filter.map((s) => s.slowestKey));
  record("device page: typing \"ge-0/0/12\" until the final table", filter.map((s) => s.total));
  record(`device page: long tasks in ${IDLE_SECS} s live (count, total, longest)`, idleDevice.map((i) => `${i.count}, ${ms(i.total)}, ${ms(i.longest)}`), String);
  record(`device page: bytes fetched in ${IDLE_SECS} s`, idleDevice.map((i) => i.bytes), String);
  await browser.close();
  console.log(`\n| what (${RUNS} runs) | measured |\n| --- | --- |`);
  for (const [what, values] of table) console.log(`| ${what} | ${values} |`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  exitAfter(60 * 60_000, async () => {});
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err.stack ?? err);
      process.exit(1);
    },
  );
}
