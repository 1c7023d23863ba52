import { describe, expect, it } from "vitest";
import type { DeviceView } from "../api/client";
import {
  fieldMessage,
  initialValues,
  isDeviceField,
  isValidHost,
  toDevicePatch,
  toNewDevice,
  validateDevice,
  type DeviceFormValues,
} from "./device-input";

const device: DeviceView = {
  id: "d1",
  name: "core-sw-1",
  host: "10.0.0.1",
  port: 161,
  snmp: { version: "v2c", communitySet: true },
  pollIntervalSecs: 60,
  timeoutMs: 2000,
  retries: 1,
  createdAt: 1_700_000_000,
  status: { state: "up", since: 1_700_000_000, lastPollAt: 1_700_000_100, lastError: null, consecutiveFailures: 0 },
  system: null,
  interfaceCount: 0,
  interfacesUp: 0,
  inBps: null,
  outBps: null,
};

const valid = (over: Partial<DeviceFormValues> = {}): DeviceFormValues => ({
  ...initialValues(null),
  host: "192.0.2.1",
  community: "public",
  ...over,
});

describe("isValidHost", () => {
  it.each(["192.0.2.1", "0.0.0.0", "255.255.255.255", "switch1", "switch1.example.net", "sw-1.lab.", "2001:db8::1", "::1", "::ffff:192.0.2.1", "xn--bcher-kva.example"])(
    "accepts %s",
    (host) => expect(isValidHost(host)).toBe(true),
  );
  it.each(["", "bad host", "256.1.1.1", "1.2.3", "-sw.example", "sw-.example", "a..b", "2001:db8:::1", "1:2:3:4:5:6:7:8:9", "010.0.0.1", "sw_1.lab", "1.2.3.", "http://sw1", "[::1]", `${"a".repeat(64)}.net`, "x".repeat(254)])(
    "rejects %j",
    (host) => expect(isValidHost(host)).toBe(false),
  );
});

describe("validateDevice", () => {
  it("accepts a complete new device", () => {
    expect(validateDevice(valid(), "create")).toEqual({});
  });
  it("requires a host and a community when creating", () => {
    const errors = validateDevice(valid({ host: " ", community: "" }), "create");
    expect(Object.keys(errors).sort()).toEqual(["host", "snmp.community"]);
  });
  it("lets an edit keep the stored community", () => {
    expect(validateDevice(valid({ name: "Core", community: "" }), "edit")).toEqual({});
  });
  it("checks the port range", () => {
    for (const port of ["0", "65536", "-1", "1.5", "", "abc"]) {
      expect(validateDevice(valid({ port }), "create")).toHaveProperty("port");
    }
    for (const port of ["1", "161", "65535", " 1161 "]) {
      expect(validateDevice(valid({ port }), "create")).toEqual({});
    }
  });
  it("needs a poll interval of at least one second", () => {
    expect(validateDevice(valid({ pollIntervalSecs: "0" }), "create")).toHaveProperty("pollIntervalSecs");
    expect(validateDevice(valid({ pollIntervalSecs: "" }), "create")).toHaveProperty("pollIntervalSecs");
    expect(validateDevice(valid({ pollIntervalSecs: "1" }), "create")).toEqual({});
  });
  it("accepts blank timeout and retries but not nonsense", () => {
    expect(validateDevice(valid({ timeoutMs: "0", retries: "x" }), "create")).toEqual({
      timeoutMs: expect.any(String),
      retries: expect.any(String),
    });
    expect(validateDevice(valid({ timeoutMs: "1500", retries: "0" }), "create")).toEqual({});
  });
  it("applies the server's limits", () => {
    const errorsOf = (over: Partial<DeviceFormValues>) => Object.keys(validateDevice(valid(over), "create"));
    expect(errorsOf({ pollIntervalSecs: "86400", timeoutMs: "10", retries: "10" })).toEqual([]);
    expect(errorsOf({ pollIntervalSecs: "86401" })).toEqual(["pollIntervalSecs"]);
    expect(errorsOf({ timeoutMs: "9" })).toEqual(["timeoutMs"]);
    expect(errorsOf({ timeoutMs: "60001" })).toEqual(["timeoutMs"]);
    expect(errorsOf({ retries: "11" })).toEqual(["retries"]);
    expect(errorsOf({ name: "x".repeat(200) })).toEqual([]);
    expect(errorsOf({ name: "x".repeat(201) })).toEqual(["name"]);
    expect(errorsOf({ community: "c".repeat(255) })).toEqual([]);
    expect(errorsOf({ community: "c".repeat(256) })).toEqual(["snmp.community"]);
    expect(errorsOf({ community: "pub\tlic" })).toEqual(["snmp.community"]);
  });
  it("needs a name when editing", () => {
    expect(validateDevice(valid({ name: "" }), "edit")).toHaveProperty("name");
  });
});

describe("toNewDevice", () => {
  it("builds the POST body and omits blank optional fields", () => {
    expect(toNewDevice(valid({ host: " sw1.example.net " }))).toEqual({
      host: "sw1.example.net",
      snmp: { version: "v2c", community: "public" },
      port: 161,
      pollIntervalSecs: 60,
    });
  });
  it("includes the optional fields that were filled", () => {
    expect(toNewDevice(valid({ name: " Core ", timeoutMs: "1500", retries: "2" }))).toMatchObject({
      name: "Core",
      timeoutMs: 1500,
      retries: 2,
    });
  });
});

describe("toDevicePatch", () => {
  it("is empty when nothing changed", () => {
    expect(toDevicePatch(initialValues(device), device)).toEqual({});
  });
  it("sends only the changed fields", () => {
    const values = { ...initialValues(device), name: "Core 1", port: "1161" };
    expect(toDevicePatch(values, device)).toEqual({ name: "Core 1", port: 1161 });
  });
  it("sends the community only when one is typed", () => {
    const values = { ...initialValues(device), community: "s3cret" };
    expect(toDevicePatch(values, device)).toEqual({ snmp: { version: "v2c", community: "s3cret" } });
  });
});

describe("fieldMessage", () => {
  it("drops the field prefix the server puts before its reason", () => {
    expect(fieldMessage("snmp.community: must not be empty", "snmp.community")).toBe("Must not be empty");
    expect(fieldMessage("A device with this address exists", "host")).toBe("A device with this address exists");
  });
});

describe("isDeviceField", () => {
  it("knows the server's field paths", () => {
    expect(isDeviceField("snmp.community")).toBe(true);
    expect(isDeviceField("pollIntervalSecs")).toBe(true);
    expect(isDeviceField("snmp")).toBe(false);
    expect(isDeviceField(null)).toBe(false);
  });
});
