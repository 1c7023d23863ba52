//! Live mode of the interface graph: the window is loaded once from `/traffic`, then every polled sample
//! the event stream brings is merged into it and what slid out of the window is dropped. Pure: the view
//! keeps the result, turns it into chart data with `toChartData` and redraws the same chart. Working on the
//! traffic response rather than on the chart's datasets keeps the 95th percentile and the summary figures
//! consistent with what is drawn.

import type { SampleEvent, TrafficPoint, TrafficResponse } from "../api/client";
import { LIVE_WINDOW_SECS, type TimeWindow } from "./time-range";

const isEmptyPoint = (p: TrafficPoint) => p.inBps == null && p.outBps == null;

/**
 * `traffic` with the rates `sample` measured on `ifIndex`. A sample is one poll, so its maximum is its
 * value; a null rate stays null (a gap). The same object comes back when nothing changes: the sample does
 * not name the interface, or it falls in the last step already loaded (the initial load raced the
 * stream), or it is older. A sample in an empty last step fills that step: the server answers a step
 * for every moment of the window, so the step holding "now" is empty until the poll lands.
 */
export function mergeSample(traffic: TrafficResponse, sample: SampleEvent, ifIndex: number): TrafficResponse {
  const rate = sample.interfaces.find((r) => r.ifIndex === ifIndex);
  if (!rate) return traffic;
  const inBps = rate.inBps ?? null;
  const outBps = rate.outBps ?? null;
  const point: TrafficPoint = { timestamp: sample.timestamp, inBps, outBps, inBpsMax: inBps, outBpsMax: outBps };

  const last = traffic.points.at(-1);
  if (last && sample.timestamp < last.timestamp + Math.max(1, traffic.stepSecs)) {
    if (sample.timestamp < last.timestamp || !isEmptyPoint(last)) return traffic;
    return { ...traffic, points: [...traffic.points.slice(0, -1), { ...point, timestamp: last.timestamp }] };
  }
  return { ...traffic, points: [...traffic.points, point] };
}

/** `traffic` without the points before `fromSecs`; the same object when none is. */
export function trimBefore(traffic: TrafficResponse, fromSecs: number): TrafficResponse {
  const first = traffic.points.findIndex((p) => p.timestamp >= fromSecs);
  if (first === 0) return traffic;
  return { ...traffic, points: first === -1 ? [] : traffic.points.slice(first) };
}

/**
 * The live window at `nowSecs`, or at the sample's time when the server's clock is ahead of the browser's,
 * so that the newest point is never drawn off the right edge.
 */
export function liveWindow(nowSecs: number, sampleSecs = nowSecs): TimeWindow {
  const to = Math.max(nowSecs, sampleSecs);
  return { from: to - LIVE_WINDOW_SECS, to };
}

/**
 * How many points to ask for when loading the live window, so that the server's step is the device's
 * poll interval (the server never steps finer than that) and each sample that follows adds exactly one
 * point. `steps` counts the partial steps at both ends of the window.
 */
export function livePointsFor(pollIntervalSecs: number): number {
  const interval = Math.max(1, Math.floor(pollIntervalSecs));
  return Math.ceil(LIVE_WINDOW_SECS / interval) + 2;
}
