import { describe, expect, it } from "vitest";
import type { LatencyResponse } from "../api/client";
import { summarizeLatency, toLatencyChartData } from "./latency-data";

const latency: LatencyResponse = {
  stepSecs: 60,
  points: [
    { timestamp: 0, lossPercent: 0, rttMinMs: 0.2, rttAvgMs: 0.4, rttMaxMs: 0.9 },
    { timestamp: 60, lossPercent: null, rttMinMs: null, rttAvgMs: null, rttMaxMs: null },
    { timestamp: 120, lossPercent: 100, rttMinMs: null, rttAvgMs: null, rttMaxMs: null },
    { timestamp: 180, lossPercent: 50, rttMinMs: 1, rttAvgMs: 1.6, rttMaxMs: 2 },
  ],
};

describe("latency chart data", () => {
  it("draws the average and the max band, keeping gaps as nulls", () => {
    const data = toLatencyChartData(latency);
    expect(data.datasets.map((d) => d.label)).toEqual(["RTT average", "RTT max"]);
    expect(data.datasets[0]!.data.map((p) => p.y)).toEqual([0.4, null, null, 1.6]);
    expect(data.datasets[1]!.data[0]).toEqual({ x: 0, y: 0.9 });
  });

  it("sums the window up: loss over steps with rounds, silent steps counted", () => {
    expect(summarizeLatency(latency)).toEqual({ lossPercent: 50, rttAvgMs: 1, silentSteps: 1 });
    expect(summarizeLatency({ stepSecs: 60, points: [] })).toEqual({ lossPercent: null, rttAvgMs: null, silentSteps: 0 });
  });
});
