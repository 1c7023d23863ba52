//! The table of log entries: time received, device (or the address of an unknown sender), source,
//! severity badge, app and message, newest first. Each row opens (DataTable's details: a button with
//! aria-expanded) to show every field of the entry, its structured data or trap variable bindings, and
//! the entry as the API sent it. Markup only: loading and the live tail belong to log-panel.ts.

import type { LogEntryView } from "../api/client";
import { DataTable, type Column } from "../components/data-table";
import { html, type Html } from "../components/dom";
import { severityBadge } from "../components/status-badge";
import { formatLogTime, formatTimestamp, MISSING } from "../lib/format";
import { SEVERITY_WORDS } from "../lib/log-query";
import { href } from "../lib/route";

export interface LogTableOptions {
  /** Whose entries: without it the table has a Device column (the all-devices page). */
  deviceId?: string;
  /** A device's name for the Device column; null while unknown (the id is shown). */
  deviceName: (id: string) => string | null;
  /** Browser time in Unix seconds, to shorten today's times. */
  now: () => number;
}

const SOURCE_LABELS: Record<string, string> = { syslog: "syslog", trap: "trap", event: "event" };

function timeCell(e: LogEntryView, now: number): Html {
  const iso = new Date(e.receivedAt * 1000).toISOString();
  return html`<time datetime="${iso}" title="Received ${formatTimestamp(e.receivedAt)}">${formatLogTime(e.receivedAt, now)}</time>`;
}

function senderCell(e: LogEntryView, deviceName: (id: string) => string | null): Html {
  if (e.deviceId) return html`<a href="${href.deviceLogs(e.deviceId)}">${deviceName(e.deviceId) ?? e.deviceId}</a>`;
  if (e.sourceAddr) return html`<span class="mono" title="Not from a known device">${e.sourceAddr}</span>`;
  return html`<span class="muted">Vigie</span>`;
}

function messageCell(e: LogEntryView): Html {
  return html`<span class="log-message">${e.message}</span>${e.truncated ? html` <span class="badge badge-unknown" title="Over 64 KiB: cut">cut</span>` : null}`;
}

function facts(items: [string, Html | string | null | undefined][]): Html {
  const shown = items.filter(([, value]) => value !== null && value !== undefined && value !== "");
  return html`<dl class="facts">${shown.map(([term, value]) => html`<dt>${term}</dt><dd>${value}</dd>`)}</dl>`;
}

/** Everything the entry holds, for the open row. */
export function logDetails(e: LogEntryView, deviceName: (id: string) => string | null): Html {
  const fields = e.fields.length
    ? html`<table class="fields-table"><caption>${e.source === "trap" ? "Variable bindings" : "Structured data"}</caption>
        <thead><tr><th scope="col">${e.source === "trap" ? "OID" : "Name"}</th><th scope="col">Value</th></tr></thead>
        <tbody>${e.fields.map((f) => html`<tr><td class="mono">${f.name}</td><td class="mono">${f.value}</td></tr>`)}</tbody></table>`
    : html`<p class="muted">No ${e.source === "trap" ? "variable bindings" : "structured data"}.</p>`;
  return html`<div class="log-details">
    <div>${facts([
      ["Received", formatTimestamp(e.receivedAt)],
      ["Device time", e.timestamp != null ? formatTimestamp(e.timestamp) : html`<span class="muted">not given</span>`],
      ["Device", e.deviceId ? html`<a href="${href.device(e.deviceId)}">${deviceName(e.deviceId) ?? e.deviceId}</a>` : html`<span class="muted">unattributed</span>`],
      ["From", e.sourceAddr ? html`<span class="mono">${e.sourceAddr}</span>` : null],
      ["Host name", e.hostname],
      ["Source", SOURCE_LABELS[e.source] ?? e.source],
      ["Severity", `${e.severity} (${SEVERITY_WORDS[e.severity] ?? "unknown"})`],
      ["Facility", e.facility],
      ["App", e.appName],
      ["Entry id", String(e.id)],
      ["Cut", e.truncated ? "yes: the message was over 64 KiB" : null],
    ])}</div>
    <div class="log-details-main">
      <pre class="log-raw">${e.message}</pre>
      ${fields}
      <details><summary>The entry as the API sent it</summary><pre class="log-raw">${JSON.stringify(e, null, 2)}</pre></details>
    </div>
  </div>`;
}

export function logTable(options: LogTableOptions): DataTable<LogEntryView, never> {
  const { deviceName, now } = options;
  const columns: Column<LogEntryView, never>[] = [
    { label: "Received", className: "log-time", cell: (e) => timeCell(e, now()) },
    ...(options.deviceId ? [] : [{ label: "Device", cell: (e: LogEntryView) => senderCell(e, deviceName) }]),
    { label: "Source", className: "optional", cell: (e) => html`${SOURCE_LABELS[e.source] ?? e.source}` },
    { label: "Severity", cell: (e) => severityBadge(e.severity) },
    { label: "App", className: "optional", cell: (e) => html`<span class="ellipsis narrow" title="${e.appName ?? ""}">${e.appName || MISSING}</span>` },
    { label: "Message", className: "log-message-cell", cell: messageCell },
  ];
  return new DataTable<LogEntryView, never>({
    caption: options.deviceId ? "Log entries of this device, newest first" : "Log entries, newest first",
    columns,
    details: {
      key: (e) => String(e.id),
      label: (e) => `Details of the ${formatLogTime(e.receivedAt, now())} ${SOURCE_LABELS[e.source] ?? e.source} entry`,
      render: (e) => logDetails(e, deviceName),
    },
    rowClass: (e) => `log-row sev-row-${e.severity <= 3 ? "bad" : e.severity === 4 ? "warn" : "ok"}`,
  });
}
