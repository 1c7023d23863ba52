import type { ScriptableContext, TooltipItem } from "chart.js";
import { describe, expect, it } from "vitest";
import { chartOptions, THEMES } from "./chart-options";
import { PERCENTILE_SERIES, SERIES } from "./traffic-data";

describe("chartOptions", () => {
  const window = { from: 1000, to: 4600 };
  const options = chartOptions(THEMES.light, "bps", window);

  it("never spans gaps and does not animate", () => {
    expect(options.datasets?.line?.spanGaps).toBe(false);
    expect(options.animation).toBe(false);
  });

  it("pins the x axis to the window in milliseconds", () => {
    const x = options.scales?.x as { type: string; min: number; max: number };
    expect(x).toMatchObject({ type: "time", min: 1_000_000, max: 4_600_000 });
  });

  it("labels the y axis in SI bit rates", () => {
    const y = options.scales?.y as { ticks: { callback: (v: number) => string } };
    expect(y.ticks.callback(2_500_000)).toBe("2.5 Mbit/s");
    expect(y.ticks.callback(0)).toBe("0 bit/s");
  });

  it("writes tooltips with units and leaves out the percentile lines", () => {
    const tooltip = options.plugins!.tooltip!;
    const item = { dataset: { label: "In" }, parsed: { y: 1_234_000 }, datasetIndex: 0 } as unknown as TooltipItem<"line">;
    const label = tooltip.callbacks!.label as unknown as (i: TooltipItem<"line">) => string;
    expect(label(item)).toBe("In: 1.23 Mbit/s");
    const filter = tooltip.filter as unknown as (i: TooltipItem<"line">) => boolean;
    for (const index of PERCENTILE_SERIES) {
      expect(filter({ ...item, datasetIndex: index } as TooltipItem<"line">)).toBe(false);
    }
    expect(filter(item)).toBe(true);
  });

  it("colours each dataset from the theme by its index", () => {
    const colour = options.datasets!.line!.borderColor as unknown as (ctx: ScriptableContext<"line">) => string;
    const ctx = (datasetIndex: number) => ({ datasetIndex }) as ScriptableContext<"line">;
    expect(colour(ctx(SERIES.indexOf("in")))).toBe(THEMES.light.series.in.line);
    expect(colour(ctx(SERIES.indexOf("outP95")))).toBe(THEMES.light.series.outP95.line);
    const dark = chartOptions(THEMES.dark, "bps").datasets!.line!.borderColor as unknown as typeof colour;
    expect(dark(ctx(0))).toBe(THEMES.dark.series.in.line);
  });

  it("uses a 24-hour clock on the time axis", () => {
    const x = options.scales?.x as { time: { displayFormats: Record<string, string> } };
    expect(x.time.displayFormats.hour).toBe("HH:mm");
    expect(x.time.displayFormats.day).toBe("MMM d");
  });

  it("keeps legend and tooltip items in SERIES order", () => {
    const sort = options.plugins!.legend!.labels!.sort!;
    const items = [5, 0, 3].map((datasetIndex) => ({ datasetIndex }));
    items.sort((a, b) => sort(a as never, b as never, undefined as never));
    expect(items.map((i) => i.datasetIndex)).toEqual([0, 3, 5]);
    const itemSort = options.plugins!.tooltip!.itemSort as unknown as (a: { datasetIndex: number }, b: { datasetIndex: number }) => number;
    expect(itemSort({ datasetIndex: 3 }, { datasetIndex: 1 })).toBeGreaterThan(0);
  });

  it("ticks in minutes or more from ten minutes up, so only hours stand out in the live window", () => {
    const time = (w: { from: number; to: number }) => (chartOptions(THEMES.light, "bps", w).scales?.x as { time: { minUnit?: string } }).time;
    expect(time({ from: 0, to: 15 * 60 }).minUnit).toBe("minute");
    expect(time({ from: 0, to: 3600 }).minUnit).toBe("minute");
    expect(time({ from: 0, to: 120 }).minUnit).toBeUndefined();
  });

  it("leaves the x axis free without a window", () => {
    const x = chartOptions(THEMES.dark, "bps").scales?.x as { min?: number; max?: number };
    expect(x.min).toBeUndefined();
    expect(x.max).toBeUndefined();
  });
});
