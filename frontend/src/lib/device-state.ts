//! A device's state as people read it: the badge word and tone of each of the four states, the
//! fleet count it moves, availability percentages, and the tags typed in the device form. Pure.

import type { DeviceState, StatusSummary } from "../api/client";

/** What each state's badge says. "online" is what people already know from earlier versions. */
export const DEVICE_STATE_LABELS: Record<DeviceState, string> = {
  up: "online",
  snmp_down: "SNMP down",
  unreachable: "unreachable",
  unknown: "unknown",
};

/** The badge class suffix: red for both faults, told apart by word and shape (unreachable keeps the old "down"). */
export function deviceStateTone(state: DeviceState): "up" | "snmp-down" | "down" | "unknown" {
  switch (state) {
    case "up":
      return "up";
    case "snmp_down":
      return "snmp-down";
    case "unreachable":
      return "down";
    default:
      return "unknown";
  }
}

/** The `/status` count a state belongs to (`down` is their sum, kept for old scripts). */
export function summaryKey(state: DeviceState): "up" | "snmpDown" | "unreachable" | "unknown" {
  switch (state) {
    case "up":
      return "up";
    case "snmp_down":
      return "snmpDown";
    case "unreachable":
      return "unreachable";
    default:
      return "unknown";
  }
}

/** The fleet counts after one device went from `before` to `after`; never below zero. */
export function recountStates(summary: StatusSummary, before: DeviceState, after: DeviceState): StatusSummary {
  if (before === after) return summary;
  const next = { ...summary };
  const from = summaryKey(before);
  const to = summaryKey(after);
  next[from] = Math.max(0, next[from] - 1);
  next[to] += 1;
  next.down = next.snmpDown + next.unreachable;
  return next;
}

/** "99.95 %", "100 %", or "—" when the window holds no known time. Never rounds up to 100. */
export function formatAvailability(percent: number | null | undefined): string {
  if (percent == null || !Number.isFinite(percent)) return "—";
  if (percent >= 100) return "100 %";
  const floored = Math.floor(percent * 100) / 100;
  return `${floored.toFixed(2)} %`;
}

/** Tags typed as "core, paris dc": split on commas and spaces, trimmed, empty and repeated ones dropped. */
export function parseTags(text: string): string[] {
  const tags = text
    .split(/[,\s]+/)
    .map((t) => t.trim())
    .filter((t) => t.length > 0);
  return [...new Set(tags)];
}
