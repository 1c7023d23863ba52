//! Applying a `status` event from the server's event stream to what a page already shows: the device's
//! status replaced at once, and the fleet counts moved, without waiting for the next refresh. Pure.

import type { DeviceState, DeviceView, StatusEvent, StatusSummary } from "../api/client";
import { recountStates } from "./device-state";

/** `device` with the event's status; the same object when the event is about another device. */
export function withStatus(device: DeviceView, event: StatusEvent): DeviceView {
  return device.id === event.deviceId ? { ...device, status: event.status } : device;
}

/**
 * `devices` with the event applied, and the state the device had before; `null` when no device in the
 * list has that id (one added elsewhere since the last refresh: the caller reloads).
 */
export function applyStatus(devices: DeviceView[], event: StatusEvent): { devices: DeviceView[]; before: DeviceState } | null {
  const index = devices.findIndex((d) => d.id === event.deviceId);
  const old = devices[index];
  if (!old) return null;
  const next = devices.slice();
  next[index] = withStatus(old, event);
  return { devices: next, before: old.status.state };
}

/** The fleet counts after one device went from `before` to `after`; never below zero. */
export function recount(summary: StatusSummary, before: DeviceState, after: DeviceState): StatusSummary {
  return recountStates(summary, before, after);
}
