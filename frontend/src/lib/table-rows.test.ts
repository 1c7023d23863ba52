import { describe, expect, it } from "vitest";
import { filterRows, nextSort, parseSort, resortRows, sortRows, sortToParam, type SortValue } from "./table-rows";

interface Row {
  name: string;
  bps: number | null;
}
const rows: Row[] = [
  { name: "Gi0/10", bps: 5 },
  { name: "gi0/2", bps: null },
  { name: "Gi0/1", bps: 100 },
  { name: "Te1/1", bps: 5 },
];
const valueOf = (row: Row, key: "name" | "bps"): SortValue => row[key];

describe("sortRows", () => {
  it("sorts names naturally and case-insensitively", () => {
    expect(sortRows(rows, { key: "name", dir: "asc" }, valueOf).map((r) => r.name)).toEqual([
      "Gi0/1",
      "gi0/2",
      "Gi0/10",
      "Te1/1",
    ]);
  });
  it("sorts numbers descending with nulls last", () => {
    expect(sortRows(rows, { key: "bps", dir: "desc" }, valueOf).map((r) => r.name)).toEqual([
      "Gi0/1",
      "Gi0/10",
      "Te1/1",
      "gi0/2",
    ]);
  });
  it("keeps nulls last when ascending too, and is stable", () => {
    expect(sortRows(rows, { key: "bps", dir: "asc" }, valueOf).map((r) => r.name)).toEqual([
      "Gi0/10",
      "Te1/1",
      "Gi0/1",
      "gi0/2",
    ]);
  });
  it("does not mutate its input", () => {
    const copy = rows.slice();
    sortRows(rows, { key: "name", dir: "desc" }, valueOf);
    expect(rows).toEqual(copy);
  });
});

describe("resortRows", () => {
  // Rows in their first order (an index), as a list arrives; `tie` restores it among equal values.
  const indexed = () => rows.map((row, index) => ({ ...row, index }));
  const byIndex = (a: { index: number }, b: { index: number }) => a.index - b.index;

  it("sorts the same array again after its values moved, as a fresh sort would", () => {
    for (const dir of ["asc", "desc"] as const) {
      const list = sortRows(indexed(), { key: "bps", dir }, valueOf);
      const same = list;
      list[0]!.bps = 1;
      list[3]!.bps = 7;
      list[1]!.bps = null;
      resortRows(list, { key: "bps", dir }, valueOf, byIndex);
      expect(list).toBe(same);
      const fresh = sortRows(
        list.slice().sort(byIndex),
        { key: "bps", dir },
        valueOf,
      );
      expect(list.map((r) => r.name)).toEqual(fresh.map((r) => r.name));
    }
  });

  it("orders equal values by the tie-break, not by where they stood before", () => {
    const list = indexed().reverse();
    for (const row of list) row.bps = 5;
    resortRows(list, { key: "bps", dir: "desc" }, valueOf, byIndex);
    expect(list.map((r) => r.index)).toEqual([0, 1, 2, 3]);
  });
});

describe("filterRows", () => {
  const devices = [
    { name: "core-sw-1", host: "10.0.0.1", sysName: "core1.example.net" },
    { name: "edge-rtr", host: "192.0.2.7", sysName: null },
    { name: "Access Point", host: "ap.example.net", sysName: "AP-3" },
  ];
  const texts = (d: (typeof devices)[number]) => [d.name, d.host, d.sysName];

  it("keeps everything for an empty query", () => {
    expect(filterRows(devices, "  ", texts)).toHaveLength(3);
  });
  it("matches name or address, case-insensitively", () => {
    expect(filterRows(devices, "CORE", texts).map((d) => d.name)).toEqual(["core-sw-1"]);
    expect(filterRows(devices, "192.0", texts).map((d) => d.name)).toEqual(["edge-rtr"]);
    expect(filterRows(devices, "example", texts).map((d) => d.name)).toEqual(["core-sw-1", "Access Point"]);
  });
  it("needs every word to match somewhere", () => {
    expect(filterRows(devices, "example ap", texts).map((d) => d.name)).toEqual(["Access Point"]);
    expect(filterRows(devices, "core 192", texts)).toEqual([]);
  });
});

describe("sort in the URL", () => {
  const keys = ["name", "inBps"] as const;
  const fallback = { key: "name", dir: "asc" } as const;
  it("reads ascending and descending keys", () => {
    expect(parseSort("inBps", keys, fallback)).toEqual({ key: "inBps", dir: "asc" });
    expect(parseSort("-inBps", keys, fallback)).toEqual({ key: "inBps", dir: "desc" });
  });
  it("falls back on unknown or missing keys", () => {
    expect(parseSort("bogus", keys, fallback)).toEqual(fallback);
    expect(parseSort(null, keys, fallback)).toEqual(fallback);
  });
  it("writes what it reads", () => {
    expect(sortToParam({ key: "inBps", dir: "desc" })).toBe("-inBps");
    expect(sortToParam({ key: "name", dir: "asc" })).toBe("name");
  });
});

describe("nextSort", () => {
  it("flips the current column and starts others in their first direction", () => {
    expect(nextSort({ key: "name", dir: "asc" }, "name", "asc")).toEqual({ key: "name", dir: "desc" });
    expect(nextSort({ key: "name", dir: "desc" }, "name", "asc")).toEqual({ key: "name", dir: "asc" });
    expect(nextSort({ key: "name", dir: "asc" }, "inBps", "desc")).toEqual({ key: "inBps", dir: "desc" });
  });
});
