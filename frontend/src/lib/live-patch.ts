//! Live patches from the event stream, applied to the rows a page already holds: a burst of events is
//! collected and applied once per animation frame (one redraw, however many events), and each kind of
//! event changes only the rows it is about. Pure except for the frame scheduler, which tests replace.

import type { DeviceView, InterfaceView, SampleEvent, StatusEvent } from "../api/client";

export type Schedule = (run: () => void) => void;

const nextFrame: Schedule = (run) => {
  requestAnimationFrame(() => run());
};

/** Collects items and hands them over in one call per frame (in arrival order). */
export class FrameBatcher<T> {
  private pending: T[] = [];
  private scheduled = false;

  constructor(
    private readonly flush: (items: T[]) => void,
    private readonly schedule: Schedule = nextFrame,
  ) {}

  push(item: T): void {
    this.pending.push(item);
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => {
      this.scheduled = false;
      const items = this.pending;
      this.pending = [];
      if (items.length) this.flush(items);
    });
  }
}

/**
 * `run` at the next frame, once however many times the function returned is called before it: for
 * work that reads the latest state (a redraw) rather than the items that asked for it.
 */
export function oncePerFrame(run: () => void, schedule: Schedule = nextFrame): () => void {
  let scheduled = false;
  return () => {
    if (scheduled) return;
    scheduled = true;
    schedule(() => {
      scheduled = false;
      run();
    });
  };
}

/**
 * `devices` with the latest status of each event's device; `unknown` is true when an event names a
 * device the list does not hold (added elsewhere: the caller reloads). The same array when nothing
 * changed; otherwise a copy where only the changed devices are new objects.
 */
export function applyStatuses(devices: readonly DeviceView[], events: readonly StatusEvent[]): { devices: readonly DeviceView[]; unknown: boolean } {
  const latest = new Map<string, StatusEvent>();
  for (const event of events) latest.set(event.deviceId, event);
  let next: DeviceView[] | null = null;
  devices.forEach((device, index) => {
    const event = latest.get(device.id);
    if (!event) return;
    latest.delete(device.id);
    next ??= devices.slice();
    next[index] = { ...device, status: event.status };
  });
  return { devices: next ?? devices, unknown: latest.size > 0 };
}

/** In or out traffic over the speed, capped at 1, as the server computes it; null when unknown. */
export function utilization(speedBps: number | null | undefined, inBps: number | null | undefined, outBps: number | null | undefined): number | null {
  if (!speedBps || speedBps <= 0 || inBps == null || outBps == null) return null;
  return Math.min(1, Math.max(inBps, outBps) / speedBps);
}

/** The interfaces a page holds, by ifIndex: what `patchRates` looks rows up in. */
export function byIfIndex(interfaces: readonly InterfaceView[]): Map<number, InterfaceView> {
  return new Map(interfaces.map((row) => [row.ifIndex, row]));
}

/**
 * The rates of a `sample` event (the device's poll) written into the rows the page holds, in place:
 * only numbers change, no row object is made (a poll of a 4,000-interface device used to make 4,000
 * new rows, and their garbage was the page's largest cost), utilisation recomputed for the rows whose
 * rates moved. Interfaces the event does not name keep their last rates; interfaces the page does not
 * hold are ignored. Whether any rate moved (the caller redraws, re-sorts by a rate, or does nothing).
 */
export function patchRates(rows: ReadonlyMap<number, InterfaceView>, event: SampleEvent): boolean {
  let moved = false;
  for (const rate of event.interfaces) {
    const row = rows.get(rate.ifIndex);
    const inBps = rate.inBps ?? null;
    const outBps = rate.outBps ?? null;
    if (!row || (inBps === (row.inBps ?? null) && outBps === (row.outBps ?? null))) continue;
    row.inBps = inBps;
    row.outBps = outBps;
    row.utilization = utilization(row.speedBps, inBps, outBps);
    moved = true;
  }
  return moved;
}

/** A device's interface totals: how many interfaces, how many up (the device view's, a poll's). */
export type InterfaceTotals = { interfaceCount: number; interfacesUp: number };

/**
 * Whether the interface list a page holds (loaded when the device had `loaded` totals) must be
 * fetched again, now that the device has `current` totals: when none is held yet, or when an
 * interface appeared, went away, or went up or down. The rates move at every poll and come with
 * the `sample` events, so they alone never call for the whole list.
 */
export function interfacesStale(loaded: InterfaceTotals | null, current: InterfaceTotals): boolean {
  return loaded === null || loaded.interfaceCount !== current.interfaceCount || loaded.interfacesUp !== current.interfacesUp;
}

/**
 * The totals of an interface list as it was fetched: its rows, and those operationally up (as the
 * device's `interfacesUp` counts them). Taken from the rows, never from the device fetched beside
 * them: the two requests may fall on either side of a poll, and an empty list fetched just before a
 * new device's first poll must not pass for that poll's three interfaces.
 */
export function rowTotals(rows: readonly InterfaceView[]): InterfaceTotals {
  return { interfaceCount: rows.length, interfacesUp: rows.filter((row) => row.operStatus === "up").length };
}
