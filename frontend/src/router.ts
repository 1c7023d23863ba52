//! History-API routing: the URL is the state of the app (shareable links, back/forward work).
//! It maps a path to a page module, mounts it into <main>, gives it an AbortSignal that fires when the
//! page is left (cancelling its requests and timers), and intercepts same-origin link clicks.
//! When only the query string changes (or the tab of a device page), the mounted page gets
//! `update(query, route)` instead of a remount. Before a page is shown the guard (lib/access.ts) may send
//! the person to the login page or the password change, or refuse the page for their role.

import { errorMessage } from "./components/async-view";
import { h } from "./components/dom";
import { takeFlash } from "./components/flash";
import type { Guard } from "./lib/access";
import { matchRoute, routeKey, type Route } from "./lib/route";

export interface ViewContext<R extends Route = Route> {
  route: R;
  query: URLSearchParams;
  root: HTMLElement;
  /** Aborted when the page is left: pass it to every request and timer. */
  signal: AbortSignal;
  navigate: (url: string, options?: { replace?: boolean }) => void;
  /** Mirror page state (search text, sort) in the URL without re-rendering or adding history. */
  replaceQuery: (query: URLSearchParams) => void;
  setTitle: (title: string) => void;
}

export interface ViewInstance {
  /** Called when only the query string or a tab changed (e.g. back/forward between graph ranges). */
  update?: (query: URLSearchParams, route: Route) => void;
}

export type ViewFactory = (ctx: ViewContext) => ViewInstance | void;
/** Page modules by route name; a loader may be a dynamic import so its code is fetched on first use. */
export type ViewTable = Record<Route["name"], () => Promise<ViewFactory>>;
/** Whether `route` may be shown; `here` is the path and query asked for. */
export type RouteGuard = (route: Route, here: string) => Guard;

export class Router {
  private key: string | null = null;
  private instance: ViewInstance | void = undefined;
  private controller: AbortController | null = null;
  private generation = 0;

  constructor(
    private readonly root: HTMLElement,
    private readonly views: ViewTable,
    private readonly guard: RouteGuard = () => ({ kind: "show" }),
  ) {}

  start(): void {
    window.addEventListener("popstate", () => void this.render(false));
    document.addEventListener("click", (event) => this.onClick(event));
    void this.render(false);
  }

  navigate = (url: string, options: { replace?: boolean } = {}): void => {
    const target = new URL(url, window.location.href);
    const current = window.location.pathname + window.location.search;
    if (target.pathname + target.search === current && !options.replace) return;
    if (options.replace) history.replaceState(null, "", target);
    else history.pushState(null, "", target);
    void this.render(true);
  };

  private replaceQuery = (query: URLSearchParams): void => {
    const search = query.toString();
    history.replaceState(history.state, "", `${window.location.pathname}${search ? `?${search}` : ""}`);
  };

  private async render(moveFocus: boolean): Promise<void> {
    const route = matchRoute(window.location.pathname);
    const verdict = this.guard(route, window.location.pathname + window.location.search);
    if (verdict.kind === "redirect") {
      // Replaced, not pushed: Back must not return to a page that would redirect again.
      history.replaceState(null, "", verdict.to);
      return this.render(moveFocus);
    }
    const key = verdict.kind === "forbidden" ? `forbidden:${routeKey(route)}` : routeKey(route);
    const query = new URLSearchParams(window.location.search);
    markNavigation(route);

    if (key === this.key && this.instance?.update) {
      this.instance.update(query, route);
      return;
    }

    this.controller?.abort();
    const controller = new AbortController();
    this.controller = controller;
    this.key = key;
    this.instance = undefined;
    const generation = ++this.generation;

    let factory: ViewFactory;
    try {
      factory = verdict.kind === "forbidden" ? forbiddenView(verdict.message) : await this.views[route.name]();
    } catch (err) {
      // Usually a new version was deployed and an old chunk is gone: a reload fixes it.
      if (generation !== this.generation) return;
      this.root.replaceChildren(
        h("div", { class: "error-state", role: "alert" }, h("p", { class: "error-title" }, "This page could not be loaded"), h("p", {}, errorMessage(err)),
          h("button", { type: "button", class: "button", onclick: () => window.location.reload() }, "Reload")),
      );
      return;
    }
    if (generation !== this.generation) return;

    this.root.replaceChildren();
    const flash = takeFlash();
    if (flash) this.root.append(flash);
    this.instance = factory({
      route,
      query,
      root: this.root,
      signal: controller.signal,
      navigate: this.navigate,
      replaceQuery: this.replaceQuery,
      setTitle: (title) => {
        document.title = title ? `${title} · Vigie` : "Vigie";
      },
    });
    if (moveFocus) {
      window.scrollTo(0, 0);
      // Screen readers announce the new page from its heading.
      const heading = this.root.querySelector<HTMLElement>("h1");
      if (heading) {
        heading.tabIndex = -1;
        heading.focus({ preventScroll: true });
      } else {
        this.root.focus({ preventScroll: true });
      }
    }
  }

  private onClick(event: MouseEvent): void {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const anchor = (event.target as Element | null)?.closest?.("a[href]");
    if (!(anchor instanceof HTMLAnchorElement) || anchor.target || anchor.hasAttribute("download")) return;
    const url = new URL(anchor.href);
    if (url.origin !== window.location.origin || url.pathname.startsWith("/api/")) return;
    event.preventDefault();
    this.navigate(url.pathname + url.search + url.hash);
  }
}

/** The page shown instead of one the person's role cannot use. */
function forbiddenView(message: string): ViewFactory {
  return (ctx) => {
    ctx.setTitle("Not allowed");
    ctx.root.append(
      h("div", { class: "error-state", role: "alert" }, h("h1", { class: "error-title" }, "Not allowed"), h("p", {}, message), h("a", { class: "button", href: "/" }, "Back to devices")),
    );
  };
}

const SECTIONS: Partial<Record<Route["name"], string>> = { newDevice: "new", overview: "overview", logs: "logs", users: "users", tokens: "tokens", alerts: "alerts", alertRules: "alerts", alertChannels: "alerts", maintenance: "alerts" };

/** Highlights the header link of the current section. */
function markNavigation(route: Route): void {
  const section = SECTIONS[route.name] ?? null;
  for (const link of document.querySelectorAll<HTMLAnchorElement>("[data-nav]")) {
    if (link.dataset.nav === section) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
}
