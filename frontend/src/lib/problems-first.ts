//! The overview's default order: devices with a problem first (unreachable, then SNMP down, then not
//! yet known), then the devices that are up, by name within each state (the server's `sort=problems`).

import type { DeviceState, DeviceView } from "../api/client";

export const PROBLEM_RANK: Record<DeviceState, number> = { unreachable: 0, snmp_down: 1, unknown: 2, up: 3 };

const collator = new Intl.Collator("en", { numeric: true, sensitivity: "base" });

/** A sorted copy of `devices`: problems first, then by name, then by id (a total order). */
export function problemsFirst(devices: readonly DeviceView[]): DeviceView[] {
  return devices.slice().sort(
    (a, b) =>
      (PROBLEM_RANK[a.status.state] ?? 2) - (PROBLEM_RANK[b.status.state] ?? 2) ||
      collator.compare(a.name, b.name) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
  );
}

/** How many devices have a problem (anything but up). */
export function problemCount(devices: readonly DeviceView[]): number {
  return devices.reduce((n, d) => n + (d.status.state === "up" ? 0 : 1), 0);
}
