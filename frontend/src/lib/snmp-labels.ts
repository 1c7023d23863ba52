//! How SNMP versions, security levels and USM protocols are named in the UI (the API's names are
//! terse: `sha` is SHA-1, `aes` is AES-128, `aes256c` is Cisco's AES-256), and a device's SNMP
//! settings in one line for its page. Never a secret: the views carry none.

import type { components } from "../api/schema";

type Schemas = components["schemas"];
export type SnmpView = Schemas["SnmpView"];
export type SecurityLevel = Schemas["SecurityLevel"];
export type AuthProtocol = Schemas["AuthProtocol"];
export type PrivProtocol = Schemas["PrivProtocol"];
export type SnmpVersion = SnmpView["version"];

export const SNMP_VERSIONS: readonly (readonly [SnmpVersion, string])[] = [
  ["v2c", "SNMP v2c"],
  ["v3", "SNMP v3"],
  ["v1", "SNMP v1"],
];

export const SECURITY_LEVELS: readonly (readonly [SecurityLevel, string])[] = [
  ["authPriv", "Authentication and privacy (authPriv)"],
  ["authNoPriv", "Authentication only (authNoPriv)"],
  ["noAuthNoPriv", "None (noAuthNoPriv)"],
];

export const AUTH_PROTOCOLS: readonly (readonly [AuthProtocol, string])[] = [
  ["sha256", "SHA-256"],
  ["sha384", "SHA-384"],
  ["sha512", "SHA-512"],
  ["sha224", "SHA-224"],
  ["sha", "SHA-1"],
  ["md5", "MD5"],
];

export const PRIV_PROTOCOLS: readonly (readonly [PrivProtocol, string])[] = [
  ["aes", "AES-128"],
  ["aes192", "AES-192"],
  ["aes256", "AES-256"],
  ["aes192c", "AES-192 (Cisco)"],
  ["aes256c", "AES-256 (Cisco)"],
  ["des", "DES"],
];

function label<T extends string>(choices: readonly (readonly [T, string])[], value: T): string {
  return choices.find(([v]) => v === value)?.[1] ?? value;
}

export function authProtocolLabel(protocol: AuthProtocol): string {
  return label(AUTH_PROTOCOLS, protocol);
}

export function privProtocolLabel(protocol: PrivProtocol): string {
  return label(PRIV_PROTOCOLS, protocol);
}

/** Whether a level authenticates (needs an auth protocol and password) and encrypts (needs priv ones). */
export function levelUses(level: SecurityLevel): { auth: boolean; priv: boolean } {
  return { auth: level !== "noAuthNoPriv", priv: level === "authPriv" };
}

/** "v2c, community set" or "v3, user monitor, authPriv (SHA-256, AES-128), context vlan-10". */
export function describeSnmp(snmp: SnmpView): string {
  if (snmp.version !== "v3") return `${snmp.version}, community ${snmp.communitySet ? "set" : "not set"}`;
  const protocols = [
    snmp.authProtocol ? authProtocolLabel(snmp.authProtocol) : null,
    snmp.privProtocol ? privProtocolLabel(snmp.privProtocol) : null,
  ].filter((p): p is string => p !== null);
  const level = protocols.length ? `${snmp.securityLevel} (${protocols.join(", ")})` : snmp.securityLevel;
  const context = snmp.contextName ? `, context ${snmp.contextName}` : "";
  return `v3, user ${snmp.user}, ${level}${context}`;
}
