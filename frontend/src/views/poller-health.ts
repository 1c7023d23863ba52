//! The overview's poller-health panel: the five devices whose last poll took longest (a slow agent or
//! a long walk shows here before it times out), the poller's counters (with its SNMP sockets'
//! drops) and the log receivers' counters from `GET /status`, all since Vigie started, and each
//! remote-write target's queue. Markup only; the overview loads and refreshes the data.

import type { DeviceView, StatusSummary } from "../api/client";
import { html, type Html } from "../components/dom";
import { deviceBadge } from "../components/status-badge";
import { formatCount, formatDuration } from "../lib/format";
import { slowestDevices } from "../lib/poller-health";
import { href } from "../lib/route";

function counters(caption: string, rows: [string, number, string?][]): Html {
  return html`<table class="counter-table"><caption>${caption}</caption><tbody>${rows.map(
    ([label, value, note]) => html`<tr><th scope="row"${note ? html` title="${note}"` : null}>${label}</th><td class="num">${formatCount(value)}</td></tr>`,
  )}</tbody></table>`;
}

export function pollerHealth(devices: readonly DeviceView[], status: StatusSummary): Html {
  const slow = slowestDevices(devices, 5);
  const list = slow.length
    ? html`<ol class="slowest">${slow.map(
        (d) => html`<li><a href="${href.device(d.id)}">${d.name}</a> ${deviceBadge(d.status.state)}<span class="num">${formatCount(d.status.lastPollDurationMs)} ms</span></li>`,
      )}</ol>`
    : html`<p class="muted">No device has been polled yet.</p>`;
  const p = status.poller;
  const l = status.logs;
  return html`<section class="card health" aria-labelledby="health-title">
    <h2 id="health-title">Poller health</h2>
    <div class="health-grid">
      <div><h3>Slowest devices <span class="muted">(last poll)</span></h3>${list}</div>
      ${counters("Poller, since start", [
        ["Polls", p.pollsTotal],
        ["Failed", p.pollsFailed, "Polls that got no answer in time"],
        ["Late", p.pollsLate, "Polls that started after their time: the poller is behind"],
        ["Interface samples", p.interfaceSamplesTotal],
        ["Stray datagrams", status.snmpSockets.strayDatagrams, "SNMP datagrams from an address no poll was waiting for: dropped"],
        ["Requests not sent", status.snmpSockets.sendsDropped, "SNMP requests the full send buffer could not take: sent again after their timeout"],
      ])}
      ${counters("Logs, since start", [
        ["Stored", l.stored],
        ["Syslog received", l.syslogReceived],
        ["Traps received", l.trapsReceived],
        ["Malformed", l.syslogMalformed + l.trapsMalformed, "Syslog input and trap datagrams dropped as unreadable"],
        ["Dropped", l.dropped, "Entries dropped because a burst outran the disk"],
      ])}
      ${status.remoteWrite.map((t) => remoteWrite(t))}
    </div>
  </section>`;
}

/** One remote-write target: its queue on disk, how far behind it is, what it lost, its last error. */
function remoteWrite(t: StatusSummary["remoteWrite"][number]): Html {
  const lost = t.samplesDropped + t.samplesRejected + t.samplesDroppedHandoff;
  return html`<div>${counters(`Remote-write to ${t.name}`, [
    ["Queued samples", t.queueSamples, `${formatCount(t.queueBytes)} of ${formatCount(t.queueMaxBytes)} bytes on disk`],
    ["Samples sent", t.samplesSent],
    ["Failed attempts", t.attemptsFailed, "Requests retried: the target was away, overloaded or refused for now"],
    ["Samples lost", lost, "Dropped at the queue's bound, refused by the target, or never handed to the queue"],
  ])}<p class="muted">Lag ${formatDuration(Math.round(t.lagSecs))}${t.lastError ? html` · last error: ${t.lastError}` : null}</p></div>`;
}
