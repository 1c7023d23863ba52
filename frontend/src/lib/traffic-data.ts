//! Turns a traffic response into what the graph draws: Chart.js datasets (average, per-step maximum,
//! 95th percentile for each direction) and the summary figures shown under the chart. Pure: colours and
//! axes come from `chartOptions` (chart-options.ts), so a theme change never rebuilds the data.

import type { ChartData } from "chart.js";
import type { TrafficResponse } from "../api/client";
import { formatBps } from "./format";
import { percentile95 } from "./percentile";

/** A chart point: x in epoch milliseconds (what the time scale reads), y in bit/s, null for a gap. */
export interface XY {
  x: number;
  y: number | null;
}

/**
 * The datasets, in this order; `chartOptions` colours them by index, so the order is part of the contract
 * between the two modules.
 */
export const SERIES = ["in", "inMax", "out", "outMax", "inP95", "outP95"] as const;
export type SeriesRole = (typeof SERIES)[number];
export const PERCENTILE_SERIES: ReadonlySet<number> = new Set([SERIES.indexOf("inP95"), SERIES.indexOf("outP95")]);

export type TrafficChartData = ChartData<"line", XY[]>;

/**
 * Datasets for the traffic chart. Nulls stay null and `spanGaps` is off, so missing samples show as gaps.
 * A jump between two points longer than twice the step (the server skipped buckets) also becomes a gap,
 * by inserting a null point, so Chart.js never draws a line across missing time.
 */
export function toChartData(traffic: TrafficResponse): TrafficChartData {
  const points = withGapMarkers(traffic);
  const series = (pick: (p: TrafficResponse["points"][number]) => number | null | undefined): XY[] =>
    points.map((p) => ({ x: p.timestamp * 1000, y: p.gap ? null : (pick(p.point) ?? null) }));

  const inP95 = percentile95(traffic.points.map((p) => p.inBps));
  const outP95 = percentile95(traffic.points.map((p) => p.outBps));
  const first = traffic.points[0]?.timestamp;
  const last = traffic.points.at(-1)?.timestamp;
  const flat = (value: number | null): XY[] =>
    value === null || first === undefined || last === undefined
      ? []
      : [
          { x: first * 1000, y: value },
          { x: last * 1000, y: value },
        ];

  const line = { pointRadius: 0, pointHitRadius: 6, spanGaps: false, borderWidth: 1.5 } as const;
  return {
    datasets: [
      // The max band fills down to its average line: the lighter area is the burst above the average.
      { ...line, label: "In", data: series((p) => p.inBps), fill: false, order: 1 },
      { ...line, label: "In max", data: series((p) => p.inBpsMax), fill: "-1", borderWidth: 1, order: 3 },
      { ...line, label: "Out", data: series((p) => p.outBps), fill: false, order: 1 },
      { ...line, label: "Out max", data: series((p) => p.outBpsMax), fill: "-1", borderWidth: 1, order: 3 },
      { ...line, label: `In 95th percentile ${formatBps(inP95)}`, data: flat(inP95), fill: false, borderDash: [6, 4], borderWidth: 1, order: 0 },
      { ...line, label: `Out 95th percentile ${formatBps(outP95)}`, data: flat(outP95), fill: false, borderDash: [6, 4], borderWidth: 1, order: 0 },
    ],
  };
}

interface Slot {
  timestamp: number;
  gap: boolean;
  point: TrafficResponse["points"][number];
}

function withGapMarkers(traffic: TrafficResponse): Slot[] {
  const step = traffic.stepSecs;
  const slots: Slot[] = [];
  let previous: number | null = null;
  for (const point of traffic.points) {
    if (previous !== null && step > 0 && point.timestamp - previous > 2 * step) {
      slots.push({ timestamp: previous + step, gap: true, point });
    }
    slots.push({ timestamp: point.timestamp, gap: false, point });
    previous = point.timestamp;
  }
  return slots;
}

/** True when the window holds at least one measured value: otherwise the view shows its empty state. */
export function hasSamples(traffic: TrafficResponse): boolean {
  return traffic.points.some((p) => p.inBps != null || p.outBps != null);
}

export interface DirectionSummary {
  /** Mean of the per-step averages (gaps left out). */
  average: number | null;
  /** Highest per-step maximum (or average, where the server sent no maximum). */
  peak: number | null;
  /** Nearest-rank 95th percentile of the per-step averages; see percentile.ts. */
  p95: number | null;
  /** Latest known average. */
  latest: number | null;
}

export interface TrafficSummary {
  in: DirectionSummary;
  out: DirectionSummary;
}

export function summarize(traffic: TrafficResponse): TrafficSummary {
  return {
    in: summarizeDirection(traffic, "inBps", "inBpsMax"),
    out: summarizeDirection(traffic, "outBps", "outBpsMax"),
  };
}

function summarizeDirection(
  traffic: TrafficResponse,
  avgKey: "inBps" | "outBps",
  maxKey: "inBpsMax" | "outBpsMax",
): DirectionSummary {
  const averages: number[] = [];
  let peak: number | null = null;
  let latest: number | null = null;
  for (const p of traffic.points) {
    const avg = p[avgKey];
    if (avg != null) {
      averages.push(avg);
      latest = avg;
    }
    const top = p[maxKey] ?? avg;
    if (top != null && (peak === null || top > peak)) peak = top;
  }
  const average = averages.length ? averages.reduce((a, b) => a + b, 0) / averages.length : null;
  return { average, peak, p95: percentile95(averages), latest };
}
