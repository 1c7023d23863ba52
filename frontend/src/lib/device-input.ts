//! The add/edit device form as data: raw input values, the same validation rules as the server
//! (so most mistakes are caught before a round trip), and the request bodies built from the values.
//! Field names are the JSON paths the server uses in `ApiErrorBody.field`, so server and browser
//! errors land on the same input.

import type { DevicePatch, DeviceView, NewDevice } from "../api/client";

/** What the inputs hold: always text, as typed. */
export interface DeviceFormValues {
  host: string;
  name: string;
  port: string;
  version: "v2c";
  community: string;
  pollIntervalSecs: string;
  timeoutMs: string;
  retries: string;
}

export const DEVICE_FIELDS = [
  "host",
  "name",
  "port",
  "snmp.version",
  "snmp.community",
  "pollIntervalSecs",
  "timeoutMs",
  "retries",
] as const;
export type DeviceField = (typeof DEVICE_FIELDS)[number];
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

export function isDeviceField(path: string | null | undefined): path is DeviceField {
  return path != null && (DEVICE_FIELDS as readonly string[]).includes(path);
}

/** Initial values: a new device, or the current settings of one being edited (the community is never sent back). */
export function initialValues(device: DeviceView | null): DeviceFormValues {
  if (!device) {
    return {
      host: "",
      name: "",
      port: String(DEFAULT_PORT),
      version: "v2c",
      community: "",
      pollIntervalSecs: String(DEFAULT_POLL_INTERVAL_SECS),
      timeoutMs: "",
      retries: "",
    };
  }
  return {
    host: device.host,
    name: device.name,
    port: String(device.port),
    version: "v2c",
    community: "",
    pollIntervalSecs: String(device.pollIntervalSecs),
    timeoutMs: String(device.timeoutMs),
    retries: String(device.retries),
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

/** Errors by field; empty when the values can be sent. */
export function validateDevice(values: DeviceFormValues, mode: FormMode): FieldErrors {
  const errors: FieldErrors = {};
  const host = values.host.trim();
  if (host === "") errors.host = "Enter the device's IP address or DNS name.";
  else if (!isValidHost(host)) errors.host = "Enter an IP address (192.0.2.1, 2001:db8::1) or a DNS name (switch1.example.net).";

  const name = values.name.trim();
  if (mode === "edit" && name === "") errors.name = "A device needs a name; keep the current one or type a new one.";
  else if ([...name].length > MAX_NAME_LEN) errors.name = `Keep the name to ${MAX_NAME_LEN} characters.`;

  const port = parseWhole(values.port);
  if (port === null || port < 1 || port > 65_535) errors.port = "Port must be a whole number from 1 to 65535.";

  if (values.version !== "v2c") errors["snmp.version"] = "Only SNMP v2c is supported.";
  if (mode === "create" && values.community === "") errors["snmp.community"] = "Enter the SNMP community.";
  // Control characters (Unicode Cc), which the server refuses like Rust's char::is_control.
  else if (new TextEncoder().encode(values.community).length > MAX_COMMUNITY_LEN || /[\u0000-\u001f\u007f-\u009f]/.test(values.community)) {
    errors["snmp.community"] = `The community must be at most ${MAX_COMMUNITY_LEN} printable characters.`;
  }

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

/** The POST body; optional fields left blank are omitted so the server applies its defaults. */
export function toNewDevice(values: DeviceFormValues): NewDevice {
  const body: NewDevice = {
    host: values.host.trim(),
    snmp: { version: values.version, community: values.community },
    port: Number(values.port.trim()),
    pollIntervalSecs: Number(values.pollIntervalSecs.trim()),
  };
  if (values.name.trim() !== "") body.name = values.name.trim();
  if (values.timeoutMs.trim() !== "") body.timeoutMs = Number(values.timeoutMs.trim());
  if (values.retries.trim() !== "") body.retries = Number(values.retries.trim());
  return body;
}

/**
 * The PATCH body: only what differs from `original`. A blank community keeps the stored one (the server
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
  if (values.community !== "") patch.snmp = { version: values.version, community: values.community };
  return patch;
}
