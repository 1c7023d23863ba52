//! A sortable table built for hundreds of rows: the body is rendered in one innerHTML pass from escaped
//! markup, and the header has a single delegated listener (no listener per row or cell). Links inside
//! cells are plain <a href> handled by the router's document-level listener. Sort state is owned by the
//! caller (it lives in the URL); the table only draws it and reports clicks.
//! Rows may open to show details (`details`): a toggle button per row with aria-expanded, the detail row
//! inserted under it on demand, open rows and the focused toggle kept across redraws.
//! For thousands of rows (`virtual`), the wrapper becomes the scroll container (so the sticky header
//! sticks: it scrolls in both directions) and only the rows in view plus a margin are in the DOM, between
//! two spacer rows that keep the scroll bar true; the table announces the full count (`aria-rowcount`).

import { rowWindow, sameWindow, type RowWindow } from "../lib/row-window";
import type { SortDir, SortState } from "../lib/table-rows";
import { h, html, Html, setHtml } from "./dom";

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
  /** A CSS width for the column (virtual tables lay out from the header, so rows never shift). */
  width?: string;
  /**
   * Brings a drawn cell of a virtual table up to date in place when its markup changed (live values),
   * keeping elements that cost to make again (a `<meter>` has its own shadow tree); true when done,
   * false to have the cell's markup replaced.
   */
  update?: (cell: Element, row: T) => boolean;
}

/** Markup without tags or character references: its own text, set without the HTML parser. */
const PLAIN_TEXT = /^[^<&]*$/;

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
  /** Draw only the rows in view (one line each; no `details`): DOM size independent of the list's. */
  virtual?: boolean;
}

/** Rows drawn above and below the visible ones, so a fast scroll shows rows, not blank space. */
export const OVERSCAN_ROWS = 12;
/** A virtual row's height before one has been measured; the CSS sets the same. */
const DEFAULT_ROW_PX = 30;

let tables = 0;

export class DataTable<T, K extends string> {
  readonly element: HTMLElement;
  private readonly thead: HTMLTableSectionElement;
  private readonly tbody: HTMLTableSectionElement;
  private readonly idPrefix = `table${++tables}`;
  private readonly open = new Set<string>();
  private byKey = new Map<string, T>();
  private readonly table: HTMLTableElement;
  private rows: readonly T[] = [];
  private rowHeight = DEFAULT_ROW_PX;
  private drawn: RowWindow | null = null;
  /** The markup of each cell drawn (by row in the window, then column) and each row's class. */
  private drawnCells: { cells: string[]; rowClass: string }[] = [];
  /** Whether the row height was measured (once: a forced layout at every redraw cost tens of ms). */
  private rowMeasured = false;
  private frame = 0;

  constructor(private readonly options: DataTableOptions<T, K>) {
    this.thead = h("thead");
    this.tbody = h("tbody");
    const caption = h("caption", { class: "visually-hidden" }, options.caption);
    const virtual = options.virtual === true;
    const table = h("table", { class: virtual ? "data-table virtual" : "data-table" }, caption, this.thead, this.tbody);
    this.table = table;
    // The scroll wrapper is focusable so keyboard users can scroll a wide (or, virtual, a long) table.
    this.element = h("div", { class: virtual ? "table-scroll virtual" : "table-scroll", tabindex: "0", role: "region", "aria-label": options.caption }, table);
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
    options.columns.forEach((c, i) => {
      const th = this.thead.querySelectorAll<HTMLElement>("th")[i + (options.details ? 1 : 0)];
      if (c.width && th) th.style.width = c.width;
    });
    if (virtual) {
      // One redraw per frame however many scroll events; only when the window of rows moved.
      const later = () => {
        if (this.frame) return;
        this.frame = requestAnimationFrame(() => {
          this.frame = 0;
          this.drawWindow(false);
        });
      };
      this.element.addEventListener("scroll", later, { passive: true });
      new ResizeObserver(later).observe(this.element);
    }
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

  /** The rows a virtual table holds (all of them, drawn or not). */
  get rowCount(): number {
    return this.rows.length;
  }

  /** Scrolls a virtual table back to its first row (a new filter or sort). */
  scrollToTop(): void {
    this.element.scrollTop = 0;
  }

  /**
   * Draws a virtual table's rows in view again, after the caller changed them in place (live rates, a
   * re-sort of the same array): only the cells whose markup changed are replaced.
   */
  redraw(): void {
    if (this.options.virtual) this.drawWindow(true);
  }

  setRows(rows: readonly T[]): void {
    if (this.options.virtual) {
      this.rows = rows;
      this.table.setAttribute("aria-rowcount", String(rows.length + 1));
      this.drawWindow(true);
      return;
    }
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

  /** Draws the rows in view of a virtual table; `force` after the rows changed, else only if it scrolled. */
  private drawWindow(force: boolean): void {
    const { columns, rowClass, emptyRow } = this.options;
    if (this.rows.length === 0) {
      this.drawn = null;
      setHtml(this.tbody, emptyRow ? html`<tr class="empty-row"><td colspan="${this.width}">${emptyRow()}</td></tr>` : html``);
      return;
    }
    const head = this.thead.offsetHeight;
    // The box is as tall as its rows until it reaches its CSS maximum: before the first rows are drawn it
    // is only the header, so the window's height stands in (a few rows too many at worst).
    const viewport = Math.max(this.element.clientHeight, window.innerHeight) - head;
    const win = rowWindow(this.rows.length, this.rowHeight, this.element.scrollTop - head, viewport, OVERSCAN_ROWS);
    if (!force && sameWindow(this.drawn, win)) return;
    const sameRows = sameWindow(this.drawn, win);
    this.drawn = win;
    const inView = this.rows.slice(win.start, win.end);
    const drawn = inView.map((row) => ({ cells: columns.map((c) => c.cell(row).value), rowClass: rowClass?.(row) ?? "" }));
    // New rows in the same window (live rates): only the cells whose markup changed are replaced, so a
    // poll rewrites the rate cells, not 60 rows of elements to style and lay out again.
    if (sameRows && this.patchCells(drawn, inView)) return;
    this.drawnCells = drawn;
    setHtml(
      this.tbody,
      html`<tr class="spacer" aria-hidden="true"><td colspan="${this.width}"></td></tr>${drawn.map(
        (row, i) => html`<tr class="${row.rowClass}" aria-rowindex="${win.start + i + 2}">${row.cells.map(
          (cell, c) => html`<td class="${columns[c]?.className ?? ""}">${new Html(cell)}</td>`,
        )}</tr>`,
      )}<tr class="spacer" aria-hidden="true"><td colspan="${this.width}"></td></tr>`,
    );
    const [top, bottom] = this.tbody.querySelectorAll<HTMLElement>("tr.spacer > td");
    if (top) top.style.height = `${win.padTop}px`;
    if (bottom) bottom.style.height = `${win.padBottom}px`;
    // The CSS fixes the row height; measure it once (fonts, zoom) and redraw if the guess was off.
    if (this.rowMeasured) return;
    const measured = this.tbody.querySelector("tr:not(.spacer)")?.getBoundingClientRect().height ?? 0;
    this.rowMeasured = measured > 0;
    if (measured > 0 && Math.abs(measured - this.rowHeight) > 0.5) {
      this.rowHeight = measured;
      this.drawWindow(true);
    }
  }

  /**
   * Brings the cells (and row classes) that differ from those drawn up to date: in place where the
   * column can, as text where the markup is plain text, else by replacing the cell's markup. False
   * when the drawn rows do not line up.
   */
  private patchCells(next: { cells: string[]; rowClass: string }[], rows: readonly T[]): boolean {
    const trs = this.tbody.children;
    const { columns } = this.options;
    if (next.length !== this.drawnCells.length || trs.length !== next.length + 2) return false;
    next.forEach((row, i) => {
      const before = this.drawnCells[i];
      const tr = trs[i + 1];
      const data = rows[i];
      if (!before || !tr || data === undefined) return;
      if (row.rowClass !== before.rowClass) tr.className = row.rowClass;
      row.cells.forEach((cell, c) => {
        const td = tr.children[c];
        if (!td || cell === before.cells[c] || columns[c]?.update?.(td, data)) return;
        if (PLAIN_TEXT.test(cell)) td.textContent = cell;
        else td.innerHTML = cell;
      });
    });
    this.drawnCells = next;
    return true;
  }
}
