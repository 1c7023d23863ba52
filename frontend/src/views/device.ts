//! Device page (`/devices/:id`): identity and system information, reachability with its history
//! ("since"), polling settings, the interface table, and the edit/remove actions. Refreshes every 10 s;
//! a `status` event from the server's stream updates the state and its "since" at once, and the first
//! samples of a new device bring its system group without waiting for the refresh.

import { deleteDevice, getDevice, isAbort, listInterfaces, openEvents, type DeviceView, type InterfaceView } from "../api/client";
import { AsyncView } from "../components/async-view";
import { startAutoRefresh } from "../components/auto-refresh";
import { confirmDialog } from "../components/confirm-dialog";
import { fromHtml, h, html, type Html } from "../components/dom";
import { queueFlash } from "../components/flash";
import { deviceBadge, relativeTime } from "../components/status-badge";
import { withStatus } from "../lib/device-status";
import { formatBps, formatDuration, formatTimestamp, MISSING } from "../lib/format";
import { href } from "../lib/route";
import type { ViewContext } from "../router";
import { InterfaceTable } from "./interface-table";

export const DEVICE_REFRESH_MS = 10_000;

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
    ["Last poll", html`${relativeTime(s.lastPollAt, now)}${s.lastPollDurationMs != null ? html`<span class="muted">, took ${s.lastPollDurationMs} ms</span>` : null}`],
    ["Failed polls in a row", String(s.consecutiveFailures)],
    ["Last error", s.lastError ? html`<span class="error-text">${s.lastError}</span>` : html`<span class="muted">none</span>`],
    ["Traffic now", `in ${formatBps(d.inBps)} · out ${formatBps(d.outBps)}`],
  ])}</section>`;
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
    ["SNMP", `${d.snmp.version}, community ${d.snmp.communitySet ? "set" : "not set"}`],
    ["Interval", formatDuration(d.pollIntervalSecs)],
    ["Timeout", `${d.timeoutMs} ms, ${d.retries} ${d.retries === 1 ? "retry" : "retries"}`],
    ["Added", formatTimestamp(d.createdAt)],
  ])}</section>`;
}

export function deviceView(ctx: ViewContext): void {
  if (ctx.route.name !== "device") return;
  const id = ctx.route.id;
  let snapshot: Snapshot | null = null;

  const heading = h("h1", {}, "Device");
  const badge = h("span", { class: "heading-badge" });
  const cards = h("div", { class: "cards" });
  const removeButton = h("button", { type: "button", class: "button danger-outline", onclick: () => void remove() }, "Remove…");
  const actions = h("div", { class: "actions" }, h("a", { class: "button", href: href.editDevice(id) }, "Edit"), removeButton);
  const crumbName = h("span", { "aria-current": "page" }, "…");

  const table = new InterfaceTable(id, ctx.query, ctx.replaceQuery);
  const interfacesTitle = h("h2", { id: "interfaces-title" }, "Interfaces");
  const interfaces = new AsyncView<InterfaceView[]>({
    loadingText: "Loading interfaces…",
    isEmpty: (rows) => rows.length === 0,
    empty: () => h("p", {}, "No interfaces yet. They appear after the first successful poll."),
    render: (rows, container) => {
      if (!container.firstChild) container.append(table.element);
      table.setRows(rows);
    },
    retry: () => refresh.now(),
  });

  const page = new AsyncView<Snapshot>({
    loadingText: "Loading device…",
    render: ({ device, now }, container) => {
      if (!container.firstChild) {
        container.append(
          h("div", { class: "page-head" }, h("div", { class: "title-row" }, heading, badge), actions),
          cards,
          h("section", { "aria-labelledby": "interfaces-title" }, interfacesTitle, interfaces.element),
        );
      }
      ctx.setTitle(device.name);
      heading.textContent = device.name;
      crumbName.textContent = device.name;
      badge.replaceChildren(fromHtml(deviceBadge(device.status.state)));
      cards.replaceChildren(fromHtml(html`${statusCard(device, now)}${systemCard(device, now)}${pollingCard(device)}`));
      interfacesTitle.textContent = `Interfaces (${device.interfaceCount}, ${device.interfacesUp} up)`;
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

  const load = async () => {
    if (!snapshot) {
      page.loading();
      interfaces.loading();
    }
    const [device, rows] = await Promise.allSettled([getDevice(id, ctx.signal), listInterfaces(id, ctx.signal)]);
    if (ctx.signal.aborted) return;
    if (device.status === "rejected") {
      if (!isAbort(device.reason)) page.error(device.reason);
      return;
    }
    snapshot = { device: device.value, now: Date.now() / 1000 };
    page.data(snapshot);
    if (rows.status === "fulfilled") interfaces.data(rows.value);
    else if (!isAbort(rows.reason)) interfaces.error(rows.reason);
  };
  const refresh = startAutoRefresh(load, DEVICE_REFRESH_MS, ctx.signal);
  // The periodic refresh stays the source of truth; the stream only makes changes show at once.
  openEvents(
    {
      // A device just added shows its system group and interfaces after the poll that read them, not
      // up to 10 s later.
      sample: (event) => {
        if (snapshot && event.deviceId === id && snapshot.device.system === null) refresh.now();
      },
      status: (event) => {
        if (!snapshot || event.deviceId !== id) return;
        snapshot = { device: withStatus(snapshot.device, event), now: Date.now() / 1000 };
        page.data(snapshot);
        // A device that answers again (or for the first time) may have a new system group and interfaces;
        // otherwise only a refresh already on its way (maybe answered before the change) is redone.
        if (event.status.state === "up") refresh.now();
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
  refresh.now();
}
