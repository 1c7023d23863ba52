//! The four states every data view draws: loading, error, empty, data. One instance wraps one region
//! of a page. The data region is kept between renders (a chart or a table inside it survives a refresh);
//! a failed refresh keeps the last data on screen under a notice instead of blanking the page.

import { ApiError } from "../api/client";
import { h } from "./dom";

export type AsyncState = "loading" | "error" | "empty" | "data";

export interface AsyncViewOptions<T> {
  /** Draws `data` into `container`, which is the same element every time: update in place when you can. */
  render: (data: T, container: HTMLElement) => void;
  /** Whether `data` has nothing to show; the empty state is drawn instead. */
  isEmpty?: (data: T) => boolean;
  /** What the empty state says, and usually the action that fills it. */
  empty?: () => Node;
  /** Offered as "Try again" in the error state. */
  retry?: () => void;
  /** Said while loading, e.g. "Loading devices…". */
  loadingText?: string;
}

export class AsyncView<T> {
  readonly element: HTMLElement;
  private readonly notice: HTMLElement;
  private readonly status: HTMLElement;
  private readonly content: HTMLElement;
  private current: AsyncState | null = null;
  private hasData = false;

  constructor(private readonly options: AsyncViewOptions<T>) {
    this.notice = h("div", { class: "async-notice", role: "alert", hidden: true });
    this.status = h("div", { class: "async-status", "aria-live": "polite" });
    this.content = h("div", { class: "async-content", hidden: true });
    this.element = h("div", { class: "async-view" }, this.notice, this.status, this.content);
  }

  get state(): AsyncState | null {
    return this.current;
  }

  /**
   * Loading. The first time, a loading message replaces everything; once something is shown it stays,
   * marked busy (dimmed by CSS only if the load is slow, so refreshes don't flicker).
   */
  loading(): void {
    if (this.current === "data" || this.current === "empty") {
      this.element.setAttribute("aria-busy", "true");
      this.element.classList.add("is-busy");
      return;
    }
    this.show("loading");
    this.element.setAttribute("aria-busy", "true");
    this.status.replaceChildren(h("p", { class: "loading" }, h("span", { class: "spinner", "aria-hidden": "true" }), this.options.loadingText ?? "Loading…"));
  }

  error(err: unknown): void {
    const message = errorMessage(err);
    if (this.hasData && this.current === "data") {
      // Keep what the person is looking at; say it may be stale.
      this.idle();
      this.notice.hidden = false;
      this.notice.replaceChildren(h("span", {}, `Could not refresh: ${message} Showing the last data received.`), this.retryButton() ?? "");
      return;
    }
    this.show("error");
    this.status.replaceChildren(
      h("div", { class: "error-state", role: "alert" }, h("p", { class: "error-title" }, errorTitle(err)), h("p", {}, message), this.retryButton() ?? ""),
    );
  }

  data(value: T): void {
    if (this.options.isEmpty?.(value)) {
      this.show("empty");
      this.status.replaceChildren(h("div", { class: "empty-state" }, this.options.empty?.() ?? "Nothing to show yet."));
      return;
    }
    this.show("data");
    this.hasData = true;
    this.options.render(value, this.content);
  }

  private show(state: AsyncState): void {
    this.idle();
    this.current = state;
    this.notice.hidden = true;
    this.notice.replaceChildren();
    this.content.hidden = state !== "data";
    this.status.hidden = state === "data";
    if (state === "data") this.status.replaceChildren();
    this.element.dataset.state = state;
  }

  private idle(): void {
    this.element.removeAttribute("aria-busy");
    this.element.classList.remove("is-busy");
  }

  private retryButton(): HTMLElement | null {
    const retry = this.options.retry;
    return retry ? h("button", { type: "button", class: "button", onclick: () => retry() }, "Try again") : null;
  }
}

function errorTitle(err: unknown): string {
  if (err instanceof ApiError) {
    if (err.status === 0) return "The server cannot be reached";
    if (err.status === 404) return "Not found";
    if (err.status >= 500) return "The server had a problem";
  }
  return "Something went wrong";
}

/** A sentence for people: the server's message when there is one. */
export function errorMessage(err: unknown): string {
  if (err instanceof ApiError) return ensurePeriod(err.message);
  if (err instanceof Error) return ensurePeriod(err.message);
  return "Unknown error.";
}

function ensurePeriod(text: string): string {
  return /[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`;
}
