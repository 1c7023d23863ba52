//! Live mode of the interface graph: the last 15 minutes are loaded once, then the device's event stream
//! brings each poll's sample, merged into what is drawn (lib/live-traffic.ts) so the same chart grows
//! without a refetch. While the stream is down (or not connected yet) the window is refetched every poll
//! interval instead, the status line says so discreetly, and the stream takes over again once it
//! reconnects. It owns the live status line; loading and drawing belong to the page.

import { openEvents, type SampleEvent, type SampleRate, type TrafficResponse } from "../api/client";
import { startAutoRefresh, type AutoRefresh } from "../components/auto-refresh";
import { h } from "../components/dom";
import { formatTimestamp } from "../lib/format";
import { liveWindow, mergeSample, trimBefore } from "../lib/live-traffic";
import type { TimeWindow } from "../lib/time-range";

export interface LiveFeedOptions {
  deviceId: string;
  ifIndex: number;
  /** Fires when live mode is left, or the page is: closes the stream and stops the timer. */
  signal: AbortSignal;
  /** Fetches the live window and draws it; null when it failed (the page shows why) or was superseded. */
  load: () => Promise<TrafficResponse | null>;
  /** Redraws the same chart from merged data. */
  draw: (traffic: TrafficResponse, window: TimeWindow) => void;
  /** Seconds between refetches while the stream is down. */
  refreshSecs: () => number;
  /** The line that says how fresh the data is and how it arrives. */
  status: HTMLElement;
  /** The interface's rates in each sample, for figures shown outside the chart. */
  onRate?: (rate: SampleRate) => void;
}

export interface LiveFeed {
  /** Refetch the whole window now (the graph's "Try again"). */
  reload: () => Promise<void>;
}

/** `connecting`: the stream is not open yet; `stream`: samples arrive as they are polled; `polling`: it broke. */
type Mode = "connecting" | "stream" | "polling";

const nowSecs = () => Math.floor(Date.now() / 1000);

export function startLiveFeed(options: LiveFeedOptions): LiveFeed {
  const { signal, ifIndex } = options;
  let mode: Mode = "connecting";
  let live: TrafficResponse | null = null;
  /** Samples that arrive while a load is in flight, merged once it answers. */
  let pending: SampleEvent[] = [];
  let loads = 0;
  let generation = 0;
  let updatedAt: number | null = null;
  let poller: { refresh: AutoRefresh; controller: AbortController } | null = null;

  const updated = h("span", { class: "live-updated" });
  // Only changes of mode are announced; the time changes every poll and would be noise.
  const modeText = h("span", { class: "live-mode", "aria-live": "polite" });
  options.status.replaceChildren(updated, modeText);

  function show(): void {
    updated.textContent = updatedAt === null ? "" : `Updated ${formatTimestamp(updatedAt).slice(11)} · `;
    modeText.textContent =
      mode === "stream" ? "streaming" : mode === "connecting" ? "connecting…" : `live stream interrupted, refreshing every ${options.refreshSecs()} s`;
    options.status.dataset.mode = mode;
  }

  /** The refetch timer runs while there is no stream to rely on, or nothing loaded to merge into. */
  function syncPolling(): void {
    const wanted = mode !== "stream" || live === null;
    if (wanted && !poller) {
      const controller = new AbortController();
      const refresh = startAutoRefresh(reload, options.refreshSecs() * 1000, AbortSignal.any([signal, controller.signal]));
      poller = { refresh, controller };
    } else if (!wanted && poller) {
      poller.controller.abort();
      poller = null;
    }
  }

  async function reload(): Promise<void> {
    const mine = ++generation;
    loads++;
    let traffic: TrafficResponse | null;
    try {
      traffic = await options.load();
    } finally {
      loads--;
    }
    if (signal.aborted || mine !== generation) return;
    if (traffic) {
      live = traffic;
      updatedAt = nowSecs();
      const buffered = pending;
      pending = [];
      for (const sample of buffered) merge(sample);
    }
    if (loads === 0) pending = [];
    poller?.refresh.setInterval(options.refreshSecs() * 1000);
    syncPolling();
    show();
  }

  function merge(sample: SampleEvent): void {
    if (!live) return;
    const window = liveWindow(nowSecs(), sample.timestamp);
    const next = trimBefore(mergeSample(live, sample, ifIndex), window.from);
    if (next === live) return;
    live = next;
    updatedAt = sample.timestamp;
    options.draw(live, window);
  }

  function onSample(sample: SampleEvent): void {
    if (sample.deviceId !== options.deviceId) return;
    const rate = sample.interfaces.find((r) => r.ifIndex === ifIndex);
    if (rate) options.onRate?.(rate);
    if (loads > 0) {
      pending.push(sample);
      return;
    }
    merge(sample);
    show();
  }

  openEvents(
    { sample: onSample },
    {
      deviceId: options.deviceId,
      signal,
      onOpen: () => {
        const missed = mode === "polling";
        mode = "stream";
        syncPolling();
        show();
        // Samples polled while the stream was down never come: fetch the window once to fill them in.
        if (missed) void reload();
      },
      onError: () => {
        if (mode === "polling") return;
        mode = "polling";
        syncPolling();
        show();
      },
    },
  );
  show();
  void reload();
  syncPolling();
  return { reload };
}
