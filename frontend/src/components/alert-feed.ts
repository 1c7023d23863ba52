//! One stream of `alert` events for the whole app, however many parts want them (the header badge,
//! the overview's open incidents, the alerts page): a browser keeps only six connections per server,
//! and every page already holds a stream of its own. Started and stopped with the session (by the
//! header badge); each subscriber is told of every incident event and of every (re)connection, after
//! which it reads its list again (events may have been missed meanwhile).

import { openEvents, type IncidentEvent } from "../api/client";

interface Subscriber {
  alert: (event: IncidentEvent) => void;
  /** Connected, the first time or again: read the list again. */
  connected: () => void;
}

const subscribers = new Set<Subscriber>();
let controller: AbortController | null = null;

/** Opens the stream (closing any before). */
export function startAlertFeed(): void {
  stopAlertFeed();
  const current = (controller = new AbortController());
  openEvents(
    { alert: (event) => subscribers.forEach((s) => s.alert(event)) },
    {
      signal: current.signal,
      onOpen: () => subscribers.forEach((s) => s.connected()),
    },
  );
}

export function stopAlertFeed(): void {
  controller?.abort();
  controller = null;
}

/** Until `signal` fires. The subscriber reads its list itself at first; `connected` is for reconnections. */
export function subscribeAlerts(subscriber: Subscriber, signal: AbortSignal): void {
  subscribers.add(subscriber);
  signal.addEventListener("abort", () => subscribers.delete(subscriber), { once: true });
}
