//! The device page's latency card: the last 24 hours of ICMP round-trip times (average line, maximum
//! band) with the loss beside it, from `GET /devices/{id}/latency`. Chart.js is loaded on first use,
//! as on the interface graph; the card draws loading, error, empty and data like every data view.

import { getLatency, type LatencyResponse } from "../api/client";
import { AsyncView } from "../components/async-view";
import { h } from "../components/dom";
import type { TrafficChart } from "../charts/traffic-chart";
import { chartOptions, THEMES } from "../lib/chart-options";
import { formatMs } from "../lib/format";
import { summarizeLatency, toLatencyChartData } from "../lib/latency-data";

const WINDOW_SECS = 86_400;
/** One point per 5 minutes over the day: the 5-minute rollup. */
const MAX_POINTS = 288;

export class LatencyPanel {
  readonly element: HTMLElement;
  private readonly view: AsyncView<LatencyResponse>;
  private chart: TrafficChart | null = null;
  private readonly figures = h("p", { class: "muted latency-figures" });
  private readonly canvas = h("canvas", { "aria-label": "Round-trip time over the last 24 hours", role: "img" });

  constructor(
    private readonly deviceId: string,
    private readonly signal: AbortSignal,
  ) {
    this.view = new AsyncView<LatencyResponse>({
      loadingText: "Loading latency…",
      isEmpty: (l) => l.points.every((p) => p.lossPercent == null),
      empty: () => h("p", {}, "No echo rounds in the last 24 hours (ping off, ICMP unavailable, or the device is new)."),
      render: (latency, container) => void this.draw(latency, container),
      retry: () => void this.load(),
    });
    this.element = h(
      "section",
      { class: "card card-wide", "aria-labelledby": "latency-title" },
      h("h2", { id: "latency-title" }, "Latency (24 h)"),
      this.view.element,
    );
    signal.addEventListener("abort", () => this.chart?.destroy());
    this.view.loading();
  }

  async load(): Promise<void> {
    const to = Math.floor(Date.now() / 1000);
    try {
      const latency = await getLatency(this.deviceId, { from: to - WINDOW_SECS, to, maxPoints: MAX_POINTS }, this.signal);
      if (!this.signal.aborted) this.view.data(latency);
    } catch (err) {
      if (!this.signal.aborted) this.view.error(err);
    }
  }

  private async draw(latency: LatencyResponse, container: HTMLElement): Promise<void> {
    const s = summarizeLatency(latency);
    const loss = s.lossPercent == null ? "—" : `${s.lossPercent.toFixed(1)} %`;
    this.figures.textContent = `Average ${formatMs(s.rttAvgMs)} · loss ${loss}${s.silentSteps ? ` · ${s.silentSteps} step(s) without any reply` : ""}`;
    if (!container.firstChild) container.append(this.figures, h("div", { class: "chart-box" }, this.canvas));
    const dark = window.matchMedia("(prefers-color-scheme: dark)").matches;
    const options = chartOptions(THEMES[dark ? "dark" : "light"], "ms");
    const data = toLatencyChartData(latency);
    if (this.chart) {
      this.chart.update(data, options);
      return;
    }
    const { TrafficChart } = await import("../charts/traffic-chart");
    if (this.signal.aborted) return;
    this.chart = new TrafficChart(this.canvas, data, options);
  }
}
