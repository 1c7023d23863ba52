//! Incidents as the alert pages, the overview and the header badge hold them: open ones first (newest
//! first), then resolved ones (latest resolved first); an `alert` event from the stream replaces the
//! incident it names (keeping the deliveries the list had: events carry none) or adds it; the badge
//! counts the open ids it has seen. Pure.

import type { IncidentView } from "../api/alerts";

export function sortIncidents(list: readonly IncidentView[]): IncidentView[] {
  const rank = (i: IncidentView) => (i.state === "open" ? 0 : 1);
  const when = (i: IncidentView) => (i.state === "open" ? i.openedAt : (i.resolvedAt ?? i.openedAt));
  return [...list].sort((a, b) => rank(a) - rank(b) || when(b) - when(a) || a.id.localeCompare(b.id));
}

/** The list with `event` applied (replaced by id, or added), sorted. */
export function applyIncidentEvent(list: readonly IncidentView[], event: IncidentView): IncidentView[] {
  const old = list.find((i) => i.id === event.id);
  const next = { ...event, deliveries: event.deliveries.length ? event.deliveries : (old?.deliveries ?? []) };
  return sortIncidents([...list.filter((i) => i.id !== event.id), next]);
}

/** Whether an incident passes the page's filters (those the server applies to the list). */
export function matchesFilter(i: IncidentView, filter: { state?: string; deviceId?: string; ruleId?: string }): boolean {
  return (!filter.state || i.state === filter.state) && (!filter.deviceId || i.deviceId === filter.deviceId) && (!filter.ruleId || i.ruleId === filter.ruleId);
}

/** The open incidents' ids, kept up to date from a first list and the stream's events. */
export class OpenIncidents {
  private readonly open = new Set<string>();

  reset(list: readonly IncidentView[]): void {
    this.open.clear();
    for (const i of list) if (i.state === "open") this.open.add(i.id);
  }

  apply(event: IncidentView): void {
    if (event.state === "open") this.open.add(event.id);
    else this.open.delete(event.id);
  }

  get count(): number {
    return this.open.size;
  }
}

/** The marks an incident carries, as short words for badges. */
export function incidentMarks(i: IncidentView): string[] {
  const marks: string[] = [];
  if (i.flapping) marks.push("flapping");
  if (i.inMaintenance) marks.push("in maintenance");
  if (i.acknowledged) marks.push("acknowledged");
  if (i.suppressedBy) marks.push(i.suppressedBy);
  return marks;
}
