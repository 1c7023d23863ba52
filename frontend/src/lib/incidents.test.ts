import { describe, expect, it } from "vitest";
import type { IncidentView } from "../api/alerts";
import { applyIncidentEvent, incidentMarks, matchesFilter, OpenIncidents, sortIncidents } from "./incidents";

function incident(id: string, over: Partial<IncidentView> = {}): IncidentView {
  return {
    id, ruleId: "0000000a", ruleName: "Core down", kind: "device_unreachable", deviceId: "000000d1", deviceName: "core-sw1", ifIndex: null,
    state: "open", openedAt: 100, resolvedAt: null, flapping: false, acknowledged: false, acknowledgedBy: null, acknowledgedAt: null,
    inMaintenance: false, suppressedBy: null, summary: "core-sw1 is unreachable", deliveries: [], ...over,
  };
}

describe("sortIncidents", () => {
  it("puts open ones first, newest first, then resolved ones by when they resolved", () => {
    const list = [
      incident("r-old", { state: "resolved", openedAt: 10, resolvedAt: 50 }),
      incident("o-old", { openedAt: 20 }),
      incident("r-new", { state: "resolved", openedAt: 5, resolvedAt: 90 }),
      incident("o-new", { openedAt: 80 }),
    ];
    expect(sortIncidents(list).map((i) => i.id)).toEqual(["o-new", "o-old", "r-new", "r-old"]);
  });
});

describe("applyIncidentEvent", () => {
  it("adds a new incident in its place and replaces a known one, keeping the deliveries events lack", () => {
    const delivery = { id: "d1", channelId: "c1", incidentId: "a", event: "open", state: "delivered", attempts: 1, createdAt: 1, lastAttemptAt: 1, nextAttemptAt: null, lastError: null } as unknown as IncidentView["deliveries"][number];
    let list = [incident("a", { openedAt: 10, deliveries: [delivery] })];
    list = applyIncidentEvent(list, incident("b", { openedAt: 20 }));
    expect(list.map((i) => i.id)).toEqual(["b", "a"]);
    list = applyIncidentEvent(list, incident("a", { state: "resolved", resolvedAt: 30, openedAt: 10 }));
    expect(list.map((i) => [i.id, i.state])).toEqual([["b", "open"], ["a", "resolved"]]);
    expect(list[1]!.deliveries).toEqual([delivery]);
  });
});

describe("OpenIncidents (the header badge)", () => {
  it("counts open ids from a first list and the stream's events", () => {
    const open = new OpenIncidents();
    open.reset([incident("a"), incident("b", { state: "resolved" })]);
    expect(open.count).toBe(1);
    open.apply(incident("c"));
    open.apply(incident("c", { acknowledged: true })); // a change to an open one is not another
    expect(open.count).toBe(2);
    open.apply(incident("a", { state: "resolved" }));
    open.apply(incident("z", { state: "resolved" })); // resolving one never seen is nothing
    expect(open.count).toBe(1);
  });
});

describe("marks and filters", () => {
  it("names each mark and filters like the server", () => {
    expect(incidentMarks(incident("a", { flapping: true, acknowledged: true, suppressedBy: "behind core" }))).toEqual(["flapping", "acknowledged", "behind core"]);
    expect(matchesFilter(incident("a"), { state: "resolved" })).toBe(false);
    expect(matchesFilter(incident("a"), { state: "open", deviceId: "000000d1" })).toBe(true);
    expect(matchesFilter(incident("a"), { ruleId: "0000000b" })).toBe(false);
  });
});
