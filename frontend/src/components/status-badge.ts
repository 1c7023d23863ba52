//! Status badges: a device's state (online / SNMP down / unreachable / unknown), an interface's state, and a log
//! entry's severity. Each badge carries its state as text, not only as colour.

import type { DeviceState } from "../api/client";
import { DEVICE_STATE_LABELS, deviceStateTone } from "../lib/device-state";
import { formatRelative, formatTimestamp } from "../lib/format";
import { SEVERITY_WORDS, severityName, severityTone } from "../lib/log-query";
import { html, type Html } from "./dom";

export function deviceStateLabel(state: DeviceState): string {
  return DEVICE_STATE_LABELS[state] ?? "unknown";
}

export function deviceBadge(state: DeviceState): Html {
  const known = state in DEVICE_STATE_LABELS ? state : "unknown";
  return html`<span class="badge badge-${deviceStateTone(known)}">${deviceStateLabel(known)}</span>`;
}

/** "3 min ago" inside a <time> whose title gives the exact moment. */
export function relativeTime(secs: number | null | undefined, nowSecs: number): Html {
  if (secs == null) return html`<span class="muted">never</span>`;
  const iso = new Date(secs * 1000).toISOString();
  return html`<time datetime="${iso}" title="${formatTimestamp(secs)}">${formatRelative(secs, nowSecs)}</time>`;
}

export type InterfaceCondition = "up" | "down" | "disabled" | "other";

/**
 * What a person cares about: an administratively disabled port is not a fault, so it is "disabled"
 * (grey) whatever its operational state; otherwise the operational state decides.
 */
export function interfaceCondition(adminStatus: string, operStatus: string): InterfaceCondition {
  if (adminStatus !== "up") return "disabled";
  if (operStatus === "up") return "up";
  if (operStatus === "down") return "down";
  return "other";
}

export function interfaceBadge(adminStatus: string, operStatus: string): Html {
  const condition = interfaceCondition(adminStatus, operStatus);
  const label = condition === "disabled" ? "admin down" : condition === "other" ? operStatus : condition;
  const cls = condition === "up" ? "up" : condition === "down" ? "down" : condition === "disabled" ? "disabled" : "unknown";
  return html`<span class="badge badge-${cls}">${label}</span>`;
}

/** "err" on red, "warning" on amber, "notice" on blue, "info" and "debug" grey; the title says it in words. */
export function severityBadge(severity: number): Html {
  return html`<span class="badge sev sev-${severityTone(severity)}" title="Severity ${severity}: ${SEVERITY_WORDS[severity] ?? "unknown"}">${severityName(severity)}</span>`;
}
