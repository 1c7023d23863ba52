// Renders the built UI (dist/) against the mock API in headless Chromium and saves screenshots of the
// main pages at desktop and phone widths, light and dark, plus the form error states. Prints every
// console error, page error and failed request it sees, and exits non-zero if there were any.
// This is a look-at-it check while the backend is being written; it asserts nothing else.
//
//   npm run build && node e2e/screenshots.mjs   (SHOTS_DIR=/some/dir to choose where PNGs go)
import { spawn } from "node:child_process";
import { mkdirSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const outDir = process.env.SHOTS_DIR ?? "/tmp/vigie-shots";
mkdirSync(outDir, { recursive: true });

function startMock() {
  const child = spawn(process.execPath, [join(root, "e2e", "mock-server.mjs"), "--port", "0", "--dist", join(root, "dist")], {
    detached: true,
    stdio: ["ignore", "pipe", "inherit"],
  });
  return new Promise((resolvePort, reject) => {
    child.stdout.on("data", (chunk) => {
      const m = /127\.0\.0\.1:(\d+)/.exec(String(chunk));
      if (m) resolvePort({ child, base: `http://127.0.0.1:${m[1]}` });
    });
    child.on("exit", (code) => reject(new Error(`mock server exited with ${code}`)));
  });
}

const problems = [];
/** HTTP statuses the current step provokes on purpose (Chromium logs each as a console error). */
let expectedStatuses = [];
async function expecting(statuses, step) {
  expectedStatuses = statuses;
  try {
    await step();
  } finally {
    expectedStatuses = [];
  }
}
function watch(page, label) {
  page.on("console", (msg) => {
    if (msg.type() !== "error") return;
    if (expectedStatuses.some((s) => msg.text().includes(`status of ${s}`))) return;
    problems.push(`${label}: console: ${msg.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`${label}: page error: ${err.message}`));
  page.on("requestfailed", (req) => {
    const failure = req.failure()?.errorText ?? "";
    if (!failure.includes("ERR_ABORTED")) problems.push(`${label}: request failed: ${req.url()} ${failure}`);
  });
}

const { child, base } = await startMock();
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});

async function shoot(page, name, options = {}) {
  const file = join(outDir, `${name}.png`);
  await page.screenshot({ path: file, fullPage: options.fullPage ?? false });
  console.log(`saved ${file}`);
}

try {
  const desktop = await browser.newContext({ viewport: { width: 1280, height: 860 }, timezoneId: "UTC", colorScheme: "light" });
  const page = await desktop.newPage();
  watch(page, "desktop");

  await page.goto(`${base}/`);
  await page.waitForSelector(".data-table tbody tr");
  await shoot(page, "01-overview");

  await page.fill("#device-search", "dist");
  await page.click('button[data-sort="inBps"]');
  await shoot(page, "02-overview-search-sorted");

  await page.goto(`${base}/devices/core-sw-1`);
  await page.waitForSelector("#interface-search");
  await page.waitForFunction(() => document.querySelectorAll(".data-table tbody tr").length >= 400);
  await shoot(page, "03-device");
  const t0 = Date.now();
  await page.click('button[data-sort="utilization"]');
  await page.fill("#interface-search", "Te");
  console.log(`sort + filter of 400 interfaces took ${Date.now() - t0} ms (including Playwright round trips)`);
  await shoot(page, "04-device-filtered");

  await page.goto(`${base}/devices/core-sw-1/interfaces/386?range=6h`);
  await page.waitForSelector(".chart-box canvas");
  await page.waitForTimeout(300);
  await shoot(page, "05-graph-6h");
  await page.hover(".chart-box canvas", { position: { x: 700, y: 180 } });
  await shoot(page, "06-graph-tooltip");

  await page.click('a[data-preset="7d"]');
  await page.waitForTimeout(400);
  await shoot(page, "07-graph-7d");

  // Drag-select: from 30 % to 45 % of the plot.
  const box = await page.locator(".chart-box canvas").boundingBox();
  await page.mouse.move(box.x + box.width * 0.3, box.y + box.height * 0.4);
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * 0.4, box.y + box.height * 0.4, { steps: 5 });
  await shoot(page, "08-graph-dragging");
  await page.mouse.move(box.x + box.width * 0.45, box.y + box.height * 0.4, { steps: 3 });
  await page.mouse.up();
  await page.waitForTimeout(400);
  console.log(`after drag-zoom the URL is ${page.url()}`);
  await shoot(page, "09-graph-zoomed");

  await page.goto(`${base}/devices/core-sw-1/interfaces/386?range=live`);
  await page.waitForSelector(".chart-box canvas");
  await page.waitForTimeout(300);
  await shoot(page, "10-graph-live");

  await expecting([404], async () => {
    await page.goto(`${base}/devices/new-switch/interfaces/1?range=1h`);
    await page.waitForSelector(".async-view[data-state=error]");
    await shoot(page, "11-graph-error");
  });
  await page.goto(`${base}/devices/edge-rtr-2/interfaces/1?range=1h`);
  await page.waitForSelector(".async-view[data-state=empty]");
  await shoot(page, "11b-graph-empty");
  await page.click('a[data-preset="6h"]');
  await page.waitForSelector(".async-view[data-state=data]");
  await page.waitForTimeout(300);
  await shoot(page, "11c-graph-device-went-down");

  await page.goto(`${base}/devices/new`);
  await page.click("button[type=submit]");
  await shoot(page, "12-add-empty-submit");
  await page.fill("#field-host", "bad host");
  await page.fill("#field-snmp-community", "public");
  await page.click("button[type=submit]");
  await shoot(page, "13-add-bad-host");
  await expecting([409], async () => {
    await page.fill("#field-host", "10.0.0.1");
    await page.click("button[type=submit]");
    await page.waitForSelector("#field-host-error:not([hidden])");
    await shoot(page, "14-add-duplicate-from-server");
  });
  await page.fill("#field-host", "10.9.9.9");
  await page.fill("#field-name", "added-by-test");
  await page.click("button[type=submit]");
  await page.waitForURL(/\/devices\/[0-9a-f]{8}$/);
  await page.waitForSelector(".cards");
  await shoot(page, "15-added-device-page");

  await page.click("text=Remove…");
  await page.waitForSelector("dialog[open]");
  await shoot(page, "16-remove-dialog");
  await page.click("dialog button.danger");
  await page.waitForURL(`${base}/`);
  await page.waitForSelector(".flash");
  await shoot(page, "17-after-remove");

  await page.goto(`${base}/devices/edge-rtr-2/edit`);
  await page.waitForSelector("form.device-form");
  await shoot(page, "18-edit");

  await expecting([404], async () => {
    await page.goto(`${base}/devices/nope`);
    await page.waitForSelector(".error-state");
    await shoot(page, "19-device-not-found");
  });

  const dark = await browser.newContext({ viewport: { width: 1280, height: 860 }, timezoneId: "UTC", colorScheme: "dark" });
  const darkPage = await dark.newPage();
  watch(darkPage, "dark");
  await darkPage.goto(`${base}/`);
  await darkPage.waitForSelector(".data-table tbody tr");
  await shoot(darkPage, "20-dark-overview");
  await darkPage.goto(`${base}/devices/core-sw-1/interfaces/386?range=24h`);
  await darkPage.waitForSelector(".chart-box canvas");
  await darkPage.waitForTimeout(300);
  await shoot(darkPage, "21-dark-graph-24h");

  const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, timezoneId: "UTC" });
  const phonePage = await phone.newPage();
  watch(phonePage, "phone");
  await phonePage.goto(`${base}/`);
  await phonePage.waitForSelector(".data-table tbody tr");
  await shoot(phonePage, "22-phone-overview");
  await phonePage.goto(`${base}/devices/core-sw-1`);
  await phonePage.waitForSelector("#interface-search");
  await shoot(phonePage, "23-phone-device");
  await phonePage.goto(`${base}/devices/core-sw-1/interfaces/386?range=24h`);
  await phonePage.waitForSelector(".chart-box canvas");
  await phonePage.waitForTimeout(300);
  await shoot(phonePage, "24-phone-graph", { fullPage: true });
} finally {
  await browser.close();
  process.kill(-child.pid, "SIGTERM");
}

if (problems.length) {
  console.error(`\n${problems.length} problem(s):\n${problems.join("\n")}`);
  process.exit(1);
}
console.log("no console errors, page errors or failed requests");
