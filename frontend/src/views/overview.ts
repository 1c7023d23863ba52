//! Overview (`/`): every device with its state, identity, uptime and current traffic, the up/down
//! counts, a search by name or address and sortable columns. Refreshes every 10 s; a `status` event from
//! the server's stream updates a device's badge, its "since" and the counts at once.
//! Search and sort live in the URL (`?q=core&sort=-inBps`) so a view can be shared. Below the table, the
//! poller-health panel: the slowest devices and the poller's and log receivers' counters.

import { getStatus, isAbort, listDevices, openEvents, session, type DeviceView, type StatusEvent, type StatusSummary } from "../api/client";
import { AsyncView } from "../components/async-view";
import { startAutoRefresh } from "../components/auto-refresh";
import { DataTable, type Column } from "../components/data-table";
import { h, html, setHtml } from "../components/dom";
import { deviceBadge, relativeTime } from "../components/status-badge";
import { can } from "../lib/access";
import { formatAvailability } from "../lib/device-state";
import { applyStatus, recount } from "../lib/device-status";
import { formatBps, formatDuration, MISSING, shortDescription } from "../lib/format";
import { href, withParams } from "../lib/route";
import { filterRows, nextSort, parseSort, sortRows, sortToParam, type SortState, type SortValue } from "../lib/table-rows";
import type { ViewContext } from "../router";
import { storageAlert } from "../lib/storage-alert";
import { pollerHealth } from "./poller-health";

export const OVERVIEW_REFRESH_MS = 10_000;

const SORT_KEYS = ["status", "name", "host", "sysName", "uptime", "availability", "interfaces", "inBps", "outBps"] as const;
type SortKey = (typeof SORT_KEYS)[number];
const DEFAULT_SORT: SortState<SortKey> = { key: "name", dir: "asc" };
// Problems first when sorting by status.
const STATE_ORDER: Record<string, number> = { unreachable: 0, snmp_down: 1, unknown: 2, up: 3 };

interface Snapshot {
  devices: DeviceView[];
  status: StatusSummary;
  /** Browser time of the answer, in Unix seconds, for "since" and uptime. */
  now: number;
}

/** Uptime now: the agent's figure plus the time since it was read, while the device answers. */
function uptimeNow(device: DeviceView, now: number): number | null {
  const secs = device.system?.sysUpTimeSecs;
  if (secs == null) return null;
  const lastPoll = device.status.lastPollAt;
  return device.status.state === "up" && lastPoll != null ? secs + Math.max(0, now - lastPoll) : secs;
}

function sortValue(now: number) {
  return (d: DeviceView, key: SortKey): SortValue => {
    switch (key) {
      case "status":
        return STATE_ORDER[d.status.state] ?? 2;
      case "name":
        return d.name;
      case "host":
        return d.host;
      case "sysName":
        return d.system?.sysName || null;
      case "uptime":
        return uptimeNow(d, now);
      case "availability":
        return d.availability.day ?? null;
      case "interfaces":
        return d.interfaceCount;
      case "inBps":
        return d.inBps ?? null;
      case "outBps":
        return d.outBps ?? null;
    }
  };
}

function columns(now: () => number): Column<DeviceView, SortKey>[] {
  return [
    {
      sort: "status",
      label: "Status",
     
      cell: (d) => html`${deviceBadge(d.status.state)}
        <div class="sub">since ${relativeTime(d.status.since, now())}</div>
        ${d.status.state !== "up" && d.status.reason ? html`<div class="sub error-text">${d.status.reason}</div>` : null}`,
    },
    {
      sort: "name",
      label: "Name",
     
      cell: (d) => html`<a class="strong" href="${href.device(d.id)}">${d.name}</a>`,
    },
    { sort: "host", label: "Address", className: "optional", cell: (d) => html`<span class="mono ellipsis" title="${d.host}">${d.host}</span>` },
    {
      sort: "sysName",
      label: "sysName",
      className: "optional",
      cell: (d) => html`<span class="ellipsis narrow" title="${d.system?.sysName ?? ""}">${d.system?.sysName || MISSING}</span>`,
    },
    {
      label: "Description",
      className: "optional optional-wide",
      cell: (d) => html`<span class="ellipsis" title="${d.system?.sysDescr ?? ""}">${shortDescription(d.system?.sysDescr) || MISSING}</span>`,
    },
    { sort: "uptime", label: "Uptime", firstDir: "desc", className: "num optional", cell: (d) => html`${formatDuration(uptimeNow(d, now()))}` },
    {
      sort: "availability",
      label: "Avail. 24 h",
      className: "num optional",
      cell: (d) => html`<span title="7 d ${formatAvailability(d.availability.week)} · 30 d ${formatAvailability(d.availability.month)}">${formatAvailability(d.availability.day)}</span>`,
    },
    {
      sort: "interfaces",
      label: "Interfaces",
      firstDir: "desc",
      className: "num optional",
      cell: (d) => html`<span title="${d.interfacesUp} of ${d.interfaceCount} interfaces up">${d.interfaceCount}<span class="muted"> (${d.interfacesUp} up)</span></span>`,
    },
    { sort: "inBps", label: "In", firstDir: "desc", className: "num", cell: (d) => html`${formatBps(d.inBps)}` },
    { sort: "outBps", label: "Out", firstDir: "desc", className: "num", cell: (d) => html`${formatBps(d.outBps)}` },
  ];
}

export function countsText(status: StatusSummary): string {
  const interfaces = status.interfaces === 1 ? "1 interface" : `${status.interfaces} interfaces`;
  return `${status.up} up · ${status.snmpDown} SNMP down · ${status.unreachable} unreachable · ${status.unknown} unknown · ${interfaces}`;
}

export function overviewView(ctx: ViewContext): void {
  ctx.setTitle("Devices");
  let query = ctx.query;
  let sort = parseSort(query.get("sort"), SORT_KEYS, DEFAULT_SORT);
  let snapshot: Snapshot | null = null;
  // Controls a role cannot use are not drawn (the server refuses them anyway).
  const canEdit = can(session.current?.role, "editDevices");

  const counts = h("p", { class: "counts", "aria-live": "polite" });
  const search = h("input", {
    type: "search",
    id: "device-search",
    placeholder: "Name, address or sysName",
    value: query.get("q") ?? "",
    autocomplete: "off",
  });
  const shown = h("p", { class: "muted table-meta", "aria-live": "polite" });
  const health = h("div", { class: "health-box" });
  const storageBanner = h("p", { class: "storage-alert", role: "alert", hidden: true });

  const table = new DataTable<DeviceView, SortKey>({
    caption: "Devices",
    columns: columns(() => snapshot?.now ?? Date.now() / 1000),
    onSort: (key, firstDir) => {
      sort = nextSort(sort, key, firstDir);
      query = withParams(query, { sort: sortToParam(sort) === sortToParam(DEFAULT_SORT) ? null : sortToParam(sort) });
      ctx.replaceQuery(query);
      draw();
    },
    emptyRow: () => html`No device matches “${search.value.trim()}”.`,
    rowClass: (d) => `state-${d.status.state}`,
  });

  const view = new AsyncView<Snapshot>({
    loadingText: "Loading devices…",
    isEmpty: (s) => s.devices.length === 0,
    empty: () =>
      canEdit
        ? h("div", {}, h("p", { class: "empty-title" }, "No devices yet"), h("p", {}, "Add a router or switch to start polling it over SNMP."),
            h("a", { class: "button primary", href: href.newDevice() }, "Add a device"))
        : h("div", {}, h("p", { class: "empty-title" }, "No devices yet"), h("p", {}, "An operator or an admin adds the devices Vigie polls.")),
    // `draw` reads the latest snapshot; it also runs on search and sort without a reload.
    render: (_snapshot, container) => {
      if (!container.firstChild) container.append(shown, table.element, health);
      draw();
    },
    retry: () => refresh.now(),
  });

  function draw(): void {
    if (!snapshot) return;
    counts.textContent = countsText(snapshot.status);
    const alert = storageAlert(snapshot.status.storage, snapshot.now);
    storageBanner.hidden = alert == null;
    storageBanner.textContent = alert ?? "";
    const term = search.value;
    const rows = sortRows(
      filterRows(snapshot.devices, term, (d) => [d.name, d.host, d.system?.sysName]),
      sort,
      sortValue(snapshot.now),
    );
    table.setSort(sort);
    table.setRows(rows);
    shown.textContent = term.trim() ? `${rows.length} of ${snapshot.devices.length} devices` : `${snapshot.devices.length} devices`;
    setHtml(health, pollerHealth(snapshot.devices, snapshot.status));
  }

  search.addEventListener("input", () => {
    query = withParams(query, { q: search.value.trim() || null });
    ctx.replaceQuery(query);
    draw();
  });

  const load = async () => {
    if (!snapshot) view.loading();
    try {
      const [devices, status] = await Promise.all([listDevices(ctx.signal), getStatus(ctx.signal)]);
      snapshot = { devices, status, now: Date.now() / 1000 };
      view.data(snapshot);
      if (devices.length === 0) counts.textContent = countsText(status);
    } catch (err) {
      if (!isAbort(err)) view.error(err);
    }
  };
  const refresh = startAutoRefresh(load, OVERVIEW_REFRESH_MS, ctx.signal);

  const onStatus = (event: StatusEvent) => {
    if (!snapshot) return;
    const applied = applyStatus(snapshot.devices, event);
    // A device this page has not seen yet (added elsewhere): the full list tells more than the event.
    if (!applied) return refresh.now();
    snapshot = {
      devices: applied.devices,
      status: recount(snapshot.status, applied.before, event.status.state),
      now: Date.now() / 1000,
    };
    view.data(snapshot);
    // A device that answers again (or for the first time) may have a new sysName, uptime and interfaces;
    // otherwise only a refresh already on its way (maybe answered before the change) is redone.
    if (event.status.state === "up") refresh.now();
    else refresh.rerunIfRunning();
  };
  // Every device's status changes, and only those (`?types=status`): the 10 s refresh brings the rest.
  openEvents({ status: onStatus }, { signal: ctx.signal });

  ctx.root.append(
    h(
      "div",
      { class: "page-head" },
      h("div", {}, h("h1", {}, "Devices"), counts),
      canEdit ? h("a", { class: "button primary", href: href.newDevice() }, "Add device") : null,
      canEdit ? h("a", { class: "button", href: href.importDevices() }, "Import or export") : null,
    ),
    storageBanner,
    h("div", { class: "toolbar" }, h("div", { class: "field inline" }, h("label", { for: "device-search" }, "Search"), search)),
    view.element,
  );
  void import("./open-incidents").then(({ mountOpenIncidents }) => mountOpenIncidents(view.element, ctx.signal));
  refresh.now();
}
