//! The overview's open incidents: a short list above the devices, drawn only while incidents are open,
//! and kept live by the app's alert stream (`event: alert`): one opens, it appears; it resolves, it goes.

import { listIncidents, type IncidentView } from "../api/alerts";
import { isAbort } from "../api/client";
import { subscribeAlerts } from "../components/alert-feed";
import { h, html, setHtml } from "../components/dom";
import { formatTimestamp } from "../lib/format";
import { applyIncidentEvent } from "../lib/incidents";
import { href } from "../lib/route";
import { marksHtml } from "./alerts";

/** Puts the panel just before `anchor` (the device list); it lives until `signal` fires. */
export function mountOpenIncidents(anchor: Element, signal: AbortSignal): void {
  const section = h("section", { class: "open-incidents", "aria-labelledby": "open-incidents-title", hidden: true });
  anchor.before(section);
  let open: IncidentView[] = [];
  const draw = () => {
    section.hidden = open.length === 0;
    setHtml(
      section,
      html`<h2 id="open-incidents-title">Open incidents <span class="count-badge">${open.length}</span></h2>
        <ul>${open.slice(0, 10).map((i) => html`<li class="open-incident"><span class="badge badge-down">open</span> <a href="${href.device(i.deviceId)}">${i.deviceName}</a> ${i.summary} ${marksHtml(i)}<span class="muted"> since ${formatTimestamp(i.openedAt)}</span></li>`)}</ul>
        <p><a href="${href.alerts("state=open")}">${open.length > 10 ? `All ${open.length} open incidents` : "Open the alerts page"}</a></p>`,
    );
  };
  const load = async () => {
    try {
      open = await listIncidents({ state: "open", limit: 100 }, signal);
      draw();
    } catch (err) {
      if (!isAbort(err)) section.hidden = true;
    }
  };
  subscribeAlerts(
    {
      alert: (event) => {
        open = applyIncidentEvent(open, event).filter((i) => i.state === "open");
        draw();
      },
      connected: () => void load(),
    },
    signal,
  );
  void load();
}
