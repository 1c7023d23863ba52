import { describe, expect, it } from "vitest";
import type { DeviceView, InterfaceView, SampleEvent, StatusEvent } from "../api/client";
import { applyStatuses, byIfIndex, FrameBatcher, interfacesStale, oncePerFrame, patchRates, rowTotals, utilization } from "./live-patch";
import { matchesState, parseStateFilter, problemCount, problemsFirst, stateCounts } from "./problems-first";
import { deviceView as device } from "./test-devices";

const status = (deviceId: string, state: DeviceView["status"]["state"], since = 1_700_000_200): StatusEvent => ({
  deviceId,
  status: { state, reason: null, since, lastPollAt: since, lastError: null, consecutiveFailures: state === "up" ? 0 : 1 },
});
const iface = (ifIndex: number, speedBps: number | null, inBps: number | null, outBps: number | null): InterfaceView => ({
  ifIndex,
  ifName: `ge-0/0/${ifIndex}`,
  ifDescr: "",
  ifAlias: "",
  ifType: 6,
  speedBps,
  adminStatus: "up",
  operStatus: "up",
  inBps,
  outBps,
  utilization: utilization(speedBps, inBps, outBps),
});

describe("FrameBatcher", () => {
  it("hands a burst over once, in order, at the next frame", () => {
    const frames: (() => void)[] = [];
    const flushed: number[][] = [];
    const batcher = new FrameBatcher<number>((items) => flushed.push(items), (run) => frames.push(run));
    for (const n of [1, 2, 3]) batcher.push(n);
    expect(frames).toHaveLength(1);
    expect(flushed).toEqual([]);
    frames.shift()!();
    expect(flushed).toEqual([[1, 2, 3]]);
    batcher.push(4);
    expect(frames).toHaveLength(1);
    frames.shift()!();
    expect(flushed).toEqual([[1, 2, 3], [4]]);
  });
});

describe("oncePerFrame", () => {
  it("runs once at the next frame however often it was asked, then can be asked again", () => {
    const frames: (() => void)[] = [];
    let runs = 0;
    const later = oncePerFrame(() => runs++, (run) => frames.push(run));
    later();
    later();
    expect(frames).toHaveLength(1);
    expect(runs).toBe(0);
    frames.shift()!();
    expect(runs).toBe(1);
    later();
    expect(frames).toHaveLength(1);
    frames.shift()!();
    expect(runs).toBe(2);
  });
});

describe("applyStatuses", () => {
  const devices = [device("a", "up"), device("b", "up"), device("c", "up")];

  it("replaces only the changed devices, the last event of a device winning", () => {
    const { devices: next, unknown } = applyStatuses(devices, [status("b", "unreachable", 1), status("b", "snmp_down", 2)]);
    expect(unknown).toBe(false);
    expect(next[1]!.status.state).toBe("snmp_down");
    expect(next[1]!.status.since).toBe(2);
    expect(next[0]).toBe(devices[0]);
    expect(next[2]).toBe(devices[2]);
    expect(devices[1]!.status.state).toBe("up");
  });

  it("says when an event names a device the page does not hold", () => {
    const { devices: next, unknown } = applyStatuses(devices, [status("z", "up")]);
    expect(unknown).toBe(true);
    expect(next).toBe(devices);
  });
});

describe("patchRates", () => {
  const table = () => [iface(1, 1000, 10, 20), iface(2, 1000, 0, 0), iface(3, null, 5, 5)];
  const sample = (rates: [number, number | null, number | null][]): SampleEvent => ({
    deviceId: "a",
    timestamp: 1_700_000_300,
    interfaceCount: rates.length,
    interfacesUp: rates.length,
    interfaces: rates.map(([ifIndex, inBps, outBps]) => ({ ifIndex, inBps, outBps })),
  });

  it("writes the rates and utilisation of the interfaces that moved into the rows held, making no row", () => {
    const rows = table();
    const [first, second, third] = rows;
    const untouched = { ...first };
    expect(patchRates(byIfIndex(rows), sample([[1, 10, 20], [2, 900, 100], [3, 7, 8]]))).toBe(true);
    expect(rows[0]).toBe(first);
    expect(rows[0]).toEqual(untouched);
    expect(rows[1]).toBe(second);
    expect(rows[1]).toMatchObject({ inBps: 900, outBps: 100, utilization: 0.9 });
    expect(rows[2]).toBe(third);
    expect(rows[2]).toMatchObject({ inBps: 7, outBps: 8, utilization: null });
  });

  it("says nothing moved when no rate changed, and ignores interfaces it does not hold", () => {
    const rows = table();
    const before = structuredClone(rows);
    expect(patchRates(byIfIndex(rows), sample([[1, 10, 20], [99, 5, 5]]))).toBe(false);
    expect(rows).toEqual(before);
  });

  it("takes a gap (null, or a rate left out) as unknown", () => {
    const rows = table();
    const event = sample([[1, null, 20]]);
    delete event.interfaces[0]!.outBps;
    expect(patchRates(byIfIndex(rows), event)).toBe(true);
    expect(rows[0]).toMatchObject({ inBps: null, outBps: null, utilization: null });
    expect(patchRates(byIfIndex(rows), sample([[1, null, null]]))).toBe(false);
  });

  it("caps utilisation at 1 and leaves it unknown without both rates", () => {
    expect(utilization(100, 500, 10)).toBe(1);
    expect(utilization(100, null, 10)).toBeNull();
    expect(utilization(0, 5, 5)).toBeNull();
  });
});

describe("problemsFirst", () => {
  it("puts unreachable, then SNMP down, then unknown, then up devices first, by name within each", () => {
    const order = problemsFirst([
      device("1", "up", "core-10"),
      device("2", "up", "core-2"),
      device("3", "snmp_down", "b"),
      device("4", "unreachable", "z"),
      device("5", "unknown", "a"),
      device("6", "unreachable", "a"),
    ]).map((d) => d.name);
    expect(order).toEqual(["a", "z", "b", "a", "core-2", "core-10"]);
  });

  it("counts the devices that are not up", () => {
    expect(problemCount([device("1", "up"), device("2", "snmp_down"), device("3", "unknown")])).toBe(2);
  });
});

describe("state filters and counts", () => {
  const fleet = [device("1", "up"), device("2", "snmp_down"), device("3", "unreachable"), device("4", "up")];

  it("keeps every device, the problems, or one state", () => {
    expect(fleet.filter((d) => matchesState(d, "")).length).toBe(4);
    expect(fleet.filter((d) => matchesState(d, "problems")).map((d) => d.id)).toEqual(["2", "3"]);
    expect(fleet.filter((d) => matchesState(d, "up")).map((d) => d.id)).toEqual(["1", "4"]);
  });

  it("reads only known filters from the URL", () => {
    expect(parseStateFilter("snmp_down")).toBe("snmp_down");
    expect(parseStateFilter("problems")).toBe("problems");
    expect(parseStateFilter("bogus")).toBe("");
    expect(parseStateFilter(null)).toBe("");
  });

  it("counts devices per state", () => {
    expect(stateCounts(fleet)).toEqual({ up: 2, snmp_down: 1, unreachable: 1, unknown: 0 });
  });
});

describe("interfacesStale", () => {
  const totals = (interfaceCount: number, interfacesUp: number) => ({ interfaceCount, interfacesUp });

  it("wants the list when none is held yet", () => {
    expect(interfacesStale(null, totals(4000, 3990))).toBe(true);
  });

  it("keeps the list while only the rates moved (same count, same number up)", () => {
    const polled: DeviceView = { ...device("d", "up"), interfaceCount: 4000, interfacesUp: 3990, inBps: 7 };
    expect(interfacesStale(totals(4000, 3990), polled)).toBe(false);
  });

  it("wants the list when an interface went up or down, appeared or went away", () => {
    expect(interfacesStale(totals(4000, 3990), totals(4000, 3989))).toBe(true);
    expect(interfacesStale(totals(4000, 3990), totals(4000, 3991))).toBe(true);
    expect(interfacesStale(totals(4000, 3990), totals(4001, 3990))).toBe(true);
    expect(interfacesStale(totals(4000, 3990), totals(3999, 3990))).toBe(true);
  });
});

describe("rowTotals", () => {
  it("counts the rows and those operationally up, whatever their admin status", () => {
    const down = { ...iface(2, null, null, null), operStatus: "down" };
    const dormant = { ...iface(3, null, null, null), operStatus: "dormant" };
    const adminDown = { ...iface(4, null, null, null), adminStatus: "down" };
    expect(rowTotals([iface(1, null, null, null), down, dormant, adminDown])).toEqual({ interfaceCount: 4, interfacesUp: 2 });
  });

  it("holds an empty list, fetched before a new device's first poll, stale beside that poll's device", () => {
    const polled: DeviceView = { ...device("d", "up"), interfaceCount: 3, interfacesUp: 2 };
    expect(interfacesStale(rowTotals([]), polled)).toBe(true);
    expect(interfacesStale(rowTotals([iface(1, null, null, null), iface(2, null, null, null), { ...iface(3, null, null, null), operStatus: "down" }]), polled)).toBe(false);
  });
});
