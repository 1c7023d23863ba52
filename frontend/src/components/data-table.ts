//! A sortable table built for hundreds of rows: the body is rendered in one innerHTML pass from escaped
//! markup, and the header has a single delegated listener (no listener per row or cell). Links inside
//! cells are plain <a href> handled by the router's document-level listener. Sort state is owned by the
//! caller (it lives in the URL); the table only draws it and reports clicks.

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

export interface DataTableOptions<T, K extends string> {
  caption: string;
  columns: readonly Column<T, K>[];
  onSort: (key: K, firstDir: SortDir) => void;
  /** Shown in a full-width row when there are no rows (e.g. nothing matches the filter). */
  emptyRow?: () => Html;
  rowClass?: (row: T) => string;
}

export class DataTable<T, K extends string> {
  readonly element: HTMLElement;
  private readonly thead: HTMLTableSectionElement;
  private readonly tbody: HTMLTableSectionElement;

  constructor(private readonly options: DataTableOptions<T, K>) {
    this.thead = h("thead");
    this.tbody = h("tbody");
    const caption = h("caption", { class: "visually-hidden" }, options.caption);
    const table = h("table", { class: "data-table" }, caption, this.thead, this.tbody);
    // The scroll wrapper is focusable so keyboard users can scroll a wide table on a phone.
    this.element = h("div", { class: "table-scroll", tabindex: "0", role: "region", "aria-label": options.caption }, table);
    setHtml(
      this.thead,
      html`<tr>${options.columns.map(
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
      if (column?.sort) options.onSort(column.sort, column.firstDir ?? "asc");
    });
  }

  setSort(sort: SortState<K>): void {
    for (const th of this.thead.querySelectorAll<HTMLElement>("th")) {
      const active = th.dataset.key !== "" && th.dataset.key === sort.key;
      if (active) th.setAttribute("aria-sort", sort.dir === "asc" ? "ascending" : "descending");
      else th.removeAttribute("aria-sort");
    }
  }

  setRows(rows: readonly T[]): void {
    const { columns, rowClass, emptyRow } = this.options;
    if (rows.length === 0 && emptyRow) {
      setHtml(this.tbody, html`<tr class="empty-row"><td colspan="${columns.length}">${emptyRow()}</td></tr>`);
      return;
    }
    setHtml(
      this.tbody,
      html`${rows.map(
        (row) => html`<tr class="${rowClass?.(row) ?? ""}">${columns.map((c) => html`<td class="${c.className ?? ""}">${c.cell(row)}</td>`)}</tr>`,
      )}`,
    );
  }
}
