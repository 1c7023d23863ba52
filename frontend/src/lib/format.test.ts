import { describe, expect, it } from "vitest";
import {
  formatBps,
  formatCount,
  formatDuration,
  formatLogTime,
  formatPercent,
  formatRelative,
  formatTimestamp,
  MISSING,
  shortDescription,
} from "./format";

describe("formatBps", () => {
  it.each([
    [0, "0 bit/s"],
    [1, "1 bit/s"],
    [999, "999 bit/s"],
    [1000, "1 kbit/s"],
    [1500, "1.5 kbit/s"],
    [12_345, "12.3 kbit/s"],
    [999_999, "1 Mbit/s"],
    [1_500_000, "1.5 Mbit/s"],
    [123_456_789, "123 Mbit/s"],
    [1e9, "1 Gbit/s"],
    [2.345e9, "2.35 Gbit/s"],
    [4e11, "400 Gbit/s"],
    [1e12, "1 Tbit/s"],
    [0.5, "0.5 bit/s"],
    [-2000, "-2 kbit/s"],
  ])("%d -> %s", (value, text) => {
    expect(formatBps(value)).toBe(text);
  });

  it("uses 1000, not 1024", () => {
    expect(formatBps(1024)).toBe("1.02 kbit/s");
  });

  it("shows a dash for unknown values", () => {
    expect(formatBps(null)).toBe(MISSING);
    expect(formatBps(undefined)).toBe(MISSING);
    expect(formatBps(Number.NaN)).toBe(MISSING);
  });
});

describe("formatPercent", () => {
  it.each([
    [0, "0 %"],
    [0.0234, "2.3 %"],
    [0.5, "50 %"],
    [1, "100 %"],
    [1.2, "120 %"],
  ])("%d -> %s", (value, text) => {
    expect(formatPercent(value)).toBe(text);
  });
  it("shows a dash for null", () => expect(formatPercent(null)).toBe(MISSING));
});

describe("formatDuration", () => {
  it.each([
    [0, "0 s"],
    [45, "45 s"],
    [60, "1 min"],
    [61, "1 min 1 s"],
    [3600, "1 h"],
    [3720, "1 h 2 min"],
    [86_400, "1 d"],
    [90_061, "1 d 1 h"],
    [1_000_000, "11 d 13 h"],
    [-5, "0 s"],
  ])("%d -> %s", (value, text) => {
    expect(formatDuration(value)).toBe(text);
  });
});

describe("formatRelative", () => {
  const now = 1_700_000_000;
  it.each([
    [now, "just now"],
    [now - 4, "just now"],
    [now + 3, "just now"],
    [now - 12, "12 s ago"],
    [now - 180, "3 min ago"],
    [now - 3599, "59 min ago"],
    [now - 7500, "2 h 5 min ago"],
    [now - 4 * 86_400 - 7200, "4 d 2 h ago"],
    [now + 180, "in 3 min"],
  ])("%d -> %s", (then, text) => {
    expect(formatRelative(then, now)).toBe(text);
  });
  it("says never for null", () => expect(formatRelative(null, now)).toBe("never"));
});

describe("formatTimestamp", () => {
  it("formats local time with zero padding", () => {
    const secs = new Date(2024, 0, 2, 3, 4, 5).getTime() / 1000;
    expect(formatTimestamp(secs)).toBe("2024-01-02 03:04:05");
  });
});

describe("shortDescription", () => {
  it("keeps the first line", () => {
    expect(shortDescription("Cisco IOS Software\nTechnical Support")).toBe("Cisco IOS Software");
  });
  it("cuts long text with an ellipsis", () => {
    const text = shortDescription("x".repeat(100), 10);
    expect(text).toHaveLength(10);
    expect(text.endsWith("…")).toBe(true);
  });
  it("is empty for missing text", () => expect(shortDescription(null)).toBe(""));
});

describe("formatCount", () => {
  it.each([
    [0, "0"],
    [999, "999"],
    [1000, "1,000"],
    [69_120, "69,120"],
    [1_234_567, "1,234,567"],
    [null, MISSING],
  ])("%s -> %s", (n, text) => {
    expect(formatCount(n)).toBe(text);
  });
});

describe("formatLogTime", () => {
  it("gives the time of day with milliseconds today, the date otherwise", () => {
    const t = new Date(2026, 10, 25, 14, 3, 27, 125).getTime() / 1000;
    expect(formatLogTime(t, t + 3600)).toBe("14:03:27.125");
    expect(formatLogTime(t, t + 86_400)).toBe("2026-11-25 14:03:27");
  });
});
