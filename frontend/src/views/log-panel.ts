//! The log view shared by the Logs page (every device) and a device's Logs tab: filters kept in the URL,
//! the table in its four states, "Load older" by cursor, and the live tail. Filters change what the
//! server is asked (the list is reloaded); the live tail (log-tail.ts) adds entries pushed by the event
//! stream that pass the same filters, on top, without a refetch.

import { isAbort, listDeviceLogs, listLogs, type LogEntryView } from "../api/client";
import { AsyncView, errorMessage } from "../components/async-view";
import type { DataTable } from "../components/data-table";
import { h } from "../components/dom";
import { formatCount, formatTimestamp } from "../lib/format";
import { appendOlder, prependLive, type LogList } from "../lib/log-list";
import { filtersKey, logFilterParams, matchesFilters, parseLogFilters, toLogApiQuery, type LogFilters } from "../lib/log-query";
import { withParams } from "../lib/route";
import { LogFilterBar } from "./log-filters";
import { startLogTail, type LogTail } from "./log-tail";
import { logTable } from "./log-table";

/** Entries per request. */
export const LOG_PAGE_SIZE = 100;

export interface LogPanelOptions {
  /** Only this device's entries (its Logs tab); every device's when absent. */
  deviceId?: string;
  query: URLSearchParams;
  /** Mirrors the filters in the page URL. */
  onQuery: (query: URLSearchParams) => void;
  /** The page's signal: requests and the stream stop when it fires. */
  signal: AbortSignal;
  /** A device's name for the Device column (the Logs page); null while unknown. */
  deviceName?: (id: string) => string | null;
}

type Entries = LogList<LogEntryView>;
const nowSecs = () => Date.now() / 1000;
const EMPTY: Entries = { entries: [], nextCursor: null };

export class LogPanel {
  readonly element: HTMLElement;
  private filters: LogFilters;
  private query: URLSearchParams;
  private list: Entries = EMPTY;
  private loaded = false;
  private active = false;
  /** The load in flight (first page for the current filters), if any. */
  private loading: AbortController | null = null;
  private olderLoading: AbortController | null = null;
  private readonly filterBar: LogFilterBar;
  private readonly table: DataTable<LogEntryView, never>;
  private readonly view: AsyncView<Entries>;
  private readonly meta = h("p", { class: "muted table-meta", "aria-live": "polite" });
  private readonly olderButton: HTMLButtonElement;
  private readonly olderError = h("p", { class: "field-error", role: "alert", hidden: true });
  private readonly tail: LogTail;

  constructor(private readonly options: LogPanelOptions) {
    this.query = options.query;
    this.filters = parseLogFilters(options.query);
    const deviceName = options.deviceName ?? (() => null);
    this.table = logTable({ deviceId: options.deviceId, deviceName, now: nowSecs });
    this.filterBar = new LogFilterBar(this.filters, (next) => this.setFilters(next));
    this.olderButton = h("button", { type: "button", class: "button", onclick: () => void this.loadOlder() }, "Load older entries");

    this.view = new AsyncView<Entries>({
      loadingText: "Loading log entries…",
      isEmpty: (list) => list.entries.length === 0,
      empty: () => this.emptyState(),
      render: (list, container) => {
        if (!container.firstChild) {
          container.append(this.meta, this.table.element, h("div", { class: "load-older" }, this.olderButton, this.olderError));
        }
        this.table.setRows(list.entries);
        this.olderButton.hidden = list.nextCursor === null;
        const count = list.entries.length === 1 ? "1 entry" : `${formatCount(list.entries.length)} entries`;
        this.meta.textContent = `${count}, newest first${list.nextCursor === null ? "" : "; older ones below"}`;
      },
      retry: () => void this.load(),
    });

    this.tail = startLogTail({
      deviceId: options.deviceId,
      signal: options.signal,
      status: this.filterBar.liveStatus,
      accept: (entry) => matchesFilters(entry, this.filters, nowSecs()) && (!options.deviceId || entry.deviceId === options.deviceId),
      busy: () => this.loading !== null,
      add: (entries) => this.show(prependLive(this.list, entries)),
      firstPage: (signal) => this.fetchPage(null, signal),
      catchUp: (list) => this.show(list),
      current: () => this.list,
    });

    this.element = h("div", { class: "log-panel" }, this.filterBar.element, this.view.element);
    options.signal.addEventListener("abort", () => {
      this.loading?.abort();
      this.olderLoading?.abort();
    });
  }

  /** Shown (or hidden, on the device page's other tab): the first time it loads; the live tail follows. */
  setActive(active: boolean): void {
    this.active = active;
    if (active && !this.loaded) void this.load();
    this.syncLive();
  }

  /** The URL changed from outside (back/forward, a tab link): take its filters. */
  applyQuery(query: URLSearchParams): void {
    this.query = query;
    const next = parseLogFilters(query);
    const reload = filtersKey(next) !== filtersKey(this.filters);
    this.filters = next;
    this.filterBar.set(next);
    if (reload && this.loaded) void this.load();
    this.syncLive();
  }

  /** The current query string of the panel (for a tab link that brings it back as it was). */
  get queryString(): string {
    return this.query.toString();
  }

  /** Device names arrived: redraw the Device column. */
  redraw(): void {
    if (this.view.state === "data") this.view.data(this.list);
  }

  private setFilters(next: LogFilters): void {
    const reload = filtersKey(next) !== filtersKey(this.filters);
    this.filters = next;
    this.query = withParams(this.query, logFilterParams(next));
    this.options.onQuery(this.query);
    if (reload) void this.load();
    this.syncLive();
  }

  private syncLive(): void {
    this.tail.setEnabled(this.active && this.filters.live);
  }

  private show(list: Entries): void {
    this.list = list;
    this.view.data(list);
  }

  private fetchPage(cursor: number | null, signal: AbortSignal): Promise<Entries> {
    const query = toLogApiQuery(this.filters, nowSecs(), LOG_PAGE_SIZE, cursor);
    const all = AbortSignal.any([this.options.signal, signal]);
    const request = this.options.deviceId ? listDeviceLogs(this.options.deviceId, query, all) : listLogs(query, all);
    return request.then((page) => ({ entries: page.entries, nextCursor: page.nextCursor ?? null }));
  }

  /** The first page for the current filters, replacing what is shown. */
  private async load(): Promise<void> {
    this.loading?.abort();
    this.olderLoading?.abort();
    this.olderError.hidden = true;
    const controller = new AbortController();
    this.loading = controller;
    this.loaded = true;
    // Different filters: the rows shown no longer answer them.
    if (this.view.state === "data" || this.view.state === "empty") this.list = EMPTY;
    this.view.loading();
    try {
      const page = await this.fetchPage(null, controller.signal);
      if (controller !== this.loading) return;
      this.loading = null;
      this.show(page);
      this.tail.loaded();
    } catch (err) {
      if (controller !== this.loading) return;
      this.loading = null;
      if (!isAbort(err)) this.view.error(err);
    }
  }

  private async loadOlder(): Promise<void> {
    const cursor = this.list.nextCursor;
    if (cursor === null || this.olderLoading) return;
    const controller = new AbortController();
    this.olderLoading = controller;
    this.olderButton.disabled = true;
    this.olderButton.textContent = "Loading older entries…";
    this.olderError.hidden = true;
    try {
      const page = await this.fetchPage(cursor, controller.signal);
      if (controller === this.olderLoading) this.show(appendOlder(this.list, page));
    } catch (err) {
      if (controller === this.olderLoading && !isAbort(err)) {
        this.olderError.textContent = `Could not load older entries: ${errorMessage(err)}`;
        this.olderError.hidden = false;
      }
    } finally {
      if (controller === this.olderLoading) {
        this.olderLoading = null;
        this.olderButton.disabled = false;
        this.olderButton.textContent = "Load older entries";
      }
    }
  }

  private emptyState(): Node {
    const f = this.filters;
    const filtered = f.source !== null || f.minSeverity !== null || f.q !== "" || !(f.range.kind === "preset" && f.range.preset === "all");
    const waiting = f.live ? h("p", { class: "muted" }, "Live tail is on: new entries appear here as they arrive.") : null;
    if (filtered) {
      const clear = h("button", { type: "button", class: "button", onclick: () => this.setFilters({ ...parseLogFilters(new URLSearchParams()), live: f.live }) }, "Clear filters");
      const window = f.range.kind === "custom" ? ` between ${formatTimestamp(f.range.from)} and ${formatTimestamp(f.range.to)}` : "";
      return h("div", {}, h("p", { class: "empty-title" }, "No entries match these filters"), h("p", {}, `Nothing was received${window} that passes them.`), waiting ?? "", clear);
    }
    const who = this.options.deviceId ? "this device" : "any device";
    return h(
      "div",
      {},
      h("p", { class: "empty-title" }, `No logs from ${who} yet`),
      h("p", {}, "Point the devices' syslog and SNMP traps at Vigie (UDP and TCP 1514 and UDP 1162 unless configured otherwise); Vigie's own events show here too."),
      waiting ?? "",
    );
  }
}
