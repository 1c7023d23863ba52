//! The add/edit device form as data: raw input values, the same validation rules as the server
//! (so most mistakes are caught before a round trip), and the request bodies built from the values.
//! Field names are the JSON paths the server uses in `ApiErrorBody.field`, so server and browser
//! errors land on the same input.

import type { DevicePatch, DeviceView, NewDevice } from "../api/client";
import type { components } from "../api/schema";
import { parseTags } from "./device-state";
import { levelUses, type AuthProtocol, type PrivProtocol, type SecurityLevel, type SnmpVersion } from "./snmp-labels";

type SnmpV3Patch = components["schemas"]["SnmpV3Patch"];

/** What the inputs hold: always text as typed, or a select's choice. */
export interface DeviceFormValues {
  host: string;
  name: string;
  port: string;
  version: SnmpVersion;
  /** v1 and v2c. */
  community: string;
  /** v3 (USM). */
  user: string;
  securityLevel: SecurityLevel;
  authProtocol: AuthProtocol;
  authPassword: string;
  privProtocol: PrivProtocol;
  privPassword: string;
  contextName: string;
  pollIntervalSecs: string;
  timeoutMs: string;
  retries: string;
  /** Seconds between echo rounds; "0" turns pinging off. */
  pingIntervalSecs: string;
  /** The parent's device id, blank for none. */
  parentId: string;
  /** Tags as typed: "core, paris". */
  tags: string;
}

export const DEVICE_FIELDS = [
  "host",
  "name",
  "port",
  "snmp.version",
  "snmp.community",
  "snmp.user",
  "snmp.securityLevel",
  "snmp.authProtocol",
  "snmp.authPassword",
  "snmp.privProtocol",
  "snmp.privPassword",
  "snmp.contextName",
  "pollIntervalSecs",
  "timeoutMs",
  "retries",
  "pingIntervalSecs",
  "parentId",
  "tags",
] as const;
export type DeviceField = (typeof DEVICE_FIELDS)[number];
/** The write-only fields: the server says whether one is set, never what it is. */
export const SECRET_FIELDS = ["snmp.community", "snmp.authPassword", "snmp.privPassword"] as const;
export type SecretField = (typeof SECRET_FIELDS)[number];
export type FieldErrors = Partial<Record<DeviceField, string>>;
export type FormMode = "create" | "edit";

// The server's limits (backend/src/device.rs, also in openapi.yaml).
export const DEFAULT_PORT = 161;
export const DEFAULT_POLL_INTERVAL_SECS = 60;
export const MAX_POLL_INTERVAL_SECS = 86_400;
export const MIN_TIMEOUT_MS = 10;
export const MAX_TIMEOUT_MS = 60_000;
export const MAX_RETRIES = 10;
export const MAX_NAME_LEN = 200;
export const MAX_COMMUNITY_LEN = 255;
export const MAX_USER_BYTES = 32;
export const MAX_CONTEXT_BYTES = 32;
export const MIN_PASSWORD_LEN = 8;
export const MAX_PASSWORD_LEN = 255;
export const DEFAULT_PING_INTERVAL_SECS = 30;
export const MIN_PING_INTERVAL_SECS = 2;
export const MAX_PING_INTERVAL_SECS = 3_600;
export const MAX_TAGS = 16;
export const MAX_TAG_LEN = 32;
const TAG = /^[A-Za-z0-9._:/-]+$/;
const DEVICE_ID = /^[0-9a-f]{8}$/;
/** What a new SNMPv3 device starts with: the strongest level, protocols every current agent has. */
const DEFAULT_USM = { securityLevel: "authPriv", authProtocol: "sha256", privProtocol: "aes" } as const;

export function isDeviceField(path: string | null | undefined): path is DeviceField {
  return path != null && (DEVICE_FIELDS as readonly string[]).includes(path);
}

/** Initial values: a new device, or the current settings of one being edited (secrets are never sent back). */
export function initialValues(device: DeviceView | null): DeviceFormValues {
  const secrets = { community: "", authPassword: "", privPassword: "" };
  if (!device) {
    return {
      host: "",
      name: "",
      port: String(DEFAULT_PORT),
      version: "v2c",
      ...secrets,
      user: "",
      ...DEFAULT_USM,
      contextName: "",
      pollIntervalSecs: String(DEFAULT_POLL_INTERVAL_SECS),
      timeoutMs: "",
      retries: "",
      pingIntervalSecs: String(DEFAULT_PING_INTERVAL_SECS),
      parentId: "",
      tags: "",
    };
  }
  const snmp = device.snmp;
  const usm =
    snmp.version === "v3"
      ? {
          user: snmp.user,
          securityLevel: snmp.securityLevel,
          authProtocol: snmp.authProtocol ?? DEFAULT_USM.authProtocol,
          privProtocol: snmp.privProtocol ?? DEFAULT_USM.privProtocol,
          contextName: snmp.contextName,
        }
      : { user: "", ...DEFAULT_USM, contextName: "" };
  return {
    host: device.host,
    name: device.name,
    port: String(device.port),
    version: snmp.version,
    ...secrets,
    ...usm,
    pollIntervalSecs: String(device.pollIntervalSecs),
    timeoutMs: String(device.timeoutMs),
    retries: String(device.retries),
    pingIntervalSecs: String(device.pingIntervalSecs),
    parentId: device.parentId ?? "",
    tags: device.tags.join(", "),
  };
}

/**
 * Which secrets the server already holds and would keep if left blank: none for a new device or a
 * change of version; for SNMPv3, a password whose protocol is unchanged (a new protocol needs its
 * password again, as the server requires).
 */
export function storedSecrets(values: DeviceFormValues, original: DeviceView | null): Record<SecretField, boolean> {
  const none = { "snmp.community": false, "snmp.authPassword": false, "snmp.privPassword": false };
  const snmp = original?.snmp;
  if (!snmp || snmp.version !== values.version) return none;
  if (snmp.version !== "v3") return { ...none, "snmp.community": snmp.communitySet };
  return {
    ...none,
    "snmp.authPassword": snmp.authPasswordSet && snmp.authProtocol === values.authProtocol,
    "snmp.privPassword": snmp.privPasswordSet && snmp.privProtocol === values.privProtocol,
  };
}

// Octets without leading zeros, as Rust's Ipv4Addr parser (the server's) requires.
const IPV4 = /^(?:(?:0|[1-9]\d{0,2})\.){3}(?:0|[1-9]\d{0,2})$/;
// RFC 1123 labels: letters, digits, inner hyphens; the server rejects underscores too.
const DNS_LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;

/** True for an IPv4 address, an IPv6 address (without brackets) or a DNS name, by the server's rules. */
export function isValidHost(host: string): boolean {
  if (host.length === 0) return false;
  if (IPV4.test(host)) return host.split(".").every((octet) => Number(octet) <= 255);
  if (host.includes(":")) return isIpv6(host);
  const name = host.endsWith(".") ? host.slice(0, -1) : host;
  if (name.length > 253) return false;
  const labels = name.split(".");
  // All-numeric dotted text that is not a valid IPv4 (e.g. 300.1.1.1, 1.2.3) is a typo, not a name.
  if (labels.every((l) => /^\d*$/.test(l))) return false;
  return labels.every((l) => DNS_LABEL.test(l));
}

function isIpv6(host: string): boolean {
  if (!/^[0-9A-Fa-f:.]+$/.test(host)) return false;
  try {
    // The URL parser implements the full IPv6 grammar (::, embedded IPv4, group counts).
    return new URL(`http://[${host}]/`).hostname.length > 2;
  } catch {
    return false;
  }
}

function parseWhole(text: string): number | null {
  const t = text.trim();
  return /^\d{1,15}$/.test(t) ? Number(t) : null;
}

const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
// Control characters and the invisible zero-width and bidirectional ones, refused in free text.
const INVISIBLE = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff]/;

function utf8Length(text: string): number {
  return new TextEncoder().encode(text).length;
}

/** Errors by field; empty when the values can be sent. `original` is the device being edited, null for a new one. */
export function validateDevice(values: DeviceFormValues, original: DeviceView | null): FieldErrors {
  const errors: FieldErrors = {};
  const mode: FormMode = original ? "edit" : "create";
  const host = values.host.trim();
  if (host === "") errors.host = "Enter the device's IP address or DNS name.";
  else if (!isValidHost(host)) errors.host = "Enter an IP address (192.0.2.1, 2001:db8::1) or a DNS name (switch1.example.net).";

  const name = values.name.trim();
  if (mode === "edit" && name === "") errors.name = "A device needs a name; keep the current one or type a new one.";
  else if ([...name].length > MAX_NAME_LEN) errors.name = `Keep the name to ${MAX_NAME_LEN} characters.`;

  const port = parseWhole(values.port);
  if (port === null || port < 1 || port > 65_535) errors.port = "Port must be a whole number from 1 to 65535.";

  Object.assign(errors, validateSnmp(values, original));

  const interval = parseWhole(values.pollIntervalSecs);
  if (interval === null || interval < 1 || interval > MAX_POLL_INTERVAL_SECS) {
    errors.pollIntervalSecs = `Poll interval must be a whole number of seconds from 1 to ${MAX_POLL_INTERVAL_SECS}.`;
  }
  if (values.timeoutMs.trim() !== "") {
    const timeout = parseWhole(values.timeoutMs);
    if (timeout === null || timeout < MIN_TIMEOUT_MS || timeout > MAX_TIMEOUT_MS) {
      errors.timeoutMs = `Timeout must be a whole number of milliseconds from ${MIN_TIMEOUT_MS} to ${MAX_TIMEOUT_MS}.`;
    }
  }
  if (values.retries.trim() !== "") {
    const retries = parseWhole(values.retries);
    if (retries === null || retries > MAX_RETRIES) errors.retries = `Retries must be a whole number from 0 to ${MAX_RETRIES}.`;
  }
  const ping = parseWhole(values.pingIntervalSecs);
  if (ping === null || (ping !== 0 && (ping < MIN_PING_INTERVAL_SECS || ping > MAX_PING_INTERVAL_SECS))) {
    errors.pingIntervalSecs = `Ping interval must be 0 (off) or a whole number of seconds from ${MIN_PING_INTERVAL_SECS} to ${MAX_PING_INTERVAL_SECS}.`;
  }
  const parent = values.parentId.trim();
  if (parent !== "" && !DEVICE_ID.test(parent)) errors.parentId = "A parent is a device id: 8 lowercase hex digits (see its page's address).";
  else if (parent !== "" && parent === original?.id) errors.parentId = "A device cannot be its own parent.";
  const tags = parseTags(values.tags);
  if (tags.length > MAX_TAGS) errors.tags = `At most ${MAX_TAGS} tags.`;
  else if (tags.some((t) => t.length > MAX_TAG_LEN || !TAG.test(t))) {
    errors.tags = `Each tag is 1 to ${MAX_TAG_LEN} letters, digits or -_.:/ (separate tags with commas or spaces).`;
  }
  return errors;
}

/** The SNMP fields' errors, by the server's rules (backend/src/device/credentials.rs and PATCH's). */
function validateSnmp(values: DeviceFormValues, original: DeviceView | null): FieldErrors {
  const errors: FieldErrors = {};
  const stored = storedSecrets(values, original);
  if (values.version !== "v3") {
    if (values.community === "") {
      if (!stored["snmp.community"]) errors["snmp.community"] = "Enter the SNMP community.";
    } else if ([...values.community].length > MAX_COMMUNITY_LEN || CONTROL.test(values.community)) {
      // Control characters (Unicode Cc), which the server refuses like Rust's char::is_control.
      errors["snmp.community"] = `The community must be at most ${MAX_COMMUNITY_LEN} printable characters.`;
    }
    return errors;
  }
  if (values.user === "" || utf8Length(values.user) > MAX_USER_BYTES || INVISIBLE.test(values.user)) {
    errors["snmp.user"] = `Enter the SNMPv3 user: 1 to ${MAX_USER_BYTES} bytes, no control characters.`;
  }
  if (utf8Length(values.contextName) > MAX_CONTEXT_BYTES || INVISIBLE.test(values.contextName)) {
    errors["snmp.contextName"] = `The context name must be at most ${MAX_CONTEXT_BYTES} bytes, no control characters.`;
  }
  const uses = levelUses(values.securityLevel);
  const password = (field: "snmp.authPassword" | "snmp.privPassword", text: string, kept: boolean, what: string) => {
    if (text === "" && kept) return;
    const length = [...text].length;
    if (text === "") errors[field] = `Enter the ${what} password.`;
    else if (length < MIN_PASSWORD_LEN || length > MAX_PASSWORD_LEN || CONTROL.test(text)) {
      errors[field] = `The ${what} password must be ${MIN_PASSWORD_LEN} to ${MAX_PASSWORD_LEN} printable characters (RFC 3414).`;
    }
  };
  if (uses.auth) password("snmp.authPassword", values.authPassword, stored["snmp.authPassword"], "authentication");
  if (uses.priv) password("snmp.privPassword", values.privPassword, stored["snmp.privPassword"], "privacy");
  return errors;
}

/**
 * The server's message for a field, without the "field: " prefix it starts with
 * ("snmp.community: must not be empty"), since it is shown under that field already.
 */
export function fieldMessage(message: string, field: string): string {
  const prefix = `${field}: `;
  if (!message.startsWith(prefix)) return message;
  const rest = message.slice(prefix.length);
  return rest.charAt(0).toUpperCase() + rest.slice(1);
}

/** The `snmp` object of a POST, or of a PATCH that changes the version: the complete credentials. */
function snmpInput(values: DeviceFormValues): NewDevice["snmp"] {
  if (values.version !== "v3") return { version: values.version, community: values.community };
  const uses = levelUses(values.securityLevel);
  const snmp: NewDevice["snmp"] = { version: "v3", user: values.user, securityLevel: values.securityLevel };
  if (uses.auth) Object.assign(snmp, { authProtocol: values.authProtocol, authPassword: values.authPassword });
  if (uses.priv) Object.assign(snmp, { privProtocol: values.privProtocol, privPassword: values.privPassword });
  if (values.contextName !== "") snmp.contextName = values.contextName;
  return snmp;
}

/** The POST body; optional fields left blank are omitted so the server applies its defaults. */
export function toNewDevice(values: DeviceFormValues): NewDevice {
  const body: NewDevice = {
    host: values.host.trim(),
    snmp: snmpInput(values),
    port: Number(values.port.trim()),
    pollIntervalSecs: Number(values.pollIntervalSecs.trim()),
  };
  if (values.name.trim() !== "") body.name = values.name.trim();
  if (values.timeoutMs.trim() !== "") body.timeoutMs = Number(values.timeoutMs.trim());
  if (values.retries.trim() !== "") body.retries = Number(values.retries.trim());
  body.pingIntervalSecs = Number(values.pingIntervalSecs.trim());
  if (values.parentId.trim() !== "") body.parentId = values.parentId.trim();
  const tags = parseTags(values.tags);
  if (tags.length) body.tags = tags;
  return body;
}

/**
 * The PATCH body: only what differs from `original`. A blank secret keeps the stored one (the server
 * never sends it back, so the form cannot show it). Empty when nothing changed.
 */
export function toDevicePatch(values: DeviceFormValues, original: DeviceView): DevicePatch {
  const patch: DevicePatch = {};
  const host = values.host.trim();
  if (host !== original.host) patch.host = host;
  const name = values.name.trim();
  if (name !== original.name) patch.name = name;
  const port = Number(values.port.trim());
  if (port !== original.port) patch.port = port;
  const interval = Number(values.pollIntervalSecs.trim());
  if (interval !== original.pollIntervalSecs) patch.pollIntervalSecs = interval;
  if (values.timeoutMs.trim() !== "") {
    const timeout = Number(values.timeoutMs.trim());
    if (timeout !== original.timeoutMs) patch.timeoutMs = timeout;
  }
  if (values.retries.trim() !== "") {
    const retries = Number(values.retries.trim());
    if (retries !== original.retries) patch.retries = retries;
  }
  const ping = Number(values.pingIntervalSecs.trim());
  if (ping !== original.pingIntervalSecs) patch.pingIntervalSecs = ping;
  const parent = values.parentId.trim();
  if (parent !== (original.parentId ?? "")) patch.parentId = parent === "" ? null : parent;
  const tags = parseTags(values.tags);
  if ([...tags].sort().join(" ") !== [...original.tags].sort().join(" ")) patch.tags = tags;
  const snmp = snmpPatch(values, original.snmp);
  if (snmp) patch.snmp = snmp;
  return patch;
}

/** The SNMP part of a PATCH, or null when the credentials do not change. */
function snmpPatch(values: DeviceFormValues, stored: DeviceView["snmp"]): DevicePatch["snmp"] {
  if (values.version !== stored.version) return snmpInput(values);
  if (stored.version !== "v3" || values.version !== "v3") {
    return values.community !== "" && values.version !== "v3" ? { version: values.version, community: values.community } : null;
  }
  const uses = levelUses(values.securityLevel);
  const changes: Omit<SnmpV3Patch, "version"> = {};
  if (values.user !== stored.user) changes.user = values.user;
  if (values.securityLevel !== stored.securityLevel) changes.securityLevel = values.securityLevel;
  if (uses.auth && values.authProtocol !== stored.authProtocol) changes.authProtocol = values.authProtocol;
  if (uses.auth && values.authPassword !== "") changes.authPassword = values.authPassword;
  if (uses.priv && values.privProtocol !== stored.privProtocol) changes.privProtocol = values.privProtocol;
  if (uses.priv && values.privPassword !== "") changes.privPassword = values.privPassword;
  if (values.contextName !== stored.contextName) changes.contextName = values.contextName;
  return Object.keys(changes).length ? { version: "v3", ...changes } : null;
}
