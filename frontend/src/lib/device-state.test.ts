import { describe, expect, it } from "vitest";
import type { StatusSummary } from "../api/client";
import { deviceStateTone, formatAvailability, parseTags, recountStates, summaryKey } from "./device-state";

describe("device states", () => {
  it("gives each of the four states its own tone and count", () => {
    expect(["up", "snmp_down", "unreachable", "unknown"].map((s) => deviceStateTone(s as never))).toEqual(["up", "snmp-down", "down", "unknown"]);
    expect(summaryKey("snmp_down")).toBe("snmpDown");
  });

  it("moves one device between counts and keeps down as the sum", () => {
    const summary = { devices: 3, up: 2, snmpDown: 0, unreachable: 0, down: 0, unknown: 1 } as StatusSummary;
    const next = recountStates(summary, "up", "snmp_down");
    expect(next).toMatchObject({ up: 1, snmpDown: 1, unreachable: 0, down: 1, unknown: 1 });
    expect(recountStates(next, "snmp_down", "unreachable")).toMatchObject({ snmpDown: 0, unreachable: 1, down: 1 });
    expect(recountStates(summary, "up", "up")).toBe(summary);
    expect(recountStates(summary, "snmp_down", "up").snmpDown).toBe(0);
  });
});

describe("formatAvailability", () => {
  it("floors to two decimals so that a bad minute never shows as 100 %", () => {
    expect(formatAvailability(99.999)).toBe("99.99 %");
    expect(formatAvailability(100)).toBe("100 %");
    expect(formatAvailability(0)).toBe("0.00 %");
    expect(formatAvailability(null)).toBe("—");
  });
});

describe("parseTags", () => {
  it("splits on commas and spaces and drops repeats", () => {
    expect(parseTags(" core, paris  dc,core ")).toEqual(["core", "paris", "dc"]);
    expect(parseTags("")).toEqual([]);
  });
});
