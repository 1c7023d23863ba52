// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadSession, login, logout } from "./auth";
import { ApiError, createDevice, deleteDevice, EVENTS_RETRY_MS, getTraffic, isAbort, listDeviceLogs, listDevices, onUnauthenticated, openEvents, session } from "./client";

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

afterEach(() => {
  vi.unstubAllGlobals();
  onUnauthenticated(null);
  session.clear();
});

const sessionView = (role: "admin" | "operator" | "viewer", csrfToken: string | null = "csrf-1") => ({
  username: "alice",
  role,
  via: "session" as const,
  csrfToken,
  mustChangePassword: false,
  expiresAt: null,
});
const headersOf = (fetch: ReturnType<typeof mockFetch>, call = 0) =>
  ((fetch.mock.calls[call] as unknown[])[1] as RequestInit).headers as Record<string, string>;

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

describe("client with access control", () => {
  it("sends the session's CSRF token on changes, not on reads, and the cookie of this origin", async () => {
    session.set(sessionView("operator"));
    let fetch = mockFetch(new Response(null, { status: 204 }));
    await deleteDevice("d1");
    expect(headersOf(fetch)["X-CSRF-Token"]).toBe("csrf-1");
    expect(((fetch.mock.calls[0] as unknown[])[1] as RequestInit).credentials).toBe("same-origin");
    fetch = mockFetch(json(200, []));
    await listDevices();
    expect(headersOf(fetch)["X-CSRF-Token"]).toBeUndefined();
  });

  it("sends no CSRF header without a session token", async () => {
    session.set({ ...sessionView("admin", null), via: "local" });
    const fetch = mockFetch(new Response(null, { status: 204 }));
    await deleteDevice("d1");
    expect(headersOf(fetch)["X-CSRF-Token"]).toBeUndefined();
  });

  it("on a 401 forgets the session and calls the handler once, then throws", async () => {
    session.set(sessionView("admin"));
    const handler = vi.fn();
    onUnauthenticated(handler);
    mockFetch(json(401, { code: "unauthenticated", message: "Log in first." }));
    await expect(listDevices()).rejects.toMatchObject({ status: 401, code: "unauthenticated" });
    expect(handler).toHaveBeenCalledOnce();
    expect(session.current).toBeNull();
    expect(session.csrfToken).toBeNull();
  });

  it("treats a wrong password at login as the login's answer, not an expired session", async () => {
    const handler = vi.fn();
    onUnauthenticated(handler);
    mockFetch(json(401, { code: "unauthenticated", message: "Wrong username or password." }));
    await expect(login({ username: "alice", password: "wrong-password" })).rejects.toMatchObject({ status: 401 });
    expect(handler).not.toHaveBeenCalled();
  });

  it("remembers the session of a login and of the start-up check; nobody on a 401 there", async () => {
    mockFetch(json(200, sessionView("viewer", "c2")));
    await login({ username: "alice", password: "right-password" });
    expect(session.current?.role).toBe("viewer");
    expect(session.csrfToken).toBe("c2");
    const handler = vi.fn();
    onUnauthenticated(handler);
    mockFetch(json(401, { code: "unauthenticated", message: "Log in first." }));
    await expect(loadSession()).resolves.toBeNull();
    expect(session.known).toBe(true);
    expect(session.current).toBeNull();
    expect(handler).not.toHaveBeenCalled();
  });

  it("logs out quietly when the session had already ended", async () => {
    session.set(sessionView("admin"));
    const handler = vi.fn();
    onUnauthenticated(handler);
    mockFetch(json(401, { code: "unauthenticated", message: "Log in first." }));
    await expect(logout()).resolves.toBeUndefined();
    expect(session.current).toBeNull();
    expect(handler).not.toHaveBeenCalled();
  });

  it("names the role on a 403 forbidden instead of failing", async () => {
    session.set({ ...sessionView("viewer"), via: "local" });
    mockFetch(json(403, { code: "forbidden", message: "this needs the operator role" }));
    await expect(deleteDevice("d1")).rejects.toMatchObject({ status: 403, code: "forbidden", message: "Your role (viewer) cannot do this. Ask an admin if you need it." });
  });

  it("reads the session again on a 403, so a role changed since names itself and updates the header", async () => {
    session.set(sessionView("operator"));
    const fetch = vi.fn(async (url: URL) =>
      url.pathname === "/api/v1/session" ? json(200, sessionView("viewer")) : json(403, { code: "forbidden", message: "this needs the operator role" }),
    );
    vi.stubGlobal("fetch", fetch);
    await expect(deleteDevice("d1")).rejects.toMatchObject({ status: 403, code: "forbidden", message: "Your role (viewer) cannot do this. Ask an admin if you need it." });
    expect(session.current?.role).toBe("viewer");
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it("explains a CSRF refusal", async () => {
    session.set(sessionView("admin"));
    mockFetch(json(403, { code: "csrf_failed", message: "csrf" }));
    const err = (await deleteDevice("d1").catch((e: unknown) => e)) as ApiError;
    expect(err.code).toBe("csrf_failed");
    expect(err.message).toMatch(/Reload the page/);
  });

  it("says how long to wait after too many attempts", async () => {
    mockFetch(new Response(JSON.stringify({ code: "too_many_requests", message: "Too many." }), { status: 429, headers: { "Retry-After": "42" } }));
    await expect(login({ username: "a", password: "b" })).rejects.toMatchObject({ status: 429, code: "too_many_requests", retryAfterSecs: 42, message: "Too many attempts. Wait 42 s before trying again." });
    mockFetch(new Response("", { status: 429 }));
    await expect(login({ username: "a", password: "b" })).rejects.toMatchObject({ retryAfterSecs: null, message: "Too many attempts. Wait a minute before trying again." });
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

  it("leaves a dropped connection to the browser, and retries itself when the browser gave up", async () => {
    vi.useFakeTimers();
    const fetch = mockFetch(json(200, sessionView("viewer")));
    const { source, onError, onOpen } = setup();
    source().fail(FakeEventSource.CONNECTING);
    expect(onError).toHaveBeenCalledTimes(1);
    await vi.advanceTimersByTimeAsync(EVENTS_RETRY_MS);
    expect(FakeEventSource.instances).toHaveLength(1);
    expect(fetch).not.toHaveBeenCalled();

    source().fail(FakeEventSource.CLOSED);
    expect(onError).toHaveBeenCalledTimes(2);
    await vi.advanceTimersByTimeAsync(EVENTS_RETRY_MS);
    // It asked whether the session still holds before reconnecting.
    expect(new URL(String((fetch.mock.calls[0] as unknown[])[0])).pathname).toBe("/api/v1/session");
    expect(FakeEventSource.instances).toHaveLength(2);
    source().open();
    expect(onOpen).toHaveBeenCalledOnce();
  });

  it("stops and shows the login when the stream failed because the session is over", async () => {
    vi.useFakeTimers();
    mockFetch(json(401, { code: "unauthenticated", message: "Log in first." }));
    const handler = vi.fn();
    onUnauthenticated(handler);
    session.set(sessionView("viewer"));
    const { source } = setup();
    source().fail(FakeEventSource.CLOSED);
    await vi.advanceTimersByTimeAsync(EVENTS_RETRY_MS * 3);
    expect(FakeEventSource.instances).toHaveLength(1);
    expect(handler).toHaveBeenCalledOnce();
    expect(session.current).toBeNull();
  });

  it("keeps retrying when the server cannot be reached to ask", async () => {
    vi.useFakeTimers();
    mockFetch(new TypeError("Failed to fetch"));
    const { source } = setup();
    source().fail(FakeEventSource.CLOSED);
    await vi.advanceTimersByTimeAsync(EVENTS_RETRY_MS);
    expect(FakeEventSource.instances).toHaveLength(2);
  });

  it("closes the stream and cancels a pending retry when the signal fires", async () => {
    vi.useFakeTimers();
    mockFetch(json(200, sessionView("viewer")));
    const { source, controller, onError } = setup();
    const first = source();
    first.fail(FakeEventSource.CLOSED);
    controller.abort();
    await vi.advanceTimersByTimeAsync(EVENTS_RETRY_MS * 2);
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
