/** Test data shared by the unit tests: a device row as the API answers it. */
import type { DeviceView } from "../api/client";

/** A v2c device `id` (named `name`, default its id) in `state`, 4 interfaces, 2 up. */
export const deviceView = (id: string, state: DeviceView["status"]["state"], name = id): DeviceView => ({
  id,
  name,
  host: "10.0.0.1",
  port: 161,
  snmp: { version: "v2c", communitySet: true },
  pollIntervalSecs: 60,
  timeoutMs: 2000,
  retries: 1,
  pingIntervalSecs: 30,
  tags: [],
  availability: { day: null, week: null, month: null, year: null },
  createdAt: 1_700_000_000,
  status: { state, since: 1_700_000_000, lastPollAt: 1_700_000_100, lastError: null, consecutiveFailures: 0 },
  system: null,
  interfaceCount: 4,
  interfacesUp: 2,
  inBps: 100,
  outBps: 50,
});

/** An SNMPv3 device (authPriv, both passwords set), never polled yet. */
export const v3DeviceView = (): DeviceView => ({
  ...deviceView("d3", "unknown", "core-v3"),
  host: "10.0.0.3",
  snmp: {
    version: "v3",
    user: "monitor",
    securityLevel: "authPriv",
    authProtocol: "sha256",
    authPasswordSet: true,
    privProtocol: "aes",
    privPasswordSet: true,
    contextName: "",
  },
  timeoutMs: 1000,
  status: { state: "unknown", since: null, lastPollAt: null, lastError: null, consecutiveFailures: 0 },
  interfaceCount: 0,
  interfacesUp: 0,
  inBps: null,
  outBps: null,
});
