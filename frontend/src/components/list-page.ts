//! The list half of an admin page (users, tokens, alert rules, channels, maintenance windows, incidents):
//! a table loaded from the API inside the four async states, the status line that says what an action
//! did, row buttons (`button[data-action]` naming their row in a `data-<rowAttr>` attribute) dispatched to
//! the page's handlers, and "delete after a confirmation, then say so and reload". The page keeps only
//! what is its own: columns, texts and API calls.

import { isAbort } from "../api/client";
import { AsyncView } from "./async-view";
import { confirmDialog, type ConfirmOptions } from "./confirm-dialog";
import { DataTable, type Column, type DataTableOptions } from "./data-table";
import { h } from "./dom";

export interface ListPageOptions<T> {
  /** The table's (visually hidden) caption. */
  caption: string;
  columns: Column<T, never>[];
  /** Said while loading, e.g. "Loading rules…". */
  loadingText: string;
  /** The empty state; without it an empty list draws an empty table. */
  empty?: () => Node;
  /** Reads the rows; `signal` is the page's. */
  fetch: (signal: AbortSignal) => Promise<T[]>;
  signal: AbortSignal;
  /** Row buttons carry `data-<rowAttr>="<rowId(row)>"`. */
  rowAttr: string;
  rowId: (row: T) => string;
  /** What a click on `button[data-action=<key>]` does with its row. */
  actions?: Record<string, (row: T, button: HTMLButtonElement) => unknown>;
  /** Extra classes of the status line (it always has "muted"). */
  statusClass?: string;
  /** Other table options (row classes, details). */
  table?: Omit<DataTableOptions<T, never>, "caption" | "columns">;
}

export class ListPage<T> {
  readonly table: DataTable<T, never>;
  readonly view: AsyncView<T[]>;
  /** Says what the last action did (role=status, read out by screen readers). */
  readonly status: HTMLElement;
  private current: T[] = [];

  constructor(private readonly options: ListPageOptions<T>) {
    this.status = h("p", { class: ["muted", options.statusClass].filter(Boolean).join(" "), role: "status" });
    this.table = new DataTable<T, never>({ ...options.table, caption: options.caption, columns: options.columns });
    const empty = options.empty;
    this.view = new AsyncView<T[]>({
      loadingText: options.loadingText,
      ...(empty ? { isEmpty: (rows: T[]) => rows.length === 0, empty } : {}),
      render: (rows, container) => {
        if (!container.firstChild) container.append(this.table.element);
        this.table.setRows(rows);
      },
      retry: () => void this.load(),
    });
    this.table.element.addEventListener("click", (event) => {
      const button = (event.target as Element).closest<HTMLButtonElement>("button[data-action]");
      if (!button) return;
      const action = options.actions?.[button.dataset.action ?? ""];
      const id = button.getAttribute(`data-${options.rowAttr}`);
      const row = this.current.find((r) => options.rowId(r) === id);
      if (action && row !== undefined) void action(row, button);
    });
  }

  /** The rows shown now. */
  get rows(): readonly T[] {
    return this.current;
  }

  /** Reads the rows again; the first time shows "loading", later ones keep the table on screen. */
  async load(): Promise<void> {
    if (!this.current.length) this.view.loading();
    try {
      this.show(await this.options.fetch(this.options.signal));
    } catch (err) {
      if (!isAbort(err)) this.view.error(err);
    }
  }

  /** Draws `rows` (a live update, say) without reading them again. */
  show(rows: T[]): void {
    this.current = rows;
    this.view.data(rows);
  }

  say(message: string): void {
    this.status.textContent = message;
  }

  /**
   * Asks in a confirm dialog that runs the deletion; once done, says `done` and reloads. When cancelled,
   * focus goes back to the button that asked. Resolves whether it was done.
   */
  async confirmThen(button: HTMLButtonElement, dialog: ConfirmOptions, done: string): Promise<boolean> {
    if (!(await confirmDialog(dialog))) {
      button.focus();
      return false;
    }
    this.say(done);
    void this.load();
    return true;
  }

  /** `confirmThen` in the alert pages' words: "Delete <noun> <name>?", then "Deleted <noun> <name>.". */
  confirmDelete(button: HTMLButtonElement, noun: string, name: string, body: string, remove: () => Promise<void>): Promise<boolean> {
    return this.confirmThen(button, { title: `Delete ${noun} ${name}?`, body, confirmLabel: `Delete ${noun}`, busyLabel: "Deleting…", action: remove }, `Deleted ${noun} ${name}.`);
  }
}
