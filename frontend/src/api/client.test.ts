// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, createDevice, deleteDevice, EVENTS_RETRY_MS, getTraffic, isAbort, listDeviceLogs, listDevices, openEvents } from "./client";

function mockFetch(response: Response | Error) {
  const fn = vi.fn(async () => {
    if (response instanceof Error) throw response;
    return response;
  });
  vi.stubGlobal("fetch", fn);
  return fn;
}
const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

afterEach(() => vi.unstubAllGlobals());

describe("client", () => {
  it("returns the parsed body", async () => {
    mockFetch(json(200, [{ id: "d1" }]));
    await expect(listDevices()).resolves.toEqual([{ id: "d1" }]);
  });

  it("builds paths and query strings under /api/v1, skipping absent parameters", async () => {
    const fetch = mockFetch(json(200, { stepSecs: 60, points: [] }));
    await getTraffic("a/b", 7, { from: 100, to: 200, maxPoints: undefined });
    const url = new URL(String((fetch.mock.calls[0] as unknown[])[0]));
    expect(url.pathname).toBe("/api/v1/devices/a%2Fb/interfaces/7/traffic");
    expect(url.search).toBe("?from=100&to=200");
  });

  it("asks for a device's logs with filters and a cursor", async () => {
    const fetch = mockFetch(json(200, { entries: [], nextCursor: null }));
    await listDeviceLogs("d1", { source: "trap", minSeverity: 4, cursor: 1234, limit: 100 });
    const url = new URL(String((fetch.mock.calls[0] as unknown[])[0]));
    expect(url.pathname).toBe("/api/v1/devices/d1/logs");
    expect(url.search).toBe("?source=trap&minSeverity=4&cursor=1234&limit=100");
  });

  it("sends JSON bodies", async () => {
    const fetch = mockFetch(json(201, { id: "new" }));
    await createDevice({ host: "192.0.2.1", snmp: { version: "v2c", community: "public" } });
    const init = (fetch.mock.calls[0] as unknown[])[1] as RequestInit;
    expect(init.method).toBe("POST");
    expect(JSON.parse(String(init.body))).toEqual({ host: "192.0.2.1", snmp: { version: "v2c", community: "public" } });
    expect((init.headers as Record<string, string>)["Content-Type"]).toBe("application/json");
  });

  it("resolves 204 to undefined", async () => {
    mockFetch(new Response(null, { status: 204 }));
    await expect(deleteDevice("d1")).resolves.toBeUndefined();
  });

  it("turns the server's error body into an ApiError with its field", async () => {
    mockFetch(json(400, { code: "invalid_field", message: "host is not valid", field: "host" }));
    const err = await createDevice({ host: "bad host", snmp: { version: "v2c", community: "x" } }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 400, code: "invalid_field", message: "host is not valid", field: "host" });
  });

  it("names the status when the error body is not the API's", async () => {
    mockFetch(new Response("<html>Bad Gateway</html>", { status: 502, statusText: "Bad Gateway" }));
    await expect(listDevices()).rejects.toMatchObject({ status: 502, code: "http_502", message: "The server answered 502 Bad Gateway.", field: null });
  });

  it("reports an unreachable server as network_error", async () => {
    mockFetch(new TypeError("Failed to fetch"));
    await expect(listDevices()).rejects.toMatchObject({ status: 0, code: "network_error" });
  });

  it("lets a cancellation through as an abort, not an error to show", async () => {
    const controller = new AbortController();
    controller.abort();
    mockFetch(new DOMException("The operation was aborted.", "AbortError"));
    const err = await listDevices(controller.signal).catch((e: unknown) => e);
    expect(isAbort(err)).toBe(true);
  });
});

/** Stands in for the browser's EventSource: records instances, lets a test play the server. */
class FakeEventSource extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  static instances: FakeEventSource[] = [];
  readyState = FakeEventSource.CONNECTING;
  constructor(readonly url: string | URL) {
    super();
    FakeEventSource.instances.push(this);
  }
  close() {
    this.readyState = FakeEventSource.CLOSED;
  }
  open() {
    this.readyState = FakeEventSource.OPEN;
    this.dispatchEvent(new Event("open"));
  }
  emit(type: string, data: string) {
    this.dispatchEvent(new MessageEvent(type, { data }));
  }
  fail(readyState: number) {
    this.readyState = readyState;
    this.dispatchEvent(new Event("error"));
  }
}

describe("openEvents", () => {
  afterEach(() => {
    FakeEventSource.instances = [];
    vi.useRealTimers();
  });
  const setup = () => {
    vi.stubGlobal("EventSource", FakeEventSource);
    const controller = new AbortController();
    const samples: unknown[] = [];
    const statuses: unknown[] = [];
    const onOpen = vi.fn();
    const onError = vi.fn();
    openEvents(
      { sample: (e) => samples.push(e), status: (e) => statuses.push(e) },
      { deviceId: "d 1", signal: controller.signal, onOpen, onError },
    );
    return { controller, samples, statuses, onOpen, onError, source: () => FakeEventSource.instances.at(-1)! };
  };
  const sample = { deviceId: "d 1", timestamp: 1000, interfaces: [{ ifIndex: 1, inBps: 8, outBps: null }] };
  const status = { deviceId: "d 1", status: { state: "down", since: 1000, consecutiveFailures: 1 } };

  it("asks for one device's stream under /api/v1", () => {
    const { source } = setup();
    const url = new URL(String(source().url));
    expect(url.pathname).toBe("/api/v1/events");
    expect(url.searchParams.get("deviceId")).toBe("d 1");
    expect(url.searchParams.get("types")).toBe("sample,status");
  });

  it("asks only for the types it has handlers for, and hands log entries over", () => {
    vi.stubGlobal("EventSource", FakeEventSource);
    const controller = new AbortController();
    const logs: unknown[] = [];
    openEvents({ log: (e) => logs.push(e) }, { signal: controller.signal });
    const source = FakeEventSource.instances.at(-1)!;
    const url = new URL(String(source.url));
    expect(url.searchParams.get("types")).toBe("log");
    expect(url.searchParams.has("deviceId")).toBe(false);
    const entry = { id: 7, receivedAt: 1000.5, source: "syslog", severity: 3, message: "hello", truncated: false, fields: [] };
    source.emit("log", JSON.stringify(entry));
    source.emit("log", JSON.stringify({ ...entry, id: "7" }));
    expect(logs).toEqual([entry]);
    controller.abort();
  });

  it("hands each event's parsed data to the handler of its type", () => {
    const { source, samples, statuses, onOpen } = setup();
    source().open();
    source().emit("sample", JSON.stringify(sample));
    source().emit("status", JSON.stringify(status));
    expect(onOpen).toHaveBeenCalledOnce();
    expect(samples).toEqual([sample]);
    expect(statuses).toEqual([status]);
  });

  it("drops events that are not JSON or lack their fields", () => {
    const { source, samples, statuses } = setup();
    source().emit("sample", "not json");
    source().emit("sample", JSON.stringify({ deviceId: "d 1" }));
    source().emit("status", JSON.stringify({ deviceId: "d 1", status: null }));
    expect(samples).toEqual([]);
    expect(statuses).toEqual([]);
  });

  it("leaves a dropped connection to the browser, and retries itself when the browser gave up", () => {
    vi.useFakeTimers();
    const { source, onError, onOpen } = setup();
    source().fail(FakeEventSource.CONNECTING);
    expect(onError).toHaveBeenCalledTimes(1);
    vi.advanceTimersByTime(EVENTS_RETRY_MS);
    expect(FakeEventSource.instances).toHaveLength(1);

    source().fail(FakeEventSource.CLOSED);
    expect(onError).toHaveBeenCalledTimes(2);
    vi.advanceTimersByTime(EVENTS_RETRY_MS);
    expect(FakeEventSource.instances).toHaveLength(2);
    source().open();
    expect(onOpen).toHaveBeenCalledOnce();
  });

  it("closes the stream and cancels a pending retry when the signal fires", () => {
    vi.useFakeTimers();
    const { source, controller, onError } = setup();
    const first = source();
    first.fail(FakeEventSource.CLOSED);
    controller.abort();
    vi.advanceTimersByTime(EVENTS_RETRY_MS * 2);
    expect(FakeEventSource.instances).toHaveLength(1);
    expect(first.readyState).toBe(FakeEventSource.CLOSED);

    expect(onError).toHaveBeenCalledOnce();

    // An error the closing itself causes is not reported to a page that is gone.
    const again = setup();
    again.controller.abort();
    expect(again.source().readyState).toBe(FakeEventSource.CLOSED);
    again.source().fail(FakeEventSource.CLOSED);
    expect(again.onError).not.toHaveBeenCalled();
  });
});
