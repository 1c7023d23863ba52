//! Device page (`/devices/:id`, `/devices/:id/logs`): identity and system information, reachability with
//! its history ("since"), polling settings, the edit/remove actions, and two tabs below: the interface
//! table and the device's logs (the path holds the tab; each tab keeps its own filters in the query
//! string, and switching keeps the page and both tabs' state). Live from the server's stream: a `status`
//! event updates the state and its "since" at once, `sample` events (one per poll) write the interface
//! rates into the rows as they arrive (the rows in view redrawn once per animation frame), and the
//! first samples of a new device bring its system group. The full reload is only a consistency check
//! every minute (revalidated by ETag: 304 while nothing changed).

import { deleteDevice, getDevice, isAbort, listInterfaces, openEvents, session, type DeviceView, type InterfaceView } from "../api/client";
import { AsyncView } from "../components/async-view";
import { startAutoRefresh } from "../components/auto-refresh";
import { confirmDialog } from "../components/confirm-dialog";
import { fromHtml, h, html, type Html } from "../components/dom";
import { queueFlash } from "../components/flash";
import { deviceBadge, relativeTime } from "../components/status-badge";
import { can } from "../lib/access";
import { formatAvailability } from "../lib/device-state";
import { withStatus } from "../lib/device-status";
import { formatBps, formatDuration, formatTimestamp, MISSING } from "../lib/format";
import { interfacesStale, rowTotals, type InterfaceTotals } from "../lib/live-patch";
import { href as href, type DeviceTab, type Route } from "../lib/route";
import { describeSnmp } from "../lib/snmp-labels";
import type { ViewContext, ViewInstance } from "../router";
import { InterfaceTable } from "./interface-table";
import { LatencyPanel } from "./latency-panel";
import { LogPanel } from "./log-panel";

/** The consistency check; the event stream brings every change as it happens. */
export const DEVICE_REFRESH_MS = 60_000;
const LATENCY_REFRESH_MS = 60_000;

interface Snapshot {
  device: DeviceView;
  now: number;
}

function definitions(items: [string, Html | string][]): Html {
  return html`<dl class="facts">${items.map(([term, value]) => html`<dt>${term}</dt><dd>${value}</dd>`)}</dl>`;
}

function statusCard(d: DeviceView, now: number): Html {
  const s = d.status;
  return html`<section class="card" aria-labelledby="status-title"><h2 id="status-title">Status</h2>${definitions([
    ["State", html`${deviceBadge(s.state)} since ${relativeTime(s.since, now)}`],
    ["Reason", s.reason ? html`<span class="error-text">${s.reason}</span>` : html`<span class="muted">none</span>`],
    ["Ping", echoText(s.echo, d.pingIntervalSecs)],
    ["Availability", availabilityText(d)],
    ["Last poll", html`${relativeTime(s.lastPollAt, now)}${s.lastPollDurationMs != null ? html`<span class="muted">, took ${s.lastPollDurationMs} ms</span>` : null}`],
    ["Failed polls in a row", String(s.consecutiveFailures)],
    ["Last error", s.lastError ? html`<span class="error-text">${s.lastError}</span>` : html`<span class="muted">none</span>`],
    ["Traffic now", `in ${formatBps(d.inBps)} · out ${formatBps(d.outBps)}`],
  ])}</section>`;
}

function echoText(echo: DeviceView["status"]["echo"], intervalSecs: number): Html | string {
  if (intervalSecs === 0) return html`<span class="muted">off</span>`;
  if (!echo) return html`<span class="muted">no round yet</span>`;
  const rtt = echo.rttAvgMs != null ? `, ${echo.rttAvgMs.toFixed(2)} ms average` : "";
  return `${echo.received}/${echo.sent} replies${rtt}${echo.error ? ` (${echo.error})` : ""}`;
}

function availabilityText(d: DeviceView): Html {
  const a = d.availability;
  return html`<span class="availability" title="Share of the known time up; time Vigie was stopped is left out">24 h ${formatAvailability(a.day)} · 7 d ${formatAvailability(a.week)} · 30 d ${formatAvailability(a.month)} · 365 d ${formatAvailability(a.year)}</span>`;
}

function systemCard(d: DeviceView, now: number): Html {
  const sys = d.system;
  const body = sys
    ? definitions([
        ["sysName", sys.sysName || MISSING],
        ["Description", html`<span class="pre">${sys.sysDescr || MISSING}</span>`],
        ["Uptime", formatDuration(sys.sysUpTimeSecs + (d.status.state === "up" && d.status.lastPollAt ? Math.max(0, now - d.status.lastPollAt) : 0))],
        ["Location", sys.sysLocation || MISSING],
        ["Contact", sys.sysContact || MISSING],
        ["Object ID", html`<span class="mono">${sys.sysObjectId || MISSING}</span>`],
      ])
    : html`<p class="muted">Not read yet: the device has not answered a poll.</p>`;
  return html`<section class="card" aria-labelledby="system-title"><h2 id="system-title">System</h2>${body}</section>`;
}

function pollingCard(d: DeviceView): Html {
  return html`<section class="card" aria-labelledby="polling-title"><h2 id="polling-title">Polling</h2>${definitions([
    ["Address", html`<span class="mono">${d.host}:${d.port}</span>`],
    ["SNMP", describeSnmp(d.snmp)],
    ["Interval", formatDuration(d.pollIntervalSecs)],
    ["Timeout", `${d.timeoutMs} ms, ${d.retries} ${d.retries === 1 ? "retry" : "retries"}`],
    ["Ping every", d.pingIntervalSecs === 0 ? "off" : formatDuration(d.pingIntervalSecs)],
    ["Parent", d.parentId ? html`<a href="${href.device(d.parentId)}">${d.parentId}</a>` : html`<span class="muted">none</span>`],
    ["Tags", d.tags.length ? d.tags.join(", ") : html`<span class="muted">none</span>`],
    ["Added", formatTimestamp(d.createdAt)],
  ])}</section>`;
}

export function deviceView(ctx: ViewContext): ViewInstance | void {
  if (ctx.route.name !== "device") return;
  const id = ctx.route.id;
  let tab: DeviceTab = ctx.route.tab;
  let snapshot: Snapshot | null = null;
  // Each tab's own query string; the URL shows the current tab's.
  let interfacesQuery = tab === "interfaces" ? ctx.query : new URLSearchParams();

  const heading = h("h1", {}, "Device");
  const badge = h("span", { class: "heading-badge" });
  const cards = h("div", { class: "cards" });
  const latency = new LatencyPanel(id, ctx.signal);
  /** The latency card loads with the page's first answer, then once a minute (its steps are 5 minutes). */
  let latencyStarted = false;
  const removeButton = h("button", { type: "button", class: "button danger-outline", onclick: () => void remove() }, "Remove…");
  // Viewers see no edit or remove controls (the server refuses them anyway).
  const actions = can(session.current?.role, "editDevices")
    ? h("div", { class: "actions" }, h("a", { class: "button", href: href.editDevice(id) }, "Edit"), removeButton)
    : h("div", { class: "actions" });
  const crumbName = h("span", { "aria-current": "page" }, "…");

  const table = new InterfaceTable(id, interfacesQuery, (query) => {
    interfacesQuery = query;
    interfacesTab.href = href.device(id, query.toString());
    ctx.replaceQuery(query);
  });
  const logs = new LogPanel({
    deviceId: id,
    query: tab === "logs" ? ctx.query : new URLSearchParams(),
    onQuery: (query) => {
      logsTab.href = href.deviceLogs(id, query.toString());
      ctx.replaceQuery(query);
    },
    signal: ctx.signal,
    deviceName: (deviceId) => (deviceId === id ? (snapshot?.device.name ?? null) : null),
  });
  const interfacesTab = h("a", { href: href.device(id, interfacesQuery.toString()), "data-tab": "interfaces" }, "Interfaces");
  const logsTab = h("a", { href: href.deviceLogs(id, logs.queryString), "data-tab": "logs" }, "Logs");
  const tabs = h("nav", { class: "tabs", "aria-label": "Device sections" }, interfacesTab, logsTab);
  const interfacesTitle = h("h2", { id: "interfaces-title" }, "Interfaces");
  const interfacesSection = h("section", { "aria-labelledby": "interfaces-title", class: "tab-panel" }, interfacesTitle);
  const logsSection = h("section", { "aria-labelledby": "logs-title", class: "tab-panel" }, h("h2", { id: "logs-title" }, "Logs"), logs.element);

  function showTab(next: DeviceTab): void {
    tab = next;
    for (const link of [interfacesTab, logsTab]) {
      if (link.dataset.tab === tab) link.setAttribute("aria-current", "page");
      else link.removeAttribute("aria-current");
    }
    interfacesSection.hidden = tab !== "interfaces";
    logsSection.hidden = tab !== "logs";
    // The logs load when their tab is first shown, and tail only while it is.
    if (snapshot) logs.setActive(tab === "logs");
  }
  const interfaces = new AsyncView<InterfaceView[]>({
    loadingText: "Loading interfaces…",
    isEmpty: (rows) => rows.length === 0,
    empty: () => h("p", {}, "No interfaces yet. They appear after the first successful poll."),
    render: (rows, container) => {
      if (!container.firstChild) container.append(table.element);
      table.setRows(rows);
    },
    retry: () => reloadAll(),
  });

  const page = new AsyncView<Snapshot>({
    loadingText: "Loading device…",
    render: ({ device, now }, container) => {
      if (!container.firstChild) {
        container.append(
          h("div", { class: "page-head" }, h("div", { class: "title-row" }, heading, badge), actions),
          cards,
          latency.element,
          tabs,
          interfacesSection,
          logsSection,
        );
        interfacesSection.append(interfaces.element);
        showTab(tab);
      }
      if (!latencyStarted) {
        latencyStarted = true;
        startAutoRefresh(() => latency.load(), LATENCY_REFRESH_MS, ctx.signal).now();
      }
      ctx.setTitle(device.name);
      heading.textContent = device.name;
      crumbName.textContent = device.name;
      badge.replaceChildren(fromHtml(deviceBadge(device.status.state)));
      cards.replaceChildren(fromHtml(html`${statusCard(device, now)}${systemCard(device, now)}${pollingCard(device)}`));
      interfacesTitle.textContent = `Interfaces (${device.interfaceCount}, ${device.interfacesUp} up)`;
      interfacesTab.textContent = `Interfaces (${device.interfaceCount})`;
    },
    retry: () => refresh.now(),
  });

  async function remove(): Promise<void> {
    const name = snapshot?.device.name ?? id;
    const removed = await confirmDialog({
      title: `Remove ${name}?`,
      body: `Vigie stops polling ${name} and deletes its history too: all traffic samples and status records. This cannot be undone.`,
      confirmLabel: "Remove device and history",
      busyLabel: "Removing…",
      action: () => deleteDevice(id),
    });
    if (removed) {
      queueFlash(`Removed ${name} and its history.`);
      ctx.navigate(href.overview());
    } else {
      removeButton.focus();
    }
  }

  /** The totals of the interface list shown, counted from its rows (null: none shown yet). */
  let listTotals: InterfaceTotals | null = null;
  /** The next load fetches the interface list whatever the totals say (a new poll, a retry). */
  let listWanted = true;
  /** The interface list, or what went wrong (shown by `showList`, after the device). */
  const fetchList = (): Promise<PromiseSettledResult<InterfaceView[]>> =>
    listInterfaces(id, ctx.signal).then(
      (value) => ({ status: "fulfilled", value }),
      (reason: unknown) => ({ status: "rejected", reason }),
    );
  /** Shows a fetched list; the totals of the list shown (null: none). */
  const showList = (rows: PromiseSettledResult<InterfaceView[]>): InterfaceTotals | null => {
    if (rows.status === "fulfilled") {
      interfaces.data(rows.value);
      return rowTotals(rows.value);
    }
    if (!isAbort(rows.reason)) interfaces.error(rows.reason);
    return null;
  };
  // The minute's check fetches the device (a few KB); its 4,000 interfaces (1.8 MB of JSON, tens of
  // milliseconds to parse and sort) only when one appeared, went away, or went up or down: the rates
  // move at every poll and the sample events already bring them.
  const load = async () => {
    if (!snapshot) {
      page.loading();
      interfaces.loading();
    }
    const forced = listWanted;
    listWanted = false;
    const [device, rows] = await Promise.allSettled([getDevice(id, ctx.signal), forced ? fetchList() : null]);
    if (ctx.signal.aborted) return;
    if (device.status === "rejected") {
      listWanted = true;
      if (!isAbort(device.reason)) page.error(device.reason);
      return;
    }
    snapshot = { device: device.value, now: Date.now() / 1000 };
    page.data(snapshot);
    const list = rows.status === "fulfilled" ? rows.value : null;
    if (list) listTotals = showList(list);
    else if (interfacesStale(listTotals, device.value)) {
      const fetched = await fetchList();
      if (!ctx.signal.aborted) listTotals = showList(fetched);
    }
  };
  const refresh = startAutoRefresh(load, DEVICE_REFRESH_MS, ctx.signal);
  const reloadAll = () => {
    listWanted = true;
    refresh.now();
  };
  openEvents(
    {
      sample: (event) => {
        if (!snapshot || event.deviceId !== id) return;
        // A device just added shows its system group and interfaces after the poll that read them; a
        // list fetched on the other side of a poll than the device (empty beside its first
        // interfaces) is fetched again now, not at the minute's check.
        const listBehind = listTotals !== null && interfacesStale(listTotals, snapshot.device);
        if (snapshot.device.system === null || listBehind) reloadAll();
        // The rates go into the rows now; the rows in view are redrawn once per frame.
        else table.patch(event);
      },
      status: (event) => {
        if (!snapshot || event.deviceId !== id) return;
        snapshot = { device: withStatus(snapshot.device, event), now: Date.now() / 1000 };
        page.data(snapshot);
        // A device that answers again (or for the first time) may have a new system group and interfaces;
        // otherwise only a refresh already on its way (maybe answered before the change) is redone.
        if (event.status.state === "up") reloadAll();
        else refresh.rerunIfRunning();
      },
    },
    { deviceId: id, signal: ctx.signal },
  );

  ctx.setTitle("Device");
  ctx.root.append(
    h("nav", { class: "breadcrumbs", "aria-label": "Breadcrumbs" }, h("a", { href: href.overview() }, "Devices"), h("span", { "aria-hidden": "true" }, " › "), crumbName),
    page.element,
  );
  showTab(tab);
  refresh.now();

  return {
    update: (query: URLSearchParams, route: Route) => {
      if (route.name !== "device") return;
      if (route.tab === "logs") logs.applyQuery(query);
      if (route.tab !== tab) showTab(route.tab);
    },
  };
}
