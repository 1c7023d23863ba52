import { describe, expect, it } from "vitest";
import {
  DEFAULT_RANGE,
  describeRange,
  fromLocalInputValue,
  maxPointsFor,
  parseRange,
  rangeToQuery,
  resolveWindow,
  toLocalInputValue,
  type TimeRange,
} from "./time-range";

const q = (s: string) => new URLSearchParams(s);

describe("parseRange", () => {
  it("reads presets", () => {
    expect(parseRange(q("range=6h"))).toEqual({ kind: "preset", preset: "6h" });
    expect(parseRange(q("range=live"))).toEqual({ kind: "preset", preset: "live" });
    expect(parseRange(q("range=1y"))).toEqual({ kind: "preset", preset: "1y" });
  });
  it("defaults to 1 hour", () => {
    expect(parseRange(q(""))).toEqual(DEFAULT_RANGE);
    expect(parseRange(q("range=2w"))).toEqual(DEFAULT_RANGE);
  });
  it("reads custom windows, which win over range", () => {
    expect(parseRange(q("from=1000&to=5000&range=6h"))).toEqual({ kind: "custom", from: 1000, to: 5000 });
  });
  it("ignores inverted, too short or non-numeric custom windows", () => {
    expect(parseRange(q("from=5000&to=1000"))).toEqual(DEFAULT_RANGE);
    expect(parseRange(q("from=1000&to=1030"))).toEqual(DEFAULT_RANGE);
    expect(parseRange(q("from=abc&to=5000&range=24h"))).toEqual({ kind: "preset", preset: "24h" });
    expect(parseRange(q("from=-1&to=5000"))).toEqual(DEFAULT_RANGE);
  });
  it("round-trips through rangeToQuery", () => {
    const ranges: TimeRange[] = [
      { kind: "preset", preset: "7d" },
      { kind: "custom", from: 1_700_000_000, to: 1_700_003_600 },
    ];
    for (const r of ranges) expect(parseRange(q(rangeToQuery(r)))).toEqual(r);
  });
});

describe("resolveWindow", () => {
  const now = 1_700_000_000.7;
  it.each([
    ["live", 900],
    ["1h", 3600],
    ["6h", 21_600],
    ["24h", 86_400],
    ["7d", 604_800],
    ["30d", 2_592_000],
    ["1y", 31_536_000],
  ] as const)("%s ends now and spans %d s", (preset, span) => {
    expect(resolveWindow({ kind: "preset", preset }, now)).toEqual({ from: 1_700_000_000 - span, to: 1_700_000_000 });
  });
  it("keeps custom windows as they are", () => {
    expect(resolveWindow({ kind: "custom", from: 10, to: 500 }, now)).toEqual({ from: 10, to: 500 });
  });
});

describe("maxPointsFor", () => {
  it("asks for about one point per two pixels, within bounds", () => {
    expect(maxPointsFor(1200)).toBe(600);
    expect(maxPointsFor(50)).toBe(60);
    expect(maxPointsFor(10_000)).toBe(1500);
    expect(maxPointsFor(0)).toBe(600);
    expect(maxPointsFor(Number.NaN)).toBe(600);
  });
});

describe("describeRange", () => {
  it("names presets and custom windows", () => {
    expect(describeRange({ kind: "preset", preset: "6h" }, String)).toBe("Last 6 hours");
    expect(describeRange({ kind: "preset", preset: "live" }, String)).toBe("Live (last 15 minutes)");
    expect(describeRange({ kind: "custom", from: 1, to: 2 }, String)).toBe("1 – 2");
  });
});

describe("datetime-local values", () => {
  it("round-trips at minute precision", () => {
    const secs = new Date(2024, 4, 6, 7, 8).getTime() / 1000;
    expect(toLocalInputValue(secs)).toBe("2024-05-06T07:08");
    expect(fromLocalInputValue("2024-05-06T07:08")).toBe(secs);
    expect(fromLocalInputValue("2024-05-06T07:08:30")).toBe(secs + 30);
  });
  it("rejects empty and malformed input", () => {
    expect(fromLocalInputValue("")).toBeNull();
    expect(fromLocalInputValue("yesterday")).toBeNull();
  });
});
