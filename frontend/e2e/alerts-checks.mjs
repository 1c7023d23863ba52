// The alerting checks of the end-to-end test (e2e.mjs runs them after the device checks): through the UI,
// a webhook channel to a real HTTP sink this file starts on a free loopback port (with Send test), and a
// device_unreachable rule with a 2-second forSecs over a device of its own, backed by an snmpd of its own;
// that snmpd is killed while the overview is open: the incident appears there and in the header badge
// without a reload; it is acknowledged on the alerts page; the sink got exactly one "open" webhook, with a
// valid X-Vigie-Signature. Takes the harness `t`: { check, api, page, base, log }.
import { createHmac } from "node:crypto";
import { createServer } from "node:http";
import { startSnmpd } from "./snmpd.mjs";
import { sleep, waitFor } from "./processes.mjs";

/** How many checks `alertsChecks` runs (e2e.mjs counts them). */
export const ALERT_CHECKS = 4;
const SECRET = "e2e-webhook-secret";

/** An HTTP sink on a free loopback port: keeps each request's headers and exact body bytes. */
async function startSink() {
  const received = [];
  const server = createServer((req, res) => {
    const chunks = [];
    req.on("data", (c) => chunks.push(c));
    req.on("end", () => {
      received.push({ headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(200).end();
    });
  });
  await new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
  const events = (kind) => received.filter((r) => JSON.parse(r.body.toString()).event === kind);
  return { url: `http://127.0.0.1:${server.address().port}/hook`, received, events, close: () => server.close() };
}

const signature = (body) => `sha256=${createHmac("sha256", SECRET).update(body).digest("hex")}`;

export async function alertsChecks(t) {
  const { check, api, page, base, log } = t;
  const sink = await startSink();
  const agent = await startSnmpd("alerts", [{ ifIndex: 1, name: "eth0", alias: "uplink", inPerSec: 1000, outPerSec: 1000 }]);
  let deviceId = null;
  let ruleId = null;
  try {
    await check("add a webhook channel on the channels page; Send test reaches the sink", async () => {
      await page.locator("header").getByRole("link", { name: /^Alerts/ }).click();
      await page.waitForURL(`${base}/alerts`);
      await page.locator("nav.alert-tabs a", { hasText: "Channels" }).click();
      await page.waitForURL(`${base}/alerts/channels`);
      await page.fill("#field-name", "e2e sink");
      await page.fill("#field-url", sink.url);
      await page.fill("#field-secret", SECRET);
      await page.getByRole("button", { name: "Add channel" }).click();
      const row = page.locator("table.data-table tbody tr", { hasText: "e2e sink" });
      await row.waitFor();
      if ((await row.textContent()).includes(SECRET)) throw new Error("the secret is shown in the list");
      await row.getByRole("button", { name: "Send test" }).click();
      await page.locator(".channel-status", { hasText: "Test delivered to e2e sink" }).waitFor({ timeout: 15_000 });
      if (sink.events("test").length !== 1) throw new Error(`the sink got ${sink.events("test").length} test requests`);
    });

    await check("add a device_unreachable rule on the rules page, its fields chosen by kind", async () => {
      // A device of its own, not pinged: when its agent is silent it is unreachable (nothing shows it alive).
      const created = await api("POST", "/devices", { name: "alert-e2e", host: "127.0.0.1", port: agent.port, snmp: { version: "v2c", community: "public" }, pollIntervalSecs: 1, timeoutMs: 300, retries: 0, pingIntervalSecs: 0 });
      if (created.status !== 201) throw new Error(`POST /devices: ${created.status} ${JSON.stringify(created.body)}`);
      deviceId = created.body.id;
      await waitFor("alert-e2e is up", async () => (await api("GET", `/devices/${deviceId}`)).body.status.state === "up", { timeout: 15_000, interval: 250 });
      await page.locator("nav.alert-tabs a", { hasText: "Rules" }).click();
      await page.waitForURL(`${base}/alerts/rules`);
      await page.selectOption("#field-kind", "utilization");
      if (!(await page.locator("#field-thresholdPercent").isVisible())) throw new Error("utilization shows no threshold field");
      await page.selectOption("#field-kind", "device_unreachable");
      if (await page.locator("#field-thresholdPercent").isVisible()) throw new Error("device_unreachable shows a threshold field");
      await page.fill("#field-name", "e2e unreachable");
      await page.selectOption("#field-rule-scope-mode", "devices");
      await page.fill("#field-scope", deviceId);
      await page.fill("#field-forSecs", "2");
      await page.fill("#field-recoverySecs", "2");
      await page.locator(".channel-choices label", { hasText: "e2e sink" }).locator("input").check();
      await page.getByRole("button", { name: "Add rule" }).click();
      await page.locator("table.data-table tbody tr", { hasText: "e2e unreachable" }).waitFor();
      const rules = (await api("GET", "/alert-rules")).body;
      const rule = rules.find((r) => r.name === "e2e unreachable");
      if (!rule || rule.forSecs !== 2 || rule.scope.deviceIds?.[0] !== deviceId || rule.channelIds.length !== 1) throw new Error(`the rule: ${JSON.stringify(rule)}`);
      ruleId = rule.id;
    });

    await check("the incident appears live on the overview and in the header badge", async () => {
      await page.locator("header").getByRole("link", { name: "Devices" }).click();
      await page.waitForURL(`${base}/`);
      await page.locator("table.data-table a", { hasText: "alert-e2e" }).waitFor();
      await page.evaluate(() => {
        window.__e2eMarker = "still here";
      });
      const t0 = Date.now();
      process.kill(-agent.proc.child.pid, "SIGKILL");
      await page.locator(".open-incidents li", { hasText: "alert-e2e" }).waitFor({ timeout: 30_000 });
      await page.locator("header .alert-count", { hasText: "1" }).waitFor({ timeout: 5_000 });
      if ((await page.evaluate(() => window.__e2eMarker)) !== "still here") throw new Error("the page reloaded");
      log(`  the incident showed on the overview ${((Date.now() - t0) / 1000).toFixed(1)} s after snmpd was killed (poll 1 s, forSecs 2, alert tick 2 s)`);
    });

    await check("acknowledge it on the alerts page; the sink got one signed open webhook", async () => {
      await page.locator(".open-incidents a", { hasText: /alerts page|open incidents/ }).click();
      await page.waitForURL(/\/alerts\?state=open/);
      const row = page.locator("table.data-table tbody tr.incident-row", { hasText: "alert-e2e" });
      await row.getByRole("button", { name: "Acknowledge" }).click();
      await row.locator(".incident-mark", { hasText: "acknowledged" }).waitFor();
      await waitFor("the open webhook", async () => sink.events("open").length >= 1, { timeout: 15_000, interval: 200 });
      await sleep(3_000); // a few more ticks: nothing more may come
      const opens = sink.events("open");
      if (opens.length !== 1) throw new Error(`the sink got ${opens.length} open webhooks`);
      const [hook] = opens;
      if (hook.headers["x-vigie-signature"] !== signature(hook.body)) throw new Error(`bad signature ${hook.headers["x-vigie-signature"]}`);
      const body = JSON.parse(hook.body.toString());
      if (body.ruleId !== ruleId || body.deviceId !== deviceId || body.state !== "open") throw new Error(`webhook body: ${hook.body}`);
      const others = sink.received.length - 1 - sink.events("test").length;
      if (others !== 0) throw new Error(`the sink got ${others} more requests`);
    });
  } finally {
    // Removing the rule resolves its incident unannounced; the device goes with its history.
    if (ruleId) await api("DELETE", `/alert-rules/${ruleId}`);
    if (deviceId) await api("DELETE", `/devices/${deviceId}`);
    sink.close();
  }
}
