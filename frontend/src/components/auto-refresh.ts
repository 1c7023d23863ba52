//! Periodic reloading for pages that show live state. One run at a time (a slow server never gets
//! overlapping requests), paused while the tab is hidden, caught up as soon as it is visible again, and
//! stopped when the page's AbortSignal fires.

export interface AutoRefresh {
  /**
   * Run now and restart the timer (e.g. after the person changed something). During a run, run again as
   * soon as it ends: what it fetches may predate the change.
   */
  now: () => void;
  /** What a run in progress fetches is already out of date: run again as soon as it ends. Idle: nothing. */
  rerunIfRunning: () => void;
  /** Change the period; takes effect from the next wait. */
  setInterval: (ms: number) => void;
}

export function startAutoRefresh(run: () => Promise<void>, intervalMs: number, signal: AbortSignal): AutoRefresh {
  let period = intervalMs;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running = false;
  let rerun = false;
  let lastRun = 0;

  const schedule = () => {
    clearTimeout(timer);
    if (signal.aborted) return;
    timer = setTimeout(tick, period);
  };
  const tick = async () => {
    if (signal.aborted) return;
    if (running) {
      rerun = true;
      return;
    }
    if (document.visibilityState === "hidden") return; // resumed by the visibility listener
    running = true;
    lastRun = Date.now();
    try {
      await run();
    } finally {
      running = false;
      if (rerun) {
        rerun = false;
        void tick();
      } else {
        schedule();
      }
    }
  };
  const onVisibility = () => {
    if (document.visibilityState === "visible" && Date.now() - lastRun >= period) void tick();
    else if (document.visibilityState === "visible") schedule();
  };

  document.addEventListener("visibilitychange", onVisibility);
  signal.addEventListener("abort", () => {
    clearTimeout(timer);
    document.removeEventListener("visibilitychange", onVisibility);
  });
  schedule();
  return {
    now: () => {
      clearTimeout(timer);
      void tick();
    },
    rerunIfRunning: () => {
      if (running) rerun = true;
    },
    setInterval: (ms) => {
      period = ms;
    },
  };
}
