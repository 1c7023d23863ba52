// @vitest-environment happy-dom
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { startAutoRefresh } from "./auto-refresh";

/** A run that stays in progress until the test calls the returned `finish`. */
function controlledRun() {
  const finishers: (() => void)[] = [];
  const run = vi.fn(() => new Promise<void>((resolve) => finishers.push(resolve)));
  const finish = async () => {
    finishers.shift()?.();
    await vi.advanceTimersByTimeAsync(0);
  };
  return { run, finish };
}

describe("startAutoRefresh", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it("runs every period, one run at a time", async () => {
    const { run, finish } = controlledRun();
    startAutoRefresh(run, 1000, new AbortController().signal);
    await vi.advanceTimersByTimeAsync(1000);
    expect(run).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(5000);
    expect(run).toHaveBeenCalledTimes(1);
    await finish();
    await vi.advanceTimersByTimeAsync(1000);
    expect(run).toHaveBeenCalledTimes(2);
  });

  it("runs again right after the current run when asked to run now during it", async () => {
    const { run, finish } = controlledRun();
    const refresh = startAutoRefresh(run, 10_000, new AbortController().signal);
    refresh.now();
    refresh.now();
    expect(run).toHaveBeenCalledTimes(1);
    await finish();
    expect(run).toHaveBeenCalledTimes(2);
    await finish();
    expect(run).toHaveBeenCalledTimes(2);
  });

  it("reruns a stale run in progress, and does nothing when idle", async () => {
    const { run, finish } = controlledRun();
    const refresh = startAutoRefresh(run, 10_000, new AbortController().signal);
    refresh.rerunIfRunning();
    expect(run).not.toHaveBeenCalled();
    refresh.now();
    refresh.rerunIfRunning();
    await finish();
    expect(run).toHaveBeenCalledTimes(2);
  });

  it("stops when the signal fires", async () => {
    const { run } = controlledRun();
    const controller = new AbortController();
    startAutoRefresh(run, 1000, controller.signal);
    controller.abort();
    await vi.advanceTimersByTimeAsync(5000);
    expect(run).not.toHaveBeenCalled();
  });
});
