import { describe, expect, it } from "vitest";
import type { SampleEvent, TrafficResponse } from "../api/client";
import { liveWindow, livePointsFor, mergeSample, trimBefore } from "./live-traffic";
import { LIVE_WINDOW_SECS } from "./time-range";
import { toChartData } from "./traffic-data";

const point = (timestamp: number, inBps: number | null, outBps: number | null = inBps) => ({
  timestamp,
  inBps,
  outBps,
  inBpsMax: inBps,
  outBpsMax: outBps,
});
const sample = (timestamp: number, inBps: number | null, outBps: number | null = inBps, ifIndex = 3): SampleEvent => ({
  deviceId: "d1",
  timestamp,
  interfaceCount: 1,
  interfacesUp: 1,
  interfaces: [
    { ifIndex: 1, inBps: 1, outBps: 1 },
    { ifIndex, inBps, outBps },
  ],
});
const loaded: TrafficResponse = { stepSecs: 10, points: [point(1000, 8), point(1010, 9), point(1020, 10)] };

describe("mergeSample", () => {
  it("appends the interface's rates as a point whose maximum is its value", () => {
    const next = mergeSample(loaded, sample(1030, 12, 4), 3);
    expect(next.points.at(-1)).toEqual({ timestamp: 1030, inBps: 12, outBps: 4, inBpsMax: 12, outBpsMax: 4 });
    expect(next.points).toHaveLength(4);
    expect(next.stepSecs).toBe(10);
  });

  it("does not touch its input", () => {
    const before = structuredClone(loaded);
    mergeSample(loaded, sample(1030, 12), 3);
    expect(loaded).toEqual(before);
  });

  it("keeps a null rate as a gap, drawn as a gap", () => {
    const next = mergeSample(loaded, sample(1030, null, 5), 3);
    expect(next.points.at(-1)).toEqual({ timestamp: 1030, inBps: null, outBps: 5, inBpsMax: null, outBpsMax: 5 });
    expect(toChartData(next).datasets[0]!.data.at(-1)).toEqual({ x: 1_030_000, y: null });
  });

  it("treats a rate the event leaves out as null", () => {
    const event: SampleEvent = {
      deviceId: "d1",
      timestamp: 1030,
      interfaceCount: 1,
      interfacesUp: 1,
      interfaces: [{ ifIndex: 3 }],
    };
    expect(mergeSample(loaded, event, 3).points.at(-1)).toMatchObject({ inBps: null, outBps: null });
  });

  it("returns the same object when the sample does not name the interface", () => {
    expect(mergeSample(loaded, sample(1030, 12, 4, 7), 3)).toBe(loaded);
  });

  it("ignores a sample already inside the last loaded step, or older", () => {
    expect(mergeSample(loaded, sample(1020, 99), 3)).toBe(loaded);
    expect(mergeSample(loaded, sample(1029, 99), 3)).toBe(loaded);
    expect(mergeSample(loaded, sample(1005, 99), 3)).toBe(loaded);
  });

  it("fills an empty last step with the sample that lands in it", () => {
    const waiting: TrafficResponse = { stepSecs: 10, points: [point(1000, 8), point(1010, null)] };
    const next = mergeSample(waiting, sample(1013, 7, 6), 3);
    expect(next.points).toEqual([point(1000, 8), { timestamp: 1010, inBps: 7, outBps: 6, inBpsMax: 7, outBpsMax: 6 }]);
    // but not with an older one
    expect(mergeSample(waiting, sample(1009, 7), 3)).toBe(waiting);
  });

  it("starts an empty window", () => {
    const empty: TrafficResponse = { stepSecs: 1, points: [] };
    expect(mergeSample(empty, sample(1000, 5), 3).points).toEqual([point(1000, 5)]);
  });

  it("lets a one-second step take one point per second", () => {
    const fine: TrafficResponse = { stepSecs: 1, points: [point(1000, 1)] };
    const next = mergeSample(mergeSample(fine, sample(1001, 2), 3), sample(1002, 3), 3);
    expect(next.points.map((p) => p.timestamp)).toEqual([1000, 1001, 1002]);
  });
});

describe("trimBefore", () => {
  it("drops the points older than the window start", () => {
    expect(trimBefore(loaded, 1010).points.map((p) => p.timestamp)).toEqual([1010, 1020]);
    expect(trimBefore(loaded, 1011).points.map((p) => p.timestamp)).toEqual([1020]);
  });

  it("returns the same object when nothing is older", () => {
    expect(trimBefore(loaded, 1000)).toBe(loaded);
    expect(trimBefore(loaded, 0)).toBe(loaded);
  });

  it("empties a window whose points all slid out", () => {
    expect(trimBefore(loaded, 2000)).toEqual({ stepSecs: 10, points: [] });
  });
});

describe("liveWindow", () => {
  it("ends now and spans the live window", () => {
    expect(liveWindow(10_000)).toEqual({ from: 10_000 - LIVE_WINDOW_SECS, to: 10_000 });
  });

  it("ends at the sample when the server's clock is ahead", () => {
    expect(liveWindow(10_000, 10_003)).toEqual({ from: 10_003 - LIVE_WINDOW_SECS, to: 10_003 });
    expect(liveWindow(10_000, 9_990)).toEqual({ from: 10_000 - LIVE_WINDOW_SECS, to: 10_000 });
  });
});

describe("livePointsFor", () => {
  // The server's rule (store/query.rs step_secs): the smallest multiple of the resolution whose steps,
  // counted from the step holding `from` to the one holding `to`, fit in maxPoints.
  const serverStep = (from: number, to: number, maxPoints: number, resolution: number) => {
    let step = Math.ceil(Math.max(Math.ceil((to - from) / maxPoints), resolution) / resolution) * resolution;
    while (Math.floor((to - Math.floor(from / step) * step) / step) + 1 > maxPoints) step += resolution;
    return step;
  };

  it("makes the server step at the poll interval, whatever the alignment", () => {
    for (const interval of [1, 2, 5, 7, 10, 30, 60, 300, 3600]) {
      for (const to of [1_764_075_000, 1_764_075_001, 1_764_075_059, 1_764_075_333]) {
        expect(serverStep(to - LIVE_WINDOW_SECS, to, livePointsFor(interval), interval)).toBe(interval);
      }
    }
  });

  it("asks for about one point per poll", () => {
    expect(livePointsFor(1)).toBe(902);
    expect(livePointsFor(60)).toBe(17);
    expect(livePointsFor(0)).toBe(902);
  });
});
