//! Chart.js options for the traffic graph, as a pure function of the colour theme, the value unit and
//! the time window. Colours are given per dataset index (see SERIES in traffic-data.ts), so switching
//! between light and dark only swaps options. Nothing here imports Chart.js at run time.

import type { ChartOptions, ScriptableContext, TooltipItem } from "chart.js";
import { formatBps, formatMs } from "./format";
import type { TimeWindow } from "./time-range";
import { PERCENTILE_SERIES, SERIES, type SeriesRole } from "./traffic-data";

export type ColorScheme = "light" | "dark";

export interface ChartTheme {
  text: string;
  grid: string;
  tooltipBackground: string;
  tooltipText: string;
  /** Line colour and (for the max bands) fill colour of each series. */
  series: Record<SeriesRole, { line: string; fill: string }>;
}

// In is green and out is blue, the convention people know from MRTG and Cacti; max bands are the same
// hue, lighter; percentile lines are darker dashes.
export const THEMES: Record<ColorScheme, ChartTheme> = {
  light: {
    text: "#3b4250",
    grid: "rgba(60, 70, 90, 0.12)",
    tooltipBackground: "rgba(20, 24, 32, 0.92)",
    tooltipText: "#f4f6fa",
    series: {
      in: { line: "#15803d", fill: "transparent" },
      inMax: { line: "rgba(22, 163, 74, 0.45)", fill: "rgba(22, 163, 74, 0.14)" },
      out: { line: "#1d4ed8", fill: "transparent" },
      outMax: { line: "rgba(37, 99, 235, 0.45)", fill: "rgba(37, 99, 235, 0.12)" },
      inP95: { line: "#166534", fill: "transparent" },
      outP95: { line: "#1e3a8a", fill: "transparent" },
    },
  },
  dark: {
    text: "#c9d1dd",
    grid: "rgba(200, 210, 230, 0.12)",
    tooltipBackground: "rgba(240, 243, 248, 0.95)",
    tooltipText: "#141820",
    series: {
      in: { line: "#4ade80", fill: "transparent" },
      inMax: { line: "rgba(74, 222, 128, 0.45)", fill: "rgba(74, 222, 128, 0.16)" },
      out: { line: "#60a5fa", fill: "transparent" },
      outMax: { line: "rgba(96, 165, 250, 0.45)", fill: "rgba(96, 165, 250, 0.15)" },
      inP95: { line: "#bbf7d0", fill: "transparent" },
      outP95: { line: "#bfdbfe", fill: "transparent" },
    },
  },
};

/** The unit of the y axis: rates in bit/s (traffic) or round-trip times in milliseconds (latency). */
export type ValueUnit = "bps" | "ms";
export const UNIT_FORMATTERS: Record<ValueUnit, (value: number | null) => string> = {
  bps: formatBps,
  ms: formatMs,
};

/** 24-hour clock and ISO-like dates: what network operators read in logs. date-fns tokens. */
export const TIME_FORMATS = {
  millisecond: "HH:mm:ss.SSS",
  second: "HH:mm:ss",
  minute: "HH:mm",
  hour: "HH:mm",
  day: "MMM d",
  week: "MMM d",
  month: "MMM yyyy",
  quarter: "MMM yyyy",
  year: "yyyy",
} as const;

/**
 * From this window width the time axis ticks in minutes or more. Chart.js would otherwise pick seconds
 * for a quarter of an hour (the live window), making every minute a "major" tick: all labels in bold.
 */
export const MINUTE_TICKS_FROM_SECS = 600;

export function chartOptions(theme: ChartTheme, units: ValueUnit, window?: TimeWindow): ChartOptions<"line"> {
  const format = UNIT_FORMATTERS[units];
  const role = (index: number): SeriesRole => SERIES[index] ?? "in";
  return {
    responsive: true,
    maintainAspectRatio: false,
    // Live mode updates every poll: animations would only blur what changed.
    animation: false,
    parsing: false,
    normalized: true,
    interaction: { mode: "index", intersect: false },
    datasets: {
      line: {
        borderColor: (ctx: ScriptableContext<"line">) => theme.series[role(ctx.datasetIndex)].line,
        backgroundColor: (ctx: ScriptableContext<"line">) => theme.series[role(ctx.datasetIndex)].fill,
        pointRadius: 0,
        spanGaps: false,
      },
    },
    scales: {
      x: {
        type: "time",
        min: window ? window.from * 1000 : undefined,
        max: window ? window.to * 1000 : undefined,
        time: { tooltipFormat: "yyyy-MM-dd HH:mm:ss", displayFormats: TIME_FORMATS, ...(window && window.to - window.from >= MINUTE_TICKS_FROM_SECS ? { minUnit: "minute" } : {}) },
        // Major ticks (midnight, first of month…) carry the date in the larger unit's format, in bold.
        ticks: {
          color: theme.text,
          maxRotation: 0,
          autoSkipPadding: 16,
          major: { enabled: true },
          font: (ctx) => (ctx.tick?.major ? { weight: "bold" } : {}),
        },
        grid: { color: theme.grid },
      },
      y: {
        beginAtZero: true,
        ticks: { color: theme.text, callback: (value) => format(Number(value)), maxTicksLimit: 6 },
        grid: { color: theme.grid },
      },
    },
    plugins: {
      legend: {
        position: "bottom",
        labels: {
          color: theme.text,
          boxWidth: 14,
          boxHeight: 2,
          padding: 12,
          // Dataset `order` sets drawing depth; the legend keeps the SERIES order instead.
          sort: (a, b) => (a.datasetIndex ?? 0) - (b.datasetIndex ?? 0),
        },
      },
      tooltip: {
        backgroundColor: theme.tooltipBackground,
        titleColor: theme.tooltipText,
        bodyColor: theme.tooltipText,
        // The percentile lines are constant and already named in the legend.
        filter: (item: TooltipItem<"line">) => !PERCENTILE_SERIES.has(item.datasetIndex),
        itemSort: (a: TooltipItem<"line">, b: TooltipItem<"line">) => a.datasetIndex - b.datasetIndex,
        callbacks: {
          label: (item: TooltipItem<"line">) => `${item.dataset.label ?? ""}: ${format(item.parsed.y)}`,
        },
      },
    },
  };
}
