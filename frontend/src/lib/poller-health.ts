//! What the overview's poller-health panel shows: the devices whose last poll took longest. Pure.

export interface TimedDevice {
  status: { lastPollDurationMs?: number | null };
}

/** The `count` devices with the longest last poll, longest first; devices not polled yet are left out. */
export function slowestDevices<T extends TimedDevice>(devices: readonly T[], count = 5): T[] {
  return devices
    .filter((d) => d.status.lastPollDurationMs != null)
    .sort((a, b) => b.status.lastPollDurationMs! - a.status.lastPollDurationMs!)
    .slice(0, count);
}
