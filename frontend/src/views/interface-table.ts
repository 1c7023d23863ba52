//! The interface table of the device page: filter by text and state, sortable columns, utilisation bars.
//! Built for 4,000+ rows: a virtual DataTable (only the rows in view are in the DOM, one innerHTML pass
//! for them), no per-row listeners; each name is a plain link to the interface graph. Filter and sort
//! run over the rows held in the browser and are mirrored in the page URL. Live rates (`patch`) are
//! written into the rows held (numbers only, no new objects), the filtered and sorted list is kept
//! (rates change neither the filter nor the order, unless sorting by a rate: then that list is sorted
//! again in place), and only the cells in view whose text changed are redrawn.

import type { InterfaceView, SampleEvent } from "../api/client";
import { DataTable, type Column } from "../components/data-table";
import { h, html, type Html } from "../components/dom";
import { interfaceBadge, interfaceCondition } from "../components/status-badge";
import { formatBps, formatPercent, MISSING } from "../lib/format";
import { byIfIndex, oncePerFrame, patchRates } from "../lib/live-patch";
import { href, withParams } from "../lib/route";
import { filterRows, nextSort, parseSort, resortRows, sortRows, sortToParam, type SortState, type SortValue } from "../lib/table-rows";

const SORT_KEYS = ["index", "name", "alias", "state", "speed", "inBps", "outBps", "utilization"] as const;
type SortKey = (typeof SORT_KEYS)[number];
/** The sort keys a poll's rates move: the only ones that call for sorting again at each poll. */
const RATE_KEYS: ReadonlySet<SortKey> = new Set(["inBps", "outBps", "utilization"]);
const DEFAULT_SORT: SortState<SortKey> = { key: "index", dir: "asc" };
const CONDITION_ORDER = { down: 0, other: 1, up: 2, disabled: 3 } as const;

export const STATE_FILTERS = [
  ["", "Any state"],
  ["up", "Up"],
  ["down", "Down"],
  ["disabled", "Admin down"],
] as const;

export function interfaceLabel(i: InterfaceView): string {
  return i.ifName || i.ifDescr || `#${i.ifIndex}`;
}

function sortValue(i: InterfaceView, key: SortKey): SortValue {
  switch (key) {
    case "index":
      return i.ifIndex;
    case "name":
      return interfaceLabel(i);
    case "alias":
      return i.ifAlias || null;
    case "state":
      return CONDITION_ORDER[interfaceCondition(i.adminStatus, i.operStatus)];
    case "speed":
      return i.speedBps ?? null;
    case "inBps":
      return i.inBps ?? null;
    case "outBps":
      return i.outBps ?? null;
    case "utilization":
      return i.utilization ?? null;
  }
}

const meterValue = (ratio: number): number => Math.min(1, Math.max(0, ratio));

function utilizationCell(ratio: number | null | undefined): Html {
  if (ratio == null) return html`<span class="muted">${MISSING}</span>`;
  // <meter> colours itself from low/high/optimum: no inline styles, and it is announced as a value.
  return html`<span class="util"><meter min="0" max="1" low="0.7" high="0.9" optimum="0" value="${meterValue(ratio)}"></meter><span>${formatPercent(ratio)}</span></span>`;
}

/** A drawn utilisation cell moved to a new ratio: its meter and figure changed, not made again. */
function updateUtilization(cell: Element, ratio: number | null | undefined): boolean {
  const meter = cell.querySelector("meter");
  const figure = meter?.nextElementSibling;
  if (ratio == null || !meter || !figure) return false;
  meter.value = meterValue(ratio);
  figure.textContent = formatPercent(ratio);
  return true;
}

export class InterfaceTable {
  readonly element: HTMLElement;
  /** Every interface of the device, in the server's order (ifIndex); `patch` writes rates into them. */
  private rows: readonly InterfaceView[] = [];
  private byIndex = new Map<number, InterfaceView>();
  /** The rows the filters keep, sorted: what the table shows (rebuilt on a new list, filter or sort). */
  private visible: InterfaceView[] = [];
  private sort: SortState<SortKey>;
  private readonly search: HTMLInputElement;
  private readonly stateFilter: HTMLSelectElement;
  private readonly table: DataTable<InterfaceView, SortKey>;
  private readonly meta: HTMLElement;

  constructor(
    deviceId: string,
    private query: URLSearchParams,
    private readonly onQuery: (query: URLSearchParams) => void,
  ) {
    this.sort = parseSort(query.get("sort"), SORT_KEYS, DEFAULT_SORT);
    this.search = h("input", { type: "search", id: "interface-search", placeholder: "Name, description or alias", autocomplete: "off", value: query.get("q") ?? "" });
    this.stateFilter = h("select", { id: "interface-state" });
    for (const [value, label] of STATE_FILTERS) this.stateFilter.append(h("option", { value }, label));
    this.stateFilter.value = STATE_FILTERS.some(([v]) => v === query.get("state")) ? (query.get("state") ?? "") : "";
    this.meta = h("p", { class: "muted table-meta", "aria-live": "polite" });

    const columns: Column<InterfaceView, SortKey>[] = [
      { sort: "index", label: "Index", width: "5rem", firstDir: "asc", className: "num optional", cell: (i) => html`${i.ifIndex}` },
      {
        sort: "name",
        label: "Name",
        width: "12rem",
        cell: (i) => html`<a href="${href.interface(deviceId, i.ifIndex)}" title="${i.ifDescr}">${interfaceLabel(i)}</a>`,
      },
      { sort: "alias", label: "Alias", className: "optional", cell: (i) => html`<span title="${i.ifAlias}">${i.ifAlias || ""}</span>` },
      { sort: "state", label: "State", width: "8rem", cell: (i) => interfaceBadge(i.adminStatus, i.operStatus) },
      { sort: "speed", label: "Speed", width: "7rem", firstDir: "desc", className: "num", cell: (i) => html`${i.speedBps ? formatBps(i.speedBps) : MISSING}` },
      { sort: "inBps", label: "In", width: "7rem", firstDir: "desc", className: "num", cell: (i) => html`${formatBps(i.inBps)}` },
      { sort: "outBps", label: "Out", width: "7rem", firstDir: "desc", className: "num", cell: (i) => html`${formatBps(i.outBps)}` },
      { sort: "utilization", label: "Utilization", width: "9rem", firstDir: "desc", cell: (i) => utilizationCell(i.utilization), update: (cell, i) => updateUtilization(cell, i.utilization) },
    ];
    this.table = new DataTable({
      caption: "Interfaces",
      columns,
      virtual: true,
      onSort: (key, firstDir) => {
        this.sort = nextSort(this.sort, key, firstDir);
        const param = sortToParam(this.sort);
        this.setQuery({ sort: param === sortToParam(DEFAULT_SORT) ? null : param });
      },
      emptyRow: () => html`No interface matches these filters.`,
    });

    this.search.addEventListener("input", () => this.setQuery({ q: this.search.value.trim() || null }));
    this.stateFilter.addEventListener("change", () => this.setQuery({ state: this.stateFilter.value || null }));

    this.element = h(
      "div",
      {},
      h(
        "div",
        { class: "toolbar" },
        h("div", { class: "field inline" }, h("label", { for: "interface-search" }, "Filter"), this.search),
        h("div", { class: "field inline" }, h("label", { for: "interface-state" }, "State"), this.stateFilter),
      ),
      this.meta,
      this.table.element,
    );
  }

  /** A new list from the server; the table owns its rows from now on (`patch` changes their rates). */
  setRows(rows: readonly InterfaceView[]): void {
    this.rows = rows;
    this.byIndex = byIfIndex(rows);
    this.draw();
  }

  /**
   * The rates of a `sample` event (one poll) written into the rows at once, so the event is garbage
   * as soon as it is read (held until the next frame, 4,000 rates outlived a young collection and
   * were promoted); the rows in view are redrawn at the next frame, once however many polls came,
   * if a rate moved. The filtered list stays (no filter looks at rates); it is sorted again, in
   * place, only when sorted by a rate.
   */
  patch(event: SampleEvent): void {
    if (patchRates(this.byIndex, event)) this.redrawLater();
  }

  private readonly redrawLater = oncePerFrame(() => {
    if (RATE_KEYS.has(this.sort.key)) resortRows(this.visible, this.sort, sortValue, (a, b) => a.ifIndex - b.ifIndex);
    this.table.redraw();
  });

  private setQuery(changes: Record<string, string | null>): void {
    this.query = withParams(this.query, changes);
    this.onQuery(this.query);
    this.table.scrollToTop();
    this.draw();
  }

  private draw(): void {
    const state = this.stateFilter.value;
    const byState = state ? this.rows.filter((i) => interfaceCondition(i.adminStatus, i.operStatus) === state) : this.rows;
    const visible = sortRows(filterRows(byState, this.search.value, (i) => [i.ifName, i.ifDescr, i.ifAlias]), this.sort, sortValue);
    this.visible = visible;
    this.table.setSort(this.sort);
    this.table.setRows(visible);
    const total = this.rows.length;
    this.meta.textContent = visible.length === total ? `${total} interfaces` : `${visible.length} of ${total} interfaces`;
  }
}
