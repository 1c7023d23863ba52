import { describe, expect, it } from "vitest";
import type { StatusEvent, StatusSummary } from "../api/client";
import { applyStatus, recount, withStatus } from "./device-status";
import { deviceView as device } from "./test-devices";

const down: StatusEvent = {
  deviceId: "b",
  status: { state: "snmp_down", reason: "echo replies (3/3) but no SNMP answer (no answer within 2000 ms)", since: 1_700_000_200, lastPollAt: 1_700_000_200, lastError: "no answer within 2000 ms", consecutiveFailures: 1 },
};
const summary: StatusSummary = {
  auth: { enabled: true, failedLogins: 0, rateLimited: 0, sessions: 1, tokens: 0, users: 1 },
  devices: 3,
  up: 2,
  snmpDown: 0,
  unreachable: 0,
  down: 0,
  unknown: 1,
  interfaces: 12,
  poller: {
    pollsTotal: 10,
    pollsFailed: 0,
    pollsLate: 0,
    pollsOverDeadline: 0,
    pollsPanicked: 0,
    nudgesDeferred: 0,
    interfaceSamplesTotal: 40,
    samplesDropped: 0,
  },
  reach: { mode4: "raw", mode6: "raw", reason: null, roundsTotal: 0, roundsSilent: 0, roundsDeferred: 0, resolveFailures: 0, maxInFlight: 512 },
  tasksRestarted: 0,
  logs: {
    stored: 0,
    dropped: 0,
    syslogReceived: 0,
    syslogMalformed: 0,
    syslogTruncated: 0,
    trapsReceived: 0,
    trapsMalformed: 0,
    trapsV3UnknownUser: 0,
    trapsV3NotAuthentic: 0,
    droppedBytes: 0,
    queueEntries: 0,
    queueBytes: 0,
    queueMaxBytes: 67_108_864,
    memoryEntries: 0,
    memoryBytes: 0,
    memoryMaxBytes: 33_554_432,
    memoryEvicted: 0,
    memoryClipped: 0,
    queryBudgetMs: 500,
    tcp: {
      open: 0,
      accepted: 0,
      refused: 0,
      evicted: 0,
      closedIdle: 0,
      closedDeadline: 0,
      framesCut: 0,
      bufferedBytes: 0,
      maxPeers: 256,
      maxPeersPerAddr: 16,
      idleSecs: 30,
      frameSecs: 10,
    },
  },
  notify: {
    queued: 0, delivered: 0, failed: 0, dropped: 0, retrying: 0, pending: 0, pendingBytes: 0,
    maxBytes: 16_777_216, attemptsFailed: 0, channels: 0,
  },
  alerts: { rules: 0, maintenanceWindows: 0, openIncidents: 0, trackedConditions: 0, eventsLost: 0, conditionsRefused: 0 },
  receivers: [],
  remoteWrite: [],
  role: "single",
  pollers: [],
  storage: {
    writeErrors: 0,
    lastWriteError: null,
    lastWriteErrorAt: null,
    sealedFiles: 0,
    sealedLines: 0,
    sealedTornTails: 0,
    samplesFilesOpen: 0,
    samplesFilesMaxOpen: 2048,
    samplesFilesReopened: 0,
    latencyFilesOpen: 0,
    latencyFilesMaxOpen: 2048,
    latencyFilesReopened: 0,
  },
  files: { openLimit: 1024, devicesSupported: 384 },
  snmpSockets: { open: 2, sendsDropped: 0, strayDatagrams: 0 },
  http: {
    workers: 1, connections: 1, maxConnections: 1024, sseStreams: 1, maxSseStreams: 128, maxSseStreamsPerAddress: 16,
    sseBufferBytes: 131072, sseDropped: 0, sseRefused: 0, bodiesTooLarge: 0, bodiesTimedOut: 0,
  },
};

describe("withStatus", () => {
  it("replaces the whole status of the device the event names", () => {
    const next = withStatus(device("b", "up"), down);
    expect(next.status).toEqual(down.status);
    expect(next.inBps).toBe(100);
  });

  it("leaves another device alone", () => {
    const other = device("a", "up");
    expect(withStatus(other, down)).toBe(other);
  });
});

describe("applyStatus", () => {
  it("replaces the device in a new list and tells its previous state", () => {
    const list = [device("a", "up"), device("b", "up"), device("c", "unknown")];
    const result = applyStatus(list, down);
    expect(result?.before).toBe("up");
    expect(result?.devices.map((d) => d.status.state)).toEqual(["up", "snmp_down", "unknown"]);
    expect(result?.devices[0]).toBe(list[0]);
    expect(list[1]!.status.state).toBe("up");
  });

  it("says when the device is not in the list", () => {
    expect(applyStatus([device("a", "up")], down)).toBeNull();
  });
});

describe("recount", () => {
  it("moves one device between the counts", () => {
    expect(recount(summary, "up", "snmp_down")).toMatchObject({ devices: 3, up: 1, snmpDown: 1, down: 1, unknown: 1 });
    expect(recount(summary, "unknown", "up")).toMatchObject({ up: 3, down: 0, unknown: 0 });
  });

  it("returns the same counts when the state did not change", () => {
    expect(recount(summary, "up", "up")).toBe(summary);
  });

  it("never counts below zero when the counts were already stale", () => {
    expect(recount(summary, "unreachable", "up")).toMatchObject({ up: 3, unreachable: 0, down: 0 });
  });
});
