//! The header's count of open incidents: a badge on the "Alerts" link, kept live by the app's alert
//! stream (`alert-feed.ts`, which it starts and stops with the session) from a read of the open
//! incidents at each connection; hidden at zero and without a session.

import { listIncidents } from "../api/alerts";
import { session, type SessionView } from "../api/client";
import { OpenIncidents } from "../lib/incidents";
import { startAlertFeed, stopAlertFeed, subscribeAlerts } from "./alert-feed";

export function mountAlertBadge(link: HTMLElement): void {
  const badge = document.createElement("span");
  badge.className = "alert-count";
  badge.hidden = true;
  link.append(badge);
  const open = new OpenIncidents();
  let controller: AbortController | null = null;
  const draw = () => {
    badge.hidden = open.count === 0;
    badge.textContent = String(open.count);
    link.setAttribute("aria-label", open.count ? `Alerts: ${open.count} open` : "Alerts");
  };
  const start = (current: SessionView | null) => {
    controller?.abort();
    controller = null;
    stopAlertFeed();
    open.reset([]);
    draw();
    if (!current || current.mustChangePassword) return;
    const { signal } = (controller = new AbortController());
    const load = async () => {
      try {
        open.reset(await listIncidents({ state: "open", limit: 1000 }, signal));
        draw();
      } catch {
        // The badge is a hint: the alerts page says what went wrong.
      }
    };
    subscribeAlerts(
      {
        alert: (event) => {
          open.apply(event);
          draw();
        },
        connected: () => void load(),
      },
      signal,
    );
    startAlertFeed();
  };
  let last: string | null = null;
  session.subscribe((current) => {
    const key = current ? `${current.username}:${current.mustChangePassword}` : null;
    if (key !== last) start(current);
    last = key;
  });
  last = session.current ? `${session.current.username}:${session.current.mustChangePassword}` : null;
  start(session.current);
}
