//! The banner under the header while a syslog or trap receiver cannot listen (its port taken by another
//! program, or no permission): the server runs without it and retries, and the person learns why no logs
//! or traps arrive there. Reads `receivers` of /status every 15 s while someone is signed in and the tab
//! is visible; gone as soon as every receiver listens. `receiverAlert` is pure.

import { getStatus, isAbort, session, type StatusSummary } from "../api/client";
import { startAutoRefresh } from "./auto-refresh";
import { h } from "./dom";

export type ReceiverStatus = StatusSummary["receivers"][number];

const REFRESH_MS = 15_000;

const TITLES: Record<string, string> = {
  syslog_udp: "Syslog over UDP",
  syslog_tcp: "Syslog over TCP",
  trap_udp: "The SNMP trap receiver",
};

/** The banner's text, or null when every receiver listens. */
export function receiverAlert(receivers: readonly ReceiverStatus[], nowSecs: number): string | null {
  const failed = receivers.filter((r) => r.state === "failed");
  if (failed.length === 0) return null;
  const lines = failed.map((r) => {
    const why = r.error ? ` (${r.error})` : "";
    const next = r.nextRetryAt == null ? "" : `, next try in ${Math.max(0, r.nextRetryAt - nowSecs)} s`;
    return `${TITLES[r.name] ?? r.name} cannot listen on ${r.address}${why}${next}.`;
  });
  return `${lines.join(" ")} Vigie keeps trying; until then nothing is received there.`;
}

/** Puts the banner after `header` and keeps it current. */
export function mountReceiverBanner(header: HTMLElement): void {
  const banner = h("p", { class: "storage-alert receiver-banner", role: "alert", hidden: true });
  header.after(banner);
  const show = (text: string | null) => {
    banner.hidden = text == null;
    banner.textContent = text ?? "";
  };
  const refresh = async () => {
    // Until a forced password change is done, the server answers nothing else.
    if (!session.current || session.current.mustChangePassword) return show(null);
    try {
      const status = await getStatus();
      show(receiverAlert(status.receivers, Math.floor(Date.now() / 1000)));
    } catch (err) {
      if (!isAbort(err)) show(null); // the pages say when the server cannot be reached
    }
  };
  const timer = startAutoRefresh(refresh, REFRESH_MS, new AbortController().signal);
  session.subscribe(() => timer.now());
}
