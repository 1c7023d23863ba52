//! Overview (`/`): the fleet, problems first. A summary header (devices per state as filter buttons,
//! the busiest interfaces, the open alerts) and the poller-health panel sit above the list, so both are
//! reachable without scrolling; the list is a virtual table (only the rows in view are in the DOM) of
//! every device, searched, filtered and sorted in the browser over the rows it holds (2,000 devices sort
//! in a few milliseconds; drawing was the cost). Search, state filter and sort live in the URL
//! (`?q=core&state=problems&sort=-inBps`). Live: `status` events from the server's stream are collected
//! and applied once per animation frame, patching only the devices they name; the full list is reloaded
//! only as a consistency check every minute, and the browser revalidates it with its ETag (304, no body,
//! while nothing changed).

import { getFleetSummary, getStatus, isAbort, listDevices, openEvents, session, type DeviceView, type FleetSummary, type StatusEvent, type StatusSummary } from "../api/client";
import { AsyncView } from "../components/async-view";
import { startAutoRefresh } from "../components/auto-refresh";
import { DataTable, type Column } from "../components/data-table";
import { h, html, setHtml } from "../components/dom";
import { deviceBadge, relativeTime } from "../components/status-badge";
import { can } from "../lib/access";
import { DEVICE_STATE_LABELS, formatAvailability } from "../lib/device-state";
import { formatBps, formatDuration, formatPercent, MISSING, shortDescription } from "../lib/format";
import { applyStatuses, FrameBatcher } from "../lib/live-patch";
import { matchesState, parseStateFilter, PROBLEM_RANK, problemsFirst, stateCounts, type StateFilter } from "../lib/problems-first";
import { href, withParams } from "../lib/route";
import { storageAlert } from "../lib/storage-alert";
import { filterRows, nextSort, parseSort, sortRows, sortToParam, type SortState, type SortValue } from "../lib/table-rows";
import type { ViewContext } from "../router";
import { pollerHealth } from "./poller-health";

/** The consistency check: the stream brings changes as they happen, this catches anything it missed. */
export const OVERVIEW_REFRESH_MS = 60_000;

const SORT_KEYS = ["status", "name", "host", "sysName", "uptime", "availability", "interfaces", "inBps", "outBps"] as const;
type SortKey = (typeof SORT_KEYS)[number];
/** Problems first: unreachable, SNMP down, unknown, then up, by name within each state. */
const DEFAULT_SORT: SortState<SortKey> = { key: "status", dir: "asc" };

interface Snapshot {
  /** Every device, problems first (the base order every other sort keeps for its ties). */
  devices: DeviceView[];
  status: StatusSummary;
  summary: FleetSummary;
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
        return PROBLEM_RANK[d.status.state] ?? 2;
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
      width: "13rem",
      cell: (d) => html`${deviceBadge(d.status.state)}<span class="sub">${relativeTime(d.status.since, now())}</span>`,
    },
    { sort: "name", label: "Name", width: "14rem", cell: (d) => html`<a class="strong" href="${href.device(d.id)}" title="${d.name}">${d.name}</a>` },
    { sort: "host", label: "Address", width: "9rem", className: "optional", cell: (d) => html`<span class="mono" title="${d.host}">${d.host}</span>` },
    { sort: "sysName", label: "sysName", width: "10rem", className: "optional", cell: (d) => html`<span title="${d.system?.sysName ?? ""}">${d.system?.sysName || MISSING}</span>` },
    {
      // A device with a problem shows why here; a device that answers, what it is.
      label: "Description or problem",
      className: "optional optional-wide",
      cell: (d) =>
        d.status.state !== "up" && d.status.reason
          ? html`<span class="error-text" title="${d.status.reason}">${d.status.reason}</span>`
          : html`<span title="${d.system?.sysDescr ?? ""}">${shortDescription(d.system?.sysDescr) || MISSING}</span>`,
    },
    { sort: "uptime", label: "Uptime", width: "6.5rem", firstDir: "desc", className: "num optional", cell: (d) => html`${formatDuration(uptimeNow(d, now()))}` },
    {
      sort: "availability",
      label: "Avail. 24 h",
      width: "6.5rem",
      className: "num optional",
      cell: (d) => html`<span title="7 d ${formatAvailability(d.availability.week)} · 30 d ${formatAvailability(d.availability.month)}">${formatAvailability(d.availability.day)}</span>`,
    },
    {
      sort: "interfaces",
      label: "Interfaces",
      width: "7.5rem",
      firstDir: "desc",
      className: "num optional",
      cell: (d) => html`<span title="${d.interfacesUp} of ${d.interfaceCount} interfaces up">${d.interfaceCount}<span class="muted"> (${d.interfacesUp} up)</span></span>`,
    },
    { sort: "inBps", label: "In", width: "6.5rem", firstDir: "desc", className: "num", cell: (d) => html`${formatBps(d.inBps)}` },
    { sort: "outBps", label: "Out", width: "6.5rem", firstDir: "desc", className: "num", cell: (d) => html`${formatBps(d.outBps)}` },
  ];
}

export function countsText(status: StatusSummary): string {
  const interfaces = status.interfaces === 1 ? "1 interface" : `${status.interfaces} interfaces`;
  return `${status.up} up · ${status.snmpDown} SNMP down · ${status.unreachable} unreachable · ${status.unknown} unknown · ${interfaces}`;
}

const FILTER_LABELS: Record<StateFilter, string> = {
  "": "All",
  problems: "Problems",
  unreachable: DEVICE_STATE_LABELS.unreachable,
  snmp_down: DEVICE_STATE_LABELS.snmp_down,
  unknown: DEVICE_STATE_LABELS.unknown,
  up: DEVICE_STATE_LABELS.up,
};

function topInterfaces(summary: FleetSummary) {
  const rows = summary.topInterfaces;
  return html`<section class="card summary-top" aria-labelledby="top-title"><h2 id="top-title">Busiest interfaces</h2>${
    rows.length
      ? html`<ol class="top-interfaces">${rows.map(
          (t) => html`<li><a href="${href.interface(t.deviceId, t.ifIndex)}">${t.deviceName} ${t.name}</a><span class="num">in ${formatPercent(t.inPercent / 100)} · out ${formatPercent(t.outPercent / 100)}</span></li>`,
        )}</ol>`
      : html`<p class="muted">No traffic measured yet.</p>`
  }</section>`;
}

export function overviewView(ctx: ViewContext): void {
  ctx.setTitle("Devices");
  let query = ctx.query;
  let sort = parseSort(query.get("sort"), SORT_KEYS, DEFAULT_SORT);
  let stateFilter = parseStateFilter(query.get("state"));
  let snapshot: Snapshot | null = null;
  // Controls a role cannot use are not drawn (the server refuses them anyway).
  const canEdit = can(session.current?.role, "editDevices");

  const counts = h("p", { class: "counts", "aria-live": "polite" });
  const search = h("input", {
    type: "search",
    id: "device-search",
    placeholder: "Name, address, sysName or tag",
    value: query.get("q") ?? "",
    autocomplete: "off",
  });
  const chips = h("div", { class: "state-chips", role: "group", "aria-label": "Show devices by state" });
  const shown = h("p", { class: "muted table-meta", id: "devices-shown", "aria-live": "polite" });
  const top = h("div", { class: "summary-top-box" });
  const health = h("div", { class: "health-box" });
  const storageBanner = h("p", { class: "storage-alert", role: "alert", hidden: true });

  const table = new DataTable<DeviceView, SortKey>({
    caption: "Devices",
    columns: columns(() => snapshot?.now ?? Date.now() / 1000),
    virtual: true,
    onSort: (key, firstDir) => {
      sort = nextSort(sort, key, firstDir);
      setQuery({ sort: sortToParam(sort) === sortToParam(DEFAULT_SORT) ? null : sortToParam(sort) });
    },
    emptyRow: () => html`No device matches these filters.`,
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
    // `draw` reads the latest snapshot; it also runs on search, filter and sort without a reload.
    render: (_snapshot, container) => {
      if (!container.firstChild) {
        container.append(
          h("div", { class: "overview-summary" }, top, health),
          h("div", { class: "toolbar" }, h("div", { class: "field inline" }, h("label", { for: "device-search" }, "Search"), search), chips),
          shown,
          table.element,
        );
      }
      draw();
    },
    retry: () => refresh.now(),
  });

  function setQuery(changes: Record<string, string | null>): void {
    query = withParams(query, changes);
    ctx.replaceQuery(query);
    table.scrollToTop();
    draw();
  }

  /** The devices with the live changes applied: the header, chips, panel and the rows in view. */
  function draw(): void {
    if (!snapshot) return;
    const { devices, status, now } = snapshot;
    const perState = stateCounts(devices);
    counts.textContent = countsText({ ...status, up: perState.up, snmpDown: perState.snmp_down, unreachable: perState.unreachable, unknown: perState.unknown });
    const alert = storageAlert(status.storage, now);
    storageBanner.hidden = alert == null;
    storageBanner.textContent = alert ?? "";
    const problems = devices.length - perState.up;
    setHtml(
      chips,
      html`${(["", "problems", "unreachable", "snmp_down", "unknown", "up"] as const).map((f) => {
        const n = f === "" ? devices.length : f === "problems" ? problems : perState[f];
        return html`<button type="button" class="chip${f === "problems" && n > 0 ? " chip-alert" : ""}" data-state="${f}" aria-pressed="${f === stateFilter ? "true" : "false"}">${FILTER_LABELS[f]} <span class="chip-count">${n}</span></button>`;
      })}`,
    );
    const term = search.value;
    const matching = filterRows(
      devices.filter((d) => matchesState(d, stateFilter)),
      term,
      (d) => [d.name, d.host, d.system?.sysName, ...d.tags],
    );
    // The devices are held problems first, which is also the default sort: no sort to do then.
    const rows = sort.key === DEFAULT_SORT.key && sort.dir === DEFAULT_SORT.dir ? matching : sortRows(matching, sort, sortValue(now));
    table.setSort(sort);
    table.setRows(rows);
    shown.textContent = rows.length === devices.length ? `${devices.length} devices` : `${rows.length} of ${devices.length} devices`;
  }

  function drawPanels(): void {
    if (!snapshot) return;
    setHtml(top, topInterfaces(snapshot.summary));
    setHtml(health, pollerHealth(snapshot.devices, snapshot.status));
  }

  chips.addEventListener("click", (event) => {
    const button = (event.target as Element).closest<HTMLButtonElement>("button[data-state]");
    if (!button) return;
    stateFilter = parseStateFilter(button.dataset.state ?? "");
    setQuery({ state: stateFilter || null });
  });
  search.addEventListener("input", () => setQuery({ q: search.value.trim() || null }));

  const load = async () => {
    if (!snapshot) view.loading();
    try {
      const [devices, status, summary] = await Promise.all([listDevices(ctx.signal), getStatus(ctx.signal), getFleetSummary(ctx.signal)]);
      snapshot = { devices: problemsFirst(devices), status, summary, now: Date.now() / 1000 };
      view.data(snapshot);
      drawPanels();
      if (devices.length === 0) counts.textContent = countsText(status);
    } catch (err) {
      if (!isAbort(err)) view.error(err);
    }
  };
  const refresh = startAutoRefresh(load, OVERVIEW_REFRESH_MS, ctx.signal);

  // A burst of state changes (a core switch taking 200 devices with it) is one redraw per frame.
  const statuses = new FrameBatcher<StatusEvent>((events) => {
    if (!snapshot) return;
    const applied = applyStatuses(snapshot.devices, events);
    // A device this page has not seen yet (added elsewhere): the full list tells more than the event.
    if (applied.unknown) refresh.now();
    // Problems first stays true: a device that went down moves up the list.
    snapshot = { ...snapshot, devices: problemsFirst(applied.devices), now: Date.now() / 1000 };
    draw();
    // What a refresh on its way fetched may predate these changes.
    refresh.rerunIfRunning();
  });
  // Only status changes (`?types=status`): per-poll samples of 2,000 devices would be megabytes a minute.
  openEvents({ status: (event) => statuses.push(event) }, { signal: ctx.signal });

  ctx.root.append(
    h(
      "div",
      { class: "page-head" },
      h("div", {}, h("h1", {}, "Devices"), counts),
      canEdit ? h("a", { class: "button primary", href: href.newDevice() }, "Add device") : null,
      canEdit ? h("a", { class: "button", href: href.importDevices() }, "Import or export") : null,
    ),
    storageBanner,
    view.element,
  );
  void import("./open-incidents").then(({ mountOpenIncidents }) => mountOpenIncidents(view.element, ctx.signal));
  refresh.now();
}
