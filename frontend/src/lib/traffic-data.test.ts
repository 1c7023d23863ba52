import { describe, expect, it } from "vitest";
import type { TrafficResponse } from "../api/client";
import { hasSamples, SERIES, summarize, toChartData } from "./traffic-data";

const point = (timestamp: number, inBps: number | null, outBps: number | null) => ({
  timestamp,
  inBps,
  outBps,
  inBpsMax: inBps === null ? null : inBps * 2,
  outBpsMax: outBps === null ? null : outBps * 2,
});

const traffic: TrafficResponse = {
  stepSecs: 60,
  points: [point(1000, 10, 100), point(1060, null, null), point(1120, 30, 300), point(1180, 20, 200)],
};

describe("toChartData", () => {
  it("makes the datasets in SERIES order", () => {
    const data = toChartData(traffic);
    expect(data.datasets.map((d) => d.label)).toEqual([
      "In",
      "In max",
      "Out",
      "Out max",
      "In 95th percentile 30 bit/s",
      "Out 95th percentile 300 bit/s",
    ]);
    expect(data.datasets).toHaveLength(SERIES.length);
  });

  it("uses epoch milliseconds and keeps nulls as gaps", () => {
    const [inAvg, inMax] = toChartData(traffic).datasets;
    expect(inAvg!.data).toEqual([
      { x: 1_000_000, y: 10 },
      { x: 1_060_000, y: null },
      { x: 1_120_000, y: 30 },
      { x: 1_180_000, y: 20 },
    ]);
    expect(inMax!.data.map((p) => p.y)).toEqual([20, null, 60, 40]);
    for (const ds of toChartData(traffic).datasets) expect(ds.spanGaps).toBe(false);
  });

  it("breaks the line where the server skipped buckets", () => {
    const sparse: TrafficResponse = { stepSecs: 60, points: [point(0, 1, 1), point(60, 2, 2), point(600, 3, 3)] };
    const [inAvg] = toChartData(sparse).datasets;
    expect(inAvg!.data).toEqual([
      { x: 0, y: 1 },
      { x: 60_000, y: 2 },
      { x: 120_000, y: null },
      { x: 600_000, y: 3 },
    ]);
  });

  it("draws each 95th percentile as a flat line over the window", () => {
    const data = toChartData(traffic);
    expect(data.datasets[4]!.data).toEqual([
      { x: 1_000_000, y: 30 },
      { x: 1_180_000, y: 30 },
    ]);
    expect(data.datasets[5]!.borderDash).toEqual([6, 4]);
  });

  it("fills each max band down to its average", () => {
    const data = toChartData(traffic);
    expect(data.datasets[1]!.fill).toBe("-1");
    expect(data.datasets[3]!.fill).toBe("-1");
    expect(data.datasets[0]!.fill).toBe(false);
  });

  it("handles an empty window", () => {
    const empty: TrafficResponse = { stepSecs: 60, points: [] };
    const data = toChartData(empty);
    expect(data.datasets.every((d) => d.data.length === 0)).toBe(true);
    expect(data.datasets[4]!.label).toBe("In 95th percentile —");
    expect(hasSamples(empty)).toBe(false);
    expect(hasSamples({ stepSecs: 60, points: [point(0, null, null)] })).toBe(false);
    expect(hasSamples(traffic)).toBe(true);
  });
});

describe("summarize", () => {
  it("gives average, peak, 95th percentile and latest per direction", () => {
    expect(summarize(traffic)).toEqual({
      in: { average: 20, peak: 60, p95: 30, latest: 20 },
      out: { average: 200, peak: 600, p95: 300, latest: 200 },
    });
  });
  it("is all null without samples", () => {
    const none = { average: null, peak: null, p95: null, latest: null };
    expect(summarize({ stepSecs: 60, points: [] })).toEqual({ in: none, out: none });
  });
});
