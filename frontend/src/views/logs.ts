//! Logs page (`/logs`): syslog messages, traps and Vigie's events of every device, and those from
//! unknown senders, with the shared log panel (filters in the URL, live tail, "Load older", rows that
//! open). Device names come from the small name lookup (`GET /fleet/names`: ids and names, not the
//! devices' state and traffic), fetched once; until then (or if it fails) ids show.

import { listDeviceNames } from "../api/client";
import { h } from "../components/dom";
import type { ViewContext, ViewInstance } from "../router";
import { LogPanel } from "./log-panel";

export function logsView(ctx: ViewContext): ViewInstance {
  ctx.setTitle("Logs");
  const names = new Map<string, string>();
  const panel = new LogPanel({
    query: ctx.query,
    onQuery: ctx.replaceQuery,
    signal: ctx.signal,
    deviceName: (id) => names.get(id) ?? null,
  });

  listDeviceNames(ctx.signal).then(
    (devices) => {
      for (const d of devices) names.set(d.id, d.name);
      panel.redraw();
    },
    // The entries matter more than the names: without them the Device column shows ids.
    () => undefined,
  );

  ctx.root.append(
    h(
      "div",
      { class: "page-head" },
      h("div", {}, h("h1", {}, "Logs"), h("p", { class: "counts" }, "Syslog, SNMP traps and Vigie's own events, newest first")),
    ),
    panel.element,
  );
  panel.setActive(true);
  return { update: (query) => panel.applyQuery(query) };
}
