//! Turns a latency response into what the device page's chart draws and the figures beside it. The
//! datasets reuse the traffic chart's first two roles (a line and the band above it, see SERIES in
//! traffic-data.ts), so `chartOptions(theme, "ms")` colours them. Pure.

import type { LatencyResponse } from "../api/client";
import type { TrafficChartData, XY } from "./traffic-data";

/** Average round-trip time as the line, the per-step maximum as the band above it; nulls stay gaps. */
export function toLatencyChartData(latency: LatencyResponse): TrafficChartData {
  const series = (pick: (p: LatencyResponse["points"][number]) => number | null | undefined): XY[] =>
    latency.points.map((p) => ({ x: p.timestamp * 1000, y: pick(p) ?? null }));
  const line = { pointRadius: 0, pointHitRadius: 6, spanGaps: false, borderWidth: 1.5 } as const;
  return {
    datasets: [
      { ...line, label: "RTT average", data: series((p) => p.rttAvgMs), fill: false, order: 1 },
      { ...line, label: "RTT max", data: series((p) => p.rttMaxMs), fill: "-1", borderWidth: 1, order: 3 },
    ],
  };
}

export interface LatencySummary {
  /** Share of the window's steps with rounds whose echoes were lost, averaged; null without rounds. */
  lossPercent: number | null;
  /** Average of the steps' average round-trip times; null when no echo came back. */
  rttAvgMs: number | null;
  /** Steps where every echo was lost. */
  silentSteps: number;
}

export function summarizeLatency(latency: LatencyResponse): LatencySummary {
  const losses = latency.points.map((p) => p.lossPercent).filter((v): v is number => v != null);
  const rtts = latency.points.map((p) => p.rttAvgMs).filter((v): v is number => v != null);
  const mean = (values: number[]) => (values.length ? values.reduce((a, b) => a + b, 0) / values.length : null);
  return { lossPercent: mean(losses), rttAvgMs: mean(rtts), silentSteps: losses.filter((l) => l >= 100).length };
}
