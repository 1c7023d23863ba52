//! A sortable table built for hundreds of rows: the body is rendered in one innerHTML pass from escaped
//! markup, and the header has a single delegated listener (no listener per row or cell). Links inside
//! cells are plain <a href> handled by the router's document-level listener. Sort state is owned by the
//! caller (it lives in the URL); the table only draws it and reports clicks.
//! Rows may open to show details (`details`): a toggle button per row with aria-expanded, the detail row
//! inserted under it on demand, open rows and the focused toggle kept across redraws.

import type { SortDir, SortState } from "../lib/table-rows";
import { h, html, setHtml, type Html } from "./dom";

export interface Column<T, K extends string> {
  label: string;
  /** Cell markup; must come from `html` so server text is escaped. */
  cell: (row: T) => Html;
  /** The sort key a click on this header selects; unsortable without it. */
  sort?: K;
  /** Direction of the first click: "desc" for rates and counts, so the biggest come first. */
  firstDir?: SortDir;
  /** "num" right-aligns figures; "optional" columns are hidden on narrow screens. */
  className?: string;
}

export interface RowDetails<T> {
  /** A stable key per row (its id): an open row stays open when the rows are redrawn. */
  key: (row: T) => string;
  /** The toggle's accessible name, e.g. "Details of the 14:03:27 entry". */
  label: (row: T) => string;
  /** Markup of the detail, drawn only while the row is open; must come from `html`. */
  render: (row: T) => Html;
}

export interface DataTableOptions<T, K extends string> {
  caption: string;
  columns: readonly Column<T, K>[];
  /** Header clicks on sortable columns; a table without sortable columns needs none. */
  onSort?: (key: K, firstDir: SortDir) => void;
  details?: RowDetails<T>;
  /** Shown in a full-width row when there are no rows (e.g. nothing matches the filter). */
  emptyRow?: () => Html;
  rowClass?: (row: T) => string;
}

let tables = 0;

export class DataTable<T, K extends string> {
  readonly element: HTMLElement;
  private readonly thead: HTMLTableSectionElement;
  private readonly tbody: HTMLTableSectionElement;
  private readonly idPrefix = `table${++tables}`;
  private readonly open = new Set<string>();
  private byKey = new Map<string, T>();

  constructor(private readonly options: DataTableOptions<T, K>) {
    this.thead = h("thead");
    this.tbody = h("tbody");
    const caption = h("caption", { class: "visually-hidden" }, options.caption);
    const table = h("table", { class: "data-table" }, caption, this.thead, this.tbody);
    // The scroll wrapper is focusable so keyboard users can scroll a wide table on a phone.
    this.element = h("div", { class: "table-scroll", tabindex: "0", role: "region", "aria-label": options.caption }, table);
    setHtml(
      this.thead,
      html`<tr>${options.details ? html`<th scope="col" class="toggle-col"><span class="visually-hidden">Details</span></th>` : null}${options.columns.map(
        (c) => html`<th scope="col" class="${c.className ?? ""}" data-key="${c.sort ?? ""}">${
          c.sort
            ? html`<button type="button" class="sort-button" data-sort="${c.sort}">${c.label}<span class="sort-icon" aria-hidden="true"></span></button>`
            : c.label
        }</th>`,
      )}</tr>`,
    );
    this.thead.addEventListener("click", (event) => {
      const button = (event.target as Element).closest<HTMLButtonElement>("button[data-sort]");
      const column = options.columns.find((c) => c.sort !== undefined && c.sort === button?.dataset.sort);
      if (column?.sort) options.onSort?.(column.sort, column.firstDir ?? "asc");
    });
    if (options.details) this.tbody.addEventListener("click", (event) => this.onBodyClick(event));
  }

  private get width(): number {
    return this.options.columns.length + (this.options.details ? 1 : 0);
  }

  /** Opens or closes a row's details; a click on a row outside its links opens it too (a bigger target). */
  private onBodyClick(event: Event): void {
    const target = event.target as Element;
    const button = target.closest<HTMLButtonElement>("button.row-toggle");
    let key = button?.dataset.rowKey;
    if (!button) {
      if (target.closest("a, button, input, select, .detail-row") || window.getSelection()?.toString()) return;
      key = target.closest<HTMLElement>("tr[data-row-key]")?.dataset.rowKey;
    }
    if (key !== undefined) this.toggle(key);
  }

  private toggle(key: string): void {
    const details = this.options.details;
    const row = this.byKey.get(key);
    const tr = [...this.tbody.querySelectorAll<HTMLTableRowElement>("tr[data-row-key]")].find((r) => r.dataset.rowKey === key);
    const button = tr?.querySelector<HTMLButtonElement>("button.row-toggle");
    if (!details || row === undefined || !tr || !button) return;
    if (this.open.delete(key)) {
      if (tr.nextElementSibling?.classList.contains("detail-row")) tr.nextElementSibling.remove();
      button.setAttribute("aria-expanded", "false");
      button.removeAttribute("aria-controls");
      return;
    }
    this.open.add(key);
    const body = document.createElement("tbody");
    setHtml(body, this.detailRow(key, row));
    tr.after(...body.childNodes);
    button.setAttribute("aria-expanded", "true");
    button.setAttribute("aria-controls", this.detailId(key));
  }

  private detailId(key: string): string {
    return `${this.idPrefix}-detail-${key.replace(/[^A-Za-z0-9_-]/g, "_")}`;
  }

  private detailRow(key: string, row: T): Html {
    return html`<tr class="detail-row" id="${this.detailId(key)}"><td colspan="${this.width}">${this.options.details!.render(row)}</td></tr>`;
  }

  private toggleCell(key: string, row: T): Html {
    const open = this.open.has(key);
    return html`<td class="toggle-cell"><button type="button" class="row-toggle" data-row-key="${key}" aria-expanded="${open ? "true" : "false"}"${
      open ? html` aria-controls="${this.detailId(key)}"` : null
    } aria-label="${this.options.details!.label(row)}"></button></td>`;
  }

  setSort(sort: SortState<K>): void {
    for (const th of this.thead.querySelectorAll<HTMLElement>("th")) {
      const active = th.dataset.key !== "" && th.dataset.key === sort.key;
      if (active) th.setAttribute("aria-sort", sort.dir === "asc" ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    }
  }

  setRows(rows: readonly T[]): void {
    const { columns, rowClass, emptyRow, details } = this.options;
    // A redraw (a live entry arriving) must not take the keyboard away from the toggle it was on.
    const active = document.activeElement;
    const focusedKey = active instanceof HTMLElement && this.tbody.contains(active) ? active.dataset.rowKey : undefined;
    if (rows.length === 0 && emptyRow) {
      this.byKey = new Map();
      setHtml(this.tbody, html`<tr class="empty-row"><td colspan="${this.width}">${emptyRow()}</td></tr>`);
      return;
    }
    const keyed = rows.map((row) => ({ row, key: details ? details.key(row) : "" }));
    if (details) this.byKey = new Map(keyed.map(({ row, key }) => [key, row]));
    setHtml(
      this.tbody,
      html`${keyed.map(
        ({ row, key }) => html`<tr class="${rowClass?.(row) ?? ""}"${details ? html` data-row-key="${key}"` : null}>${details ? this.toggleCell(key, row) : null}${columns.map(
          (c) => html`<td class="${c.className ?? ""}">${c.cell(row)}</td>`,
        )}</tr>${details && this.open.has(key) ? this.detailRow(key, row) : null}`,
      )}`,
    );
    if (focusedKey !== undefined) {
      [...this.tbody.querySelectorAll<HTMLButtonElement>("button.row-toggle")].find((b) => b.dataset.rowKey === focusedKey)?.focus({ preventScroll: true });
    }
  }
}
