//! Incidents (`/alerts`): open ones first, then recent ones, filtered by state, device and rule (in the
//! URL); live over the app's alert stream (`event: alert` replaces or adds the incident at once, and the list
//! is read again a moment later for the deliveries, which events do not carry). Each row opens on its
//! deliveries (channel, event, attempts, result, next attempt); operators acknowledge open incidents.

import { acknowledgeIncident, listChannels, listIncidents, listRules, type AlertChannelView, type AlertRuleView, type IncidentView } from "../api/alerts";
import { listDevices, session, type DeviceView } from "../api/client";
import { subscribeAlerts } from "../components/alert-feed";
import { errorMessage } from "../components/async-view";
import { type Column } from "../components/data-table";
import { h, html, type Html } from "../components/dom";
import { ListPage } from "../components/list-page";
import { can } from "../lib/access";
import { formatTimestamp, MISSING } from "../lib/format";
import { applyIncidentEvent, incidentMarks, matchesFilter, sortIncidents } from "../lib/incidents";
import { href, withParams } from "../lib/route";
import type { ViewContext } from "../router";
import { alertTabs } from "./alert-tabs";

/** How long after an event the list is read again for its deliveries. */
const DELIVERIES_REFRESH_MS = 1_500;

export function incidentStateBadge(i: IncidentView): Html {
  return i.state === "open" ? html`<span class="badge badge-down">open</span>` : html`<span class="badge badge-up">resolved</span>`;
}

export function marksHtml(i: IncidentView): Html {
  const marks = incidentMarks(i);
  return html`${marks.map((m) => html`<span class="incident-mark">${m}</span> `)}`;
}

function deliveriesHtml(i: IncidentView, channels: Map<string, AlertChannelView>): Html {
  if (!i.deliveries.length) return html`<p class="muted">${i.suppressedBy || i.inMaintenance ? "Nobody was told of this incident." : "No notification (the rule names no channel, or none is recorded yet)."}</p>`;
  return html`<table class="fields-table deliveries"><thead><tr><th>Channel</th><th>Event</th><th>Result</th><th>Attempts</th><th>Next attempt</th><th>Last error</th></tr></thead><tbody>${i.deliveries.map(
    (d) =>
      html`<tr><td>${channels.get(d.channelId)?.name ?? d.channelId}</td><td>${d.event}</td><td><span class="delivery-${d.state}">${d.state}</span></td><td>${d.attempts}</td><td>${d.nextAttemptAt ? formatTimestamp(d.nextAttemptAt) : MISSING}</td><td>${d.lastError ?? ""}</td></tr>`,
  )}</tbody></table>`;
}

export function alertsView(ctx: ViewContext): void {
  ctx.setTitle("Alerts");
  const filter = () => ({ state: ctx.query.get("state") ?? "", deviceId: ctx.query.get("deviceId") ?? "", ruleId: ctx.query.get("ruleId") ?? "" });
  let channels = new Map<string, AlertChannelView>();
  const mayAck = can(session.current?.role, "manageAlerts");
  const columns: Column<IncidentView, never>[] = [
    { label: "State", cell: incidentStateBadge },
    { label: "Device", cell: (i) => html`<a href="${href.device(i.deviceId)}">${i.deviceName}</a>` },
    { label: "Rule", className: "optional", cell: (i) => html`${i.ruleName}` },
    { label: "Summary", cell: (i) => html`${i.summary} ${marksHtml(i)}` },
    { label: "Opened", cell: (i) => html`${formatTimestamp(i.openedAt)}` },
    { label: "Resolved", className: "optional", cell: (i) => html`${i.resolvedAt ? formatTimestamp(i.resolvedAt) : MISSING}` },
    {
      label: "Actions",
      className: "num",
      cell: (i) =>
        mayAck && i.state === "open" && !i.acknowledged
          ? html`<button type="button" class="button" data-action="ack" data-incident="${i.id}">Acknowledge</button>`
          : html`${i.acknowledgedBy ? `by ${i.acknowledgedBy}` : ""}`,
    },
  ];
  const list = new ListPage<IncidentView>({
    caption: "Incidents",
    columns,
    table: {
      rowClass: (i) => `incident-row incident-${i.state}`,
      details: { key: (i) => i.id, label: (i) => `Deliveries of ${i.summary}`, render: (i) => deliveriesHtml(i, channels) },
    },
    loadingText: "Loading incidents…",
    empty: () => h("div", {}, h("p", { class: "empty-title" }, "No incidents"), h("p", {}, "Nothing matches, or no rule has opened one. ", h("a", { href: href.alertRules() }, "Rules"), " open incidents.")),
    fetch: async (signal) => {
      const f = filter();
      return sortIncidents(await listIncidents({ state: (f.state || undefined) as "open" | "resolved" | undefined, deviceId: f.deviceId || undefined, ruleId: f.ruleId || undefined, limit: 200 }, signal));
    },
    signal: ctx.signal,
    rowAttr: "incident",
    rowId: (i) => i.id,
    actions: {
      ack: async (incident, button) => {
        button.disabled = true;
        try {
          const acked = await acknowledgeIncident(incident.id);
          list.show(applyIncidentEvent(list.rows, acked));
          list.say(`Acknowledged: ${acked.summary}. Its reminders stop.`);
        } catch (err) {
          button.disabled = false;
          list.say(errorMessage(err));
        }
      },
    },
  });

  const filters = filterBar(ctx, filter());
  let refresh: ReturnType<typeof setTimeout> | undefined;
  ctx.signal.addEventListener("abort", () => clearTimeout(refresh));
  subscribeAlerts(
    {
      alert: (event) => {
        if (!matchesFilter(event, filter())) return;
        list.show(applyIncidentEvent(list.rows, event));
        clearTimeout(refresh);
        refresh = setTimeout(() => void list.load(), DELIVERIES_REFRESH_MS);
      },
      connected: () => void list.load(),
    },
    ctx.signal,
  );

  ctx.root.append(
    h("div", { class: "page-head" }, h("div", {}, h("h1", {}, "Alerts"), h("p", { class: "muted" }, "Incidents opened by the rules: open ones first, then recent ones. Live."))),
    alertTabs("alerts"),
    filters.element,
    list.status,
    list.view.element,
  );
  void list.load();
  void listChannels(ctx.signal).then((list) => (channels = new Map(list.map((c) => [c.id, c])))).catch(() => {});
  void Promise.all([listDevices(ctx.signal), listRules(ctx.signal)]).then(([devices, rules]) => filters.fill(devices, rules)).catch(() => {});
}

/** State, device and rule filters; a change rewrites the URL, which the router hands back as a new page. */
function filterBar(ctx: ViewContext, current: { state: string; deviceId: string; ruleId: string }) {
  const select = (id: string, label: string, key: string, value: string, options: [string, string][]) => {
    const input = h("select", { id, name: key }, ...options.map(([v, l]) => h("option", { value: v }, l)));
    input.value = value;
    input.addEventListener("change", () => ctx.navigate(href.alerts(withParams(ctx.query, { [key]: input.value }).toString())));
    return { input, element: h("div", { class: "field" }, h("label", { for: id }, label), input) };
  };
  const state = select("alert-state", "State", "state", current.state, [["", "Open and resolved"], ["open", "Open"], ["resolved", "Resolved"]]);
  const device = select("alert-device", "Device", "deviceId", current.deviceId, [["", "Every device"]]);
  const rule = select("alert-rule", "Rule", "ruleId", current.ruleId, [["", "Every rule"]]);
  return {
    element: h("div", { class: "filters alert-filters" }, state.element, device.element, rule.element),
    fill(devices: DeviceView[], rules: AlertRuleView[]) {
      device.input.append(...devices.map((d) => h("option", { value: d.id }, d.name)));
      device.input.value = current.deviceId;
      rule.input.append(...rules.map((r) => h("option", { value: r.id }, r.name)));
      rule.input.value = current.ruleId;
    },
  };
}
