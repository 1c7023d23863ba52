import { describe, expect, it } from "vitest";
import { rowWindow, sameWindow } from "./row-window";

describe("rowWindow", () => {
  it("draws the visible rows plus overscan at the top of a long list", () => {
    expect(rowWindow(2001, 30, 0, 600, 10)).toEqual({ start: 0, end: 31, padTop: 0, padBottom: (2001 - 31) * 30 });
  });

  it("keeps the drawn rows bounded whatever the list's length", () => {
    for (const count of [100, 2001, 100_000]) {
      const w = rowWindow(count, 30, 15_000, 600, 10);
      expect(w.end - w.start).toBeLessThanOrEqual(21 + 20);
      expect(w.padTop + (w.end - w.start) * 30 + w.padBottom).toBe(count * 30);
    }
  });

  it("starts overscan rows above the first visible row in the middle", () => {
    const w = rowWindow(2001, 30, 3000, 600, 10);
    expect(w.start).toBe(90);
    expect(w.end).toBe(100 + 21 + 10);
    expect(w.padTop).toBe(90 * 30);
  });

  it("stops at the end of the list, even scrolled past it (a list that shrank)", () => {
    const w = rowWindow(50, 30, 100_000, 600, 10);
    expect(w.end).toBe(50);
    expect(w.start).toBeLessThan(50);
    expect(w.padBottom).toBe(0);
  });

  it("draws nothing for an empty list or an unmeasured row", () => {
    expect(rowWindow(0, 30, 0, 600, 10)).toEqual({ start: 0, end: 0, padTop: 0, padBottom: 0 });
    expect(rowWindow(10, 0, 0, 600, 10)).toEqual({ start: 0, end: 0, padTop: 0, padBottom: 0 });
  });

  it("treats a negative scroll (elastic overscroll) as the top", () => {
    expect(rowWindow(100, 30, -40, 300, 2).start).toBe(0);
  });
});

describe("sameWindow", () => {
  it("is false the first time and when the list changes length", () => {
    const w = rowWindow(100, 30, 0, 300, 2);
    expect(sameWindow(null, w)).toBe(false);
    expect(sameWindow(w, rowWindow(100, 30, 10, 300, 2))).toBe(true);
    expect(sameWindow(w, rowWindow(120, 30, 0, 300, 2))).toBe(false);
  });
});
