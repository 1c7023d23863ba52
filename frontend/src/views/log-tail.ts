//! Live tail of a log view: while on, the event stream (`types=log`) brings each new entry; those that
//! pass the view's filters are added on top in small batches (a burst of syslog redraws the table a few
//! times a second, not once per message). The stream is closed while the tab is hidden and whenever the
//! tail is off; when it opens again (or reconnects after a drop) the first page is fetched once, so what
//! came in the meantime is not missed. It owns the status line next to its toggle.

import { openEvents, type LogEntryView } from "../api/client";
import { catchUp, type LogList } from "../lib/log-list";

/** Entries pushed within this time are drawn together. */
const BATCH_MS = 150;

export interface LogTailOptions {
  deviceId?: string;
  signal: AbortSignal;
  /** Where the tail says what it is doing. */
  status: HTMLElement;
  /** Whether a pushed entry belongs in the view (its filters). */
  accept: (entry: LogEntryView) => boolean;
  /** True while the view loads its first page: entries are held until `loaded()`. */
  busy: () => boolean;
  /** Adds entries on top of what is shown. */
  add: (entries: LogEntryView[]) => void;
  /** Fetches the current first page, and applies the list `catchUp` made of it. */
  firstPage: (signal: AbortSignal) => Promise<LogList<LogEntryView>>;
  catchUp: (list: LogList<LogEntryView>) => void;
  /** What is shown now, for `catchUp`. */
  current: () => LogList<LogEntryView>;
}

export interface LogTail {
  setEnabled: (on: boolean) => void;
  /** The view's first page has been drawn: add what arrived meanwhile. */
  loaded: () => void;
}

type Mode = "off" | "connecting" | "stream" | "reconnecting" | "paused";

export function startLogTail(options: LogTailOptions): LogTail {
  const { signal } = options;
  let enabled = false;
  let mode: Mode = "off";
  let stream: AbortController | null = null;
  let pending: LogEntryView[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Turning the tail on after the rows were loaded leaves a gap too: the first open fills it.
  let missed = true;
  let catching: AbortController | null = null;

  const text: Record<Mode, string> = {
    off: "",
    connecting: "connecting…",
    stream: "live: new entries appear on top",
    reconnecting: "live tail interrupted, reconnecting…",
    paused: "live tail paused while the tab is hidden",
  };
  function setMode(next: Mode): void {
    mode = next;
    options.status.textContent = text[mode];
    options.status.dataset.mode = mode;
  }

  function flush(): void {
    timer = undefined;
    if (options.busy() || pending.length === 0) return;
    const batch = pending;
    pending = [];
    options.add(batch);
  }

  function onLog(entry: LogEntryView): void {
    if (!options.accept(entry)) return;
    pending.push(entry);
    if (timer === undefined && !options.busy()) timer = setTimeout(flush, BATCH_MS);
  }

  async function fillGap(): Promise<void> {
    catching?.abort();
    const controller = new AbortController();
    catching = controller;
    try {
      const page = await options.firstPage(controller.signal);
      if (controller === catching && !options.busy()) options.catchUp(catchUp(options.current(), page));
    } catch {
      // The next reconnection or filter change tries again; the stream keeps adding meanwhile.
    } finally {
      if (controller === catching) catching = null;
    }
  }

  function open(): void {
    stream = new AbortController();
    setMode(missed ? "reconnecting" : "connecting");
    openEvents(
      { log: onLog },
      {
        deviceId: options.deviceId,
        signal: AbortSignal.any([signal, stream.signal]),
        onOpen: () => {
          setMode("stream");
          // Entries sent while the stream was closed never come: fetch the first page once to fill them in.
          if (missed && !options.busy()) void fillGap();
          missed = false;
        },
        onError: () => {
          missed = true;
          setMode("reconnecting");
        },
      },
    );
  }

  function close(next: Mode): void {
    stream?.abort();
    stream = null;
    catching?.abort();
    clearTimeout(timer);
    timer = undefined;
    pending = [];
    setMode(next);
  }

  function sync(): void {
    if (signal.aborted) return;
    const hidden = document.visibilityState === "hidden";
    if (enabled && !hidden && !stream) open();
    else if (enabled && hidden && stream) {
      missed = true;
      close("paused");
    } else if (!enabled && (stream || mode !== "off")) {
      missed = true;
      close("off");
    }
  }

  document.addEventListener("visibilitychange", sync);
  signal.addEventListener("abort", () => {
    document.removeEventListener("visibilitychange", sync);
    close("off");
  });

  return {
    setEnabled: (on) => {
      enabled = on;
      sync();
    },
    loaded: () => {
      // A reload replaced the rows; what arrived meanwhile is merged if it passes the filters now in force.
      clearTimeout(timer);
      pending = pending.filter(options.accept);
      flush();
    },
  };
}
