import { describe, expect, it } from "vitest";
import type { DeviceView } from "../api/client";
import {
  DEVICE_FIELDS,
  fieldMessage,
  initialValues,
  isDeviceField,
  isValidHost,
  toDevicePatch,
  toNewDevice,
  validateDevice,
  type DeviceFormValues,
} from "./device-input";
import { deviceView, v3DeviceView } from "./test-devices";

const v3Device = v3DeviceView();
const device: DeviceView = { ...deviceView("d1", "up", "core-sw-1"), interfaceCount: 0, interfacesUp: 0, inBps: null, outBps: null };

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
    expect(validateDevice(valid(), null)).toEqual({});
  });
  it("requires a host and a community when creating", () => {
    const errors = validateDevice(valid({ host: " ", community: "" }), null);
    expect(Object.keys(errors).sort()).toEqual(["host", "snmp.community"]);
  });
  it("lets an edit keep the stored community", () => {
    expect(validateDevice(valid({ name: "Core", community: "" }), device)).toEqual({});
  });
  it("checks the port range", () => {
    for (const port of ["0", "65536", "-1", "1.5", "", "abc"]) {
      expect(validateDevice(valid({ port }), null)).toHaveProperty("port");
    }
    for (const port of ["1", "161", "65535", " 1161 "]) {
      expect(validateDevice(valid({ port }), null)).toEqual({});
    }
  });
  it("needs a poll interval of at least one second", () => {
    expect(validateDevice(valid({ pollIntervalSecs: "0" }), null)).toHaveProperty("pollIntervalSecs");
    expect(validateDevice(valid({ pollIntervalSecs: "" }), null)).toHaveProperty("pollIntervalSecs");
    expect(validateDevice(valid({ pollIntervalSecs: "1" }), null)).toEqual({});
  });
  it("accepts blank timeout and retries but not nonsense", () => {
    expect(validateDevice(valid({ timeoutMs: "0", retries: "x" }), null)).toEqual({
      timeoutMs: expect.any(String),
      retries: expect.any(String),
    });
    expect(validateDevice(valid({ timeoutMs: "1500", retries: "0" }), null)).toEqual({});
  });
  it("applies the server's limits", () => {
    const errorsOf = (over: Partial<DeviceFormValues>) => Object.keys(validateDevice(valid(over), null));
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
    expect(validateDevice(valid({ name: "" }), device)).toHaveProperty("name");
  });
});

const v3 = (over: Partial<DeviceFormValues> = {}): DeviceFormValues =>
  valid({ version: "v3", community: "", user: "monitor", authPassword: "auth-pass-1", privPassword: "priv-pass-1", ...over });

describe("validateDevice for SNMPv3", () => {
  const errorsOf = (values: DeviceFormValues, original: DeviceView | null = null) => Object.keys(validateDevice(values, original)).sort();

  it("accepts each level with the fields it uses, and ignores the community", () => {
    expect(errorsOf(v3())).toEqual([]);
    expect(errorsOf(v3({ securityLevel: "authNoPriv", privPassword: "" }))).toEqual([]);
    expect(errorsOf(v3({ securityLevel: "noAuthNoPriv", authPassword: "", privPassword: "" }))).toEqual([]);
  });
  it("requires the user and the passwords the level uses", () => {
    expect(errorsOf(v3({ user: "", authPassword: "", privPassword: "" }))).toEqual(["snmp.authPassword", "snmp.privPassword", "snmp.user"]);
    expect(errorsOf(v3({ securityLevel: "authNoPriv", authPassword: "" }))).toEqual(["snmp.authPassword"]);
  });
  it("applies RFC 3414's password lengths and the USM size limits", () => {
    expect(errorsOf(v3({ authPassword: "1234567" }))).toEqual(["snmp.authPassword"]);
    expect(errorsOf(v3({ authPassword: "12345678", privPassword: "p".repeat(255) }))).toEqual([]);
    expect(errorsOf(v3({ privPassword: "p".repeat(256) }))).toEqual(["snmp.privPassword"]);
    expect(errorsOf(v3({ user: "u".repeat(32) }))).toEqual([]);
    expect(errorsOf(v3({ user: "€".repeat(11) }))).toEqual(["snmp.user"]); // 33 bytes
    expect(errorsOf(v3({ user: "a\u202eb" }))).toEqual(["snmp.user"]);
    expect(errorsOf(v3({ contextName: "c".repeat(33) }))).toEqual(["snmp.contextName"]);
  });
  it("lets an edit keep stored passwords, unless their protocol or the version changes", () => {
    const kept = { ...initialValues(v3Device) };
    expect(errorsOf(kept, v3Device)).toEqual([]);
    expect(errorsOf({ ...kept, authProtocol: "sha512" }, v3Device)).toEqual(["snmp.authPassword"]);
    expect(errorsOf({ ...kept, privProtocol: "aes256" }, v3Device)).toEqual(["snmp.privPassword"]);
    expect(errorsOf({ ...initialValues(device), version: "v3", user: "u" }, device)).toEqual(["snmp.authPassword", "snmp.privPassword"]);
    expect(errorsOf({ ...initialValues(device), version: "v1" }, device)).toEqual(["snmp.community"]);
    expect(errorsOf({ ...kept, version: "v2c" }, v3Device)).toEqual(["snmp.community"]);
  });
});

describe("toNewDevice", () => {
  it("sends a v3 user with exactly the fields its level uses", () => {
    expect(toNewDevice(v3()).snmp).toEqual({
      version: "v3",
      user: "monitor",
      securityLevel: "authPriv",
      authProtocol: "sha256",
      authPassword: "auth-pass-1",
      privProtocol: "aes",
      privPassword: "priv-pass-1",
    });
    expect(toNewDevice(v3({ securityLevel: "authNoPriv", authProtocol: "sha", contextName: "vlan-10" })).snmp).toEqual({
      version: "v3",
      user: "monitor",
      securityLevel: "authNoPriv",
      authProtocol: "sha",
      authPassword: "auth-pass-1",
      contextName: "vlan-10",
    });
    expect(toNewDevice(v3({ securityLevel: "noAuthNoPriv" })).snmp).toEqual({ version: "v3", user: "monitor", securityLevel: "noAuthNoPriv" });
    expect(toNewDevice(valid({ version: "v1" })).snmp).toEqual({ version: "v1", community: "public" });
  });
  it("builds the POST body and omits blank optional fields", () => {
    expect(toNewDevice(valid({ host: " sw1.example.net " }))).toEqual({
      host: "sw1.example.net",
      snmp: { version: "v2c", community: "public" },
      port: 161,
      pollIntervalSecs: 60,
      pingIntervalSecs: 30,
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

describe("reachability fields", () => {
  it("checks the ping interval, the parent id and the tags like the server", () => {
    expect(validateDevice(valid({ pingIntervalSecs: "0" }), null).pingIntervalSecs).toBeUndefined();
    expect(validateDevice(valid({ pingIntervalSecs: "1" }), null).pingIntervalSecs).toMatch(/0 \(off\)/);
    expect(validateDevice(valid({ parentId: "Core" }), null).parentId).toMatch(/8 lowercase hex/);
    expect(validateDevice(valid({ parentId: "d1" }), null).parentId).toMatch(/8 lowercase hex/);
    expect(validateDevice(valid({ tags: "core, paris" }), null).tags).toBeUndefined();
    expect(validateDevice(valid({ tags: "bad#tag" }), null).tags).toMatch(/letters, digits/);
  });
  it("sends the parent and tags on create, and null to remove a parent", () => {
    expect(toNewDevice(valid({ parentId: "0000abcd", tags: "core paris" }))).toMatchObject({ parentId: "0000abcd", tags: ["core", "paris"] });
    const withParent = { ...device, parentId: "0000abcd", tags: ["core"] };
    expect(toDevicePatch({ ...initialValues(withParent), parentId: "" }, withParent)).toEqual({ parentId: null });
    expect(toDevicePatch({ ...initialValues(withParent), tags: "core, edge" }, withParent)).toEqual({ tags: ["core", "edge"] });
    expect(toDevicePatch({ ...initialValues(withParent), pingIntervalSecs: "0" }, withParent)).toEqual({ pingIntervalSecs: 0 });
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
  it("sends only the v3 fields that changed, and no password left blank", () => {
    expect(toDevicePatch(initialValues(v3Device), v3Device)).toEqual({});
    const lowered = { ...initialValues(v3Device), securityLevel: "authNoPriv" as const };
    expect(toDevicePatch(lowered, v3Device)).toEqual({ snmp: { version: "v3", securityLevel: "authNoPriv" } });
    const newAuth = { ...initialValues(v3Device), authProtocol: "sha512" as const, authPassword: "new-auth-1", contextName: "c" };
    expect(toDevicePatch(newAuth, v3Device)).toEqual({ snmp: { version: "v3", authProtocol: "sha512", authPassword: "new-auth-1", contextName: "c" } });
  });
  it("sends the complete credentials when the version changes", () => {
    const toV3 = { ...initialValues(device), version: "v3" as const, user: "u", securityLevel: "authNoPriv" as const, authPassword: "auth-pass-1" };
    expect(toDevicePatch(toV3, device)).toEqual({ snmp: { version: "v3", user: "u", securityLevel: "authNoPriv", authProtocol: "sha256", authPassword: "auth-pass-1" } });
    const toV1 = { ...initialValues(v3Device), version: "v1" as const, community: "old" };
    expect(toDevicePatch(toV1, v3Device)).toEqual({ snmp: { version: "v1", community: "old" } });
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
    expect(isDeviceField("snmp.privPassword")).toBe(true);
    expect(DEVICE_FIELDS).toContain("snmp.contextName");
    expect(isDeviceField("pollIntervalSecs")).toBe(true);
    expect(isDeviceField("snmp")).toBe(false);
    expect(isDeviceField(null)).toBe(false);
  });
});
