//! Interface graph (`/devices/:id/interfaces/:ifIndex?range=1h`, or `?from=&to=`): in/out bit/s over
//! time with the per-step maximum, gaps, the 95th percentile, presets, custom range and drag-to-zoom.
//! Loaded on first use (it brings Chart.js). Live mode (interface-live.ts) loads the last 15 minutes once
//! and then grows the same chart from the server's event stream.

import { ApiError, getDevice, getInterface, getTraffic, isAbort, type DeviceView, type TrafficResponse } from "../api/client";
import { AsyncView } from "../components/async-view";
import { fromHtml, h, html } from "../components/dom";
import { interfaceBadge } from "../components/status-badge";
import { attachDragSelect } from "../charts/drag-select";
import { TrafficChart } from "../charts/traffic-chart";
import { chartOptions, THEMES, type ColorScheme } from "../lib/chart-options";
import { formatBps, formatTimestamp, MISSING } from "../lib/format";
import { livePointsFor } from "../lib/live-traffic";
import { href } from "../lib/route";
import {
  describeRange,
  fromLocalInputValue,
  maxPointsFor,
  MIN_CUSTOM_SECS,
  parseRange,
  PRESET_LABELS,
  PRESETS,
  rangeToQuery,
  resolveWindow,
  toLocalInputValue,
  type TimeRange,
  type TimeWindow,
} from "../lib/time-range";
import { hasSamples, summarize, toChartData, type DirectionSummary } from "../lib/traffic-data";
import type { ViewContext, ViewInstance } from "../router";
import { startLiveFeed, type LiveFeed } from "./interface-live";
import { interfaceLabel } from "./interface-table";

/** Live mode never polls the server faster than this, whatever the device's interval. */
const MIN_LIVE_REFRESH_SECS = 5;

interface Loaded {
  traffic: TrafficResponse;
  window: TimeWindow;
}

const darkQuery = () => window.matchMedia("(prefers-color-scheme: dark)");
const scheme = (): ColorScheme => (darkQuery().matches ? "dark" : "light");
const nowSecs = () => Math.floor(Date.now() / 1000);
const isLive = (range: TimeRange) => range.kind === "preset" && range.preset === "live";

function summaryTable(s: { in: DirectionSummary; out: DirectionSummary }): HTMLElement {
  const row = (label: string, d: DirectionSummary) =>
    html`<tr><th scope="row">${label}</th><td>${formatBps(d.latest)}</td><td>${formatBps(d.average)}</td><td>${formatBps(d.peak)}</td><td>${formatBps(d.p95)}</td></tr>`;
  const table = h("table", { class: "summary-table" });
  table.append(
    fromHtml(html`<caption>Figures for the window</caption>
      <thead><tr><td></td><th scope="col">Latest</th><th scope="col">Average</th><th scope="col">Peak</th><th scope="col"><abbr title="95th percentile of the averages, nearest rank">95th pct</abbr></th></tr></thead>
      <tbody>${row("In", s.in)}${row("Out", s.out)}</tbody>`),
  );
  return table;
}

export function interfaceGraphView(ctx: ViewContext): ViewInstance | void {
  if (ctx.route.name !== "interface") return;
  const { id, ifIndex } = ctx.route;
  let range: TimeRange = parseRange(ctx.query);
  let device: DeviceView | null = null;
  // Live mode needs the poll interval before its first load, so the device is fetched once, up front.
  const deviceReady: Promise<DeviceView | null> = getDevice(id, ctx.signal).then(
    (d) => (device = d),
    () => null,
  );
  let shownWindow: TimeWindow | null = null;
  let chart: TrafficChart | null = null;
  let loadController: AbortController | null = null;
  let liveController: AbortController | null = null;
  let liveFeed: LiveFeed | null = null;

  // Header: device and interface identity.
  const crumbDevice = h("a", { href: href.device(id) }, "Device");
  const crumbInterface = h("span", { "aria-current": "page" }, `Interface ${ifIndex}`);
  const heading = h("h1", {}, `Interface ${ifIndex}`);
  const meta = h("p", { class: "graph-meta" });
  const inNow = h("span", {});
  const outNow = h("span", {});

  // Range controls: presets are links (shareable, keyboard-friendly), custom is a small form.
  const presets = h("nav", { class: "range-presets", "aria-label": "Time range" });
  for (const preset of PRESETS) {
    presets.append(h("a", { href: href.interface(id, ifIndex, rangeToQuery({ kind: "preset", preset })), "data-preset": preset, title: PRESET_LABELS[preset] }, preset === "live" ? "Live" : preset));
  }
  const fromInput = h("input", { type: "datetime-local", id: "range-from", required: true });
  const toInput = h("input", { type: "datetime-local", id: "range-to", required: true });
  const customError = h("p", { class: "field-error", role: "alert", hidden: true });
  const customForm = h(
    "form",
    { class: "range-custom" },
    h("div", { class: "field inline" }, h("label", { for: "range-from" }, "From"), fromInput),
    h("div", { class: "field inline" }, h("label", { for: "range-to" }, "To"), toInput),
    h("button", { type: "submit", class: "button" }, "Apply"),
    h("button", { type: "button", class: "button", onclick: () => zoomOut() }, "Zoom out"),
    customError,
  );
  const rangeTitle = h("h2", { class: "range-title" });
  const liveStatus = h("p", { class: "muted live-status" });

  // The chart region.
  const canvas = h("canvas", { role: "img", "aria-label": "Traffic graph, in and out bits per second" });
  const chartBox = h("div", { class: "chart-box" }, canvas);
  const summary = h("div", { class: "graph-summary" });
  const graph = new AsyncView<Loaded>({
    loadingText: "Loading traffic…",
    isEmpty: ({ traffic }) => !hasSamples(traffic),
    empty: () =>
      h("div", {}, h("p", { class: "empty-title" }, "No traffic in this window"),
        h("p", {}, "Rates need two polls in a row; a new device shows traffic one poll interval after it answers. Try a longer range.")),
    render: ({ traffic, window }, container) => {
      if (!container.firstChild) {
        container.append(chartBox, h("p", { class: "muted hint" }, "Drag across the graph to zoom in; Back returns to the previous range."), summary);
      }
      shownWindow = window;
      const options = chartOptions(THEMES[scheme()], "bps", window);
      if (chart) chart.update(toChartData(traffic), options);
      else chart = new TrafficChart(canvas, toChartData(traffic), options);
      summary.replaceChildren(summaryTable(summarize(traffic)));
    },
    retry: () => void (liveFeed ? liveFeed.reload() : load()),
  });

  const setCustomInputs = (w: TimeWindow) => {
    fromInput.value = toLocalInputValue(w.from);
    toInput.value = toLocalInputValue(w.to);
  };

  const goTo = (next: TimeRange) => ctx.navigate(href.interface(id, ifIndex, rangeToQuery(next)));

  customForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const from = fromLocalInputValue(fromInput.value);
    const to = fromLocalInputValue(toInput.value);
    if (from === null || to === null) customError.textContent = "Enter both dates and times.";
    else if (to - from < MIN_CUSTOM_SECS) customError.textContent = "“To” must be at least a minute after “From”.";
    else {
      customError.hidden = true;
      goTo({ kind: "custom", from, to });
      return;
    }
    customError.hidden = false;
  });

  function zoomOut(): void {
    const w = shownWindow ?? resolveWindow(range, nowSecs());
    const span = w.to - w.from;
    const to = Math.min(nowSecs(), w.to + span / 2);
    goTo({ kind: "custom", from: Math.floor(to - span * 2), to: Math.floor(to) });
  }

  attachDragSelect(
    canvas,
    () => chart,
    (fromMs, toMs) => {
      let from = Math.floor(fromMs / 1000);
      let to = Math.ceil(toMs / 1000);
      if (!Number.isFinite(from) || !Number.isFinite(to)) return;
      if (to - from < MIN_CUSTOM_SECS) {
        const middle = (from + to) / 2;
        from = Math.floor(middle - MIN_CUSTOM_SECS / 2);
        to = from + MIN_CUSTOM_SECS;
      }
      goTo({ kind: "custom", from, to });
    },
    ctx.signal,
  );

  /** Fetches the range's window and draws it; what was drawn, or null when it failed or was superseded. */
  async function load(): Promise<TrafficResponse | null> {
    loadController?.abort();
    const controller = new AbortController();
    loadController = controller;
    const signal = AbortSignal.any([ctx.signal, controller.signal]);
    graph.loading();
    try {
      // Live: one point per poll, so each sample from the stream adds exactly one.
      const interval = isLive(range) ? (await deviceReady)?.pollIntervalSecs : undefined;
      if (controller !== loadController) return null;
      const window = resolveWindow(range, nowSecs());
      const maxPoints = interval ? livePointsFor(interval) : maxPointsFor(chartBox.clientWidth || ctx.root.clientWidth);
      const traffic = await getTraffic(id, ifIndex, { from: window.from, to: window.to, maxPoints }, signal);
      if (controller !== loadController) return null;
      graph.data({ traffic, window });
      return traffic;
    } catch (err) {
      if (!isAbort(err) && controller === loadController) graph.error(err);
      return null;
    }
  }

  const liveRefreshSecs = () => Math.max(MIN_LIVE_REFRESH_SECS, device?.pollIntervalSecs ?? 60);

  function applyRange(next: TimeRange): void {
    range = next;
    for (const link of presets.querySelectorAll<HTMLAnchorElement>("a[data-preset]")) {
      const current = range.kind === "preset" && range.preset === link.dataset.preset;
      if (current) link.setAttribute("aria-current", "true");
      else link.removeAttribute("aria-current");
    }
    rangeTitle.textContent = describeRange(range, formatTimestamp);
    setCustomInputs(resolveWindow(range, nowSecs()));
    customError.hidden = true;

    liveController?.abort();
    liveController = null;
    liveFeed = null;
    liveStatus.replaceChildren();
    if (isLive(range)) {
      liveController = new AbortController();
      liveFeed = startLiveFeed({
        deviceId: id,
        ifIndex,
        signal: AbortSignal.any([ctx.signal, liveController.signal]),
        load,
        draw: (traffic, window) => graph.data({ traffic, window }),
        refreshSecs: liveRefreshSecs,
        status: liveStatus,
        onRate: (rate) => {
          inNow.textContent = `In now ${formatBps(rate.inBps)}`;
          outNow.textContent = `Out now ${formatBps(rate.outBps)}`;
        },
      });
    } else {
      void load();
    }
  }

  async function loadIdentity(): Promise<void> {
    try {
      // One interface, not the device's whole list (1.6 MB on a 4,000-port chassis); a 404 means the
      // interface left the device's table.
      const one = getInterface(id, ifIndex, ctx.signal).catch((err: unknown) => {
        if (err instanceof ApiError && err.status === 404) return undefined;
        throw err;
      });
      const [d, iface] = await Promise.all([deviceReady, one]);
      if (!d) throw new Error("device not loaded");
      const label = iface ? interfaceLabel(iface) : `Interface ${ifIndex}`;
      ctx.setTitle(`${label} · ${d.name}`);
      crumbDevice.textContent = d.name;
      crumbInterface.textContent = label;
      heading.textContent = iface?.ifAlias ? `${label} — ${iface.ifAlias}` : label;
      canvas.setAttribute("aria-label", `Traffic of ${label} on ${d.name}, in and out bits per second`);
      meta.replaceChildren(
        iface
          ? fromHtml(html`${interfaceBadge(iface.adminStatus, iface.operStatus)} <span>Speed ${iface.speedBps ? formatBps(iface.speedBps) : MISSING}</span>
              <span class="in-now"></span> <span class="out-now"></span>
              ${iface.ifDescr && iface.ifDescr !== label ? html`<span class="muted">${iface.ifDescr}</span>` : null}`)
          : "This interface is not in the device's current interface table.",
      );
      if (iface) {
        meta.querySelector(".in-now")?.replaceWith(inNow);
        meta.querySelector(".out-now")?.replaceWith(outNow);
        // A sample from the live stream may already have said something newer.
        if (!inNow.textContent) inNow.textContent = `In now ${formatBps(iface.inBps)}`;
        if (!outNow.textContent) outNow.textContent = `Out now ${formatBps(iface.outBps)}`;
      }
    } catch (err) {
      // The graph below reports its own errors; the header keeps its placeholders.
      if (!isAbort(err)) meta.textContent = "Could not load the device details.";
    }
  }

  const onScheme = () => {
    if (chart && shownWindow) chart.update(undefined, chartOptions(THEMES[scheme()], "bps", shownWindow));
  };
  darkQuery().addEventListener("change", onScheme);
  ctx.signal.addEventListener("abort", () => {
    darkQuery().removeEventListener("change", onScheme);
    loadController?.abort();
    liveController?.abort();
    chart?.destroy();
    chart = null;
  });

  ctx.setTitle(`Interface ${ifIndex}`);
  ctx.root.append(
    h("nav", { class: "breadcrumbs", "aria-label": "Breadcrumbs" }, h("a", { href: href.overview() }, "Devices"), h("span", { "aria-hidden": "true" }, " › "), crumbDevice, h("span", { "aria-hidden": "true" }, " › "), crumbInterface),
    heading,
    meta,
    h("div", { class: "range-bar" }, presets, customForm),
    h("div", { class: "range-head" }, rangeTitle, liveStatus),
    graph.element,
  );
  void loadIdentity();
  applyRange(range);

  return {
    update: (query) => {
      const next = parseRange(query);
      if (rangeToQuery(next) !== rangeToQuery(range) || next.kind === "preset") applyRange(next);
    },
  };
}
