// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from "vitest";
import { ApiError, createDevice, deleteDevice, getTraffic, isAbort, listDevices } from "./client";

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
