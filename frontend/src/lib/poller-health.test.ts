import { describe, expect, it } from "vitest";
import { slowestDevices } from "./poller-health";

const device = (name: string, ms: number | null | undefined) => ({ name, status: { lastPollDurationMs: ms } });

describe("slowestDevices", () => {
  it("keeps the five slowest, longest first", () => {
    const devices = [10, 250, 3, 999, 40, 41, 7].map((ms, i) => device(`d${i}`, ms));
    expect(slowestDevices(devices).map((d) => d.status.lastPollDurationMs)).toEqual([999, 250, 41, 40, 10]);
  });

  it("leaves out devices not polled yet and does not reorder its input", () => {
    const devices = [device("a", null), device("b", 5), device("c", undefined), device("d", 0)];
    expect(slowestDevices(devices, 5).map((d) => d.name)).toEqual(["b", "d"]);
    expect(devices.map((d) => d.name)).toEqual(["a", "b", "c", "d"]);
  });
});
