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

/** The overview's state filter (`?state=`): every device, the devices with a problem, or one state. */
export type StateFilter = "" | "problems" | DeviceState;
export const STATE_FILTERS: readonly StateFilter[] = ["", "problems", "unreachable", "snmp_down", "unknown", "up"];

export function parseStateFilter(text: string | null): StateFilter {
  return STATE_FILTERS.find((f) => f !== "" && f === text) ?? "";
}

export function matchesState(device: DeviceView, filter: StateFilter): boolean {
  if (filter === "") return true;
  if (filter === "problems") return device.status.state !== "up";
  return device.status.state === filter;
}

/** Devices per state, counted from the rows the page holds (so live patches move the counts too). */
export function stateCounts(devices: readonly DeviceView[]): Record<DeviceState, number> {
  const counts: Record<DeviceState, number> = { up: 0, snmp_down: 0, unreachable: 0, unknown: 0 };
  for (const d of devices) counts[d.status.state] = (counts[d.status.state] ?? 0) + 1;
  return counts;
}
