import { describe, expect, it } from "vitest";
import { percentile, percentile95 } from "./percentile";

describe("percentile95 (nearest rank)", () => {
  it("is null without data", () => {
    expect(percentile95([])).toBeNull();
    expect(percentile95([null, null, undefined])).toBeNull();
  });

  it("takes the value at rank ceil(0.95 n)", () => {
    // 1..100: rank 95 -> 95.
    const hundred = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile95(hundred)).toBe(95);
    // 1..20: rank ceil(19) = 19 -> 19.
    expect(percentile95(Array.from({ length: 20 }, (_, i) => i + 1))).toBe(19);
    // 1..10: rank ceil(9.5) = 10 -> the maximum.
    expect(percentile95(Array.from({ length: 10 }, (_, i) => i + 1))).toBe(10);
  });

  it("does not depend on input order", () => {
    const values = [50, 10, 40, 30, 20, 90, 80, 70, 60, 100, 5, 15, 25, 35, 45, 55, 65, 75, 85, 95];
    expect(percentile95(values)).toBe(95);
  });

  it("skips gaps instead of counting them as zero", () => {
    const withGaps = [null, ...Array.from({ length: 20 }, (_, i) => i + 1), null, null];
    expect(percentile95(withGaps)).toBe(19);
  });

  it("returns the only value of a single-point window", () => {
    expect(percentile95([42])).toBe(42);
  });

  it("cuts the top 5 % of bursts", () => {
    const values = [...Array(95).fill(10), ...Array(5).fill(1000)];
    expect(percentile95(values)).toBe(10);
    expect(percentile95([...values, 1000])).toBe(1000);
  });

  it("does not mutate its input", () => {
    const values = [3, 1, 2];
    percentile95(values);
    expect(values).toEqual([3, 1, 2]);
  });
});

describe("percentile", () => {
  it("gives the median and the maximum", () => {
    expect(percentile([1, 2, 3, 4], 50)).toBe(2);
    expect(percentile([1, 2, 3, 4], 100)).toBe(4);
  });
  it("rejects percentiles out of range", () => {
    expect(() => percentile([1], 0)).toThrow(RangeError);
    expect(() => percentile([1], 101)).toThrow(RangeError);
  });
});
