import { describe, expect, it } from "vitest";
import { appendOlder, catchUp, prependLive, type LogList } from "./log-list";

const list = (ids: number[], nextCursor: number | null = null): LogList<{ id: number }> => ({ entries: ids.map((id) => ({ id })), nextCursor });
const ids = (l: LogList<{ id: number }>) => l.entries.map((e) => e.id);

describe("prependLive", () => {
  it("puts new entries on top, newest first, without repeating one already held", () => {
    const next = prependLive(list([5, 4, 3], 3), [{ id: 7 }, { id: 5 }, { id: 6 }]);
    expect(ids(next)).toEqual([7, 6, 5, 4, 3]);
    expect(next.nextCursor).toBe(3);
  });

  it("drops the oldest beyond the cap and points the cursor at the oldest kept", () => {
    const next = prependLive(list([3, 2, 1], null), [{ id: 4 }, { id: 5 }], 3);
    expect(ids(next)).toEqual([5, 4, 3]);
    expect(next.nextCursor).toBe(3);
  });

  it("returns the same list when nothing came", () => {
    const l = list([1]);
    expect(prependLive(l, [])).toBe(l);
  });
});

describe("appendOlder", () => {
  it("adds the older page at the bottom and takes its cursor", () => {
    const next = appendOlder(list([9, 8], 8), list([7, 6], 6));
    expect(ids(next)).toEqual([9, 8, 7, 6]);
    expect(next.nextCursor).toBe(6);
    expect(appendOlder(list([9, 8], 8), list([7], null)).nextCursor).toBeNull();
  });
});

describe("catchUp", () => {
  it("adds what came while the stream was down", () => {
    const next = catchUp(list([5, 4], 4), list([8, 7, 6, 5], null));
    expect(ids(next)).toEqual([8, 7, 6, 5, 4]);
    expect(next.nextCursor).toBe(4);
  });

  it("replaces the list when a full page does not reach what is held (a hole otherwise)", () => {
    const next = catchUp(list([5, 4], 4), list([20, 19], 19));
    expect(ids(next)).toEqual([20, 19]);
    expect(next.nextCursor).toBe(19);
  });

  it("keeps the list when the page ends where it starts", () => {
    expect(ids(catchUp(list([5, 4], 4), list([6, 5], 5)))).toEqual([6, 5, 4]);
  });

  it("takes the page when nothing was held", () => {
    const page = list([3, 2], 2);
    expect(catchUp(list([]), page)).toBe(page);
  });
});
