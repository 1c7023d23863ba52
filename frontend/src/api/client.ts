//! The only code that talks to the server: every request goes through `request()` here, typed from the
//! generated `schema.d.ts`. Views never call fetch() or build URLs themselves. Errors come out as
//! `ApiError` carrying the server's `{code, message, field}`, or a client-side code for network faults.

import type { components, paths } from "./schema";

type Schemas = components["schemas"];
export type DeviceView = Schemas["DeviceView"];
export type NewDevice = Schemas["NewDevice"];
export type DevicePatch = Schemas["DevicePatch"];
export type InterfaceView = Schemas["InterfaceView"];
export type ApiErrorBody = Schemas["ApiErrorBody"];
export type DeviceState = DeviceView["status"]["state"];
export type SystemInfo = NonNullable<DeviceView["system"]>;

/** The JSON body of response `S` of operation `Op`, so unnamed schemas are reached through their path. */
type JsonBody<Op, S extends number> = Op extends {
  responses: { [K in S]: { content: { "application/json": infer T } } };
}
  ? T
  : never;
type TrafficOp = paths["/api/v1/devices/{id}/interfaces/{ifIndex}/traffic"]["get"];
export type TrafficResponse = JsonBody<TrafficOp, 200>;
export type TrafficPoint = TrafficResponse["points"][number];
export type TrafficQuery = NonNullable<TrafficOp["parameters"]["query"]>;
export type StatusSummary = JsonBody<paths["/api/v1/status"]["get"], 200>;

export const API_BASE = "/api/v1";
/** A request that has not answered in this time fails with code `timeout` instead of hanging a view. */
const REQUEST_TIMEOUT_MS = 20_000;

/** An error the UI can show: from the server's body, or made here for network faults (status 0). */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** JSON path of the offending field, e.g. "snmp.community"; null when the error is not about one field. */
    readonly field: string | null = null,
  ) {
    super(message);
  }
}

/** True when the caller cancelled the request (the view was left): not an error to show. */
export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === "AbortError";
}

type Query = Record<string, string | number | null | undefined>;
interface RequestOptions {
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
}

async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const url = new URL(API_BASE + path, window.location.origin);
  for (const [key, value] of Object.entries(options.query ?? {})) {
    if (value != null) url.searchParams.set(key, String(value));
  }
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const init: RequestInit = { method, signal, headers: { Accept: "application/json" } };
  if (options.body !== undefined) {
    init.body = JSON.stringify(options.body);
    init.headers = { ...init.headers, "Content-Type": "application/json" };
  }

  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (err) {
    if (options.signal?.aborted) throw err;
    if (timeout.aborted) throw new ApiError(0, "timeout", "The server did not answer in time.");
    throw new ApiError(0, "network_error", "Cannot reach the Vigie server. Check that it is running.");
  }
  if (!response.ok) throw await errorFrom(response);
  if (response.status === 204) return undefined as T;
  try {
    return (await response.json()) as T;
  } catch {
    throw new ApiError(response.status, "bad_response", "The server sent a response that is not valid JSON.");
  }
}

/** The server's `ApiErrorBody` when the body is one; otherwise a generic error naming the status. */
async function errorFrom(response: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await response.json();
  } catch {
    // Not JSON: a proxy error page, an empty body. Fall through to the generic message.
  }
  if (isErrorBody(body)) {
    return new ApiError(response.status, body.code, body.message, body.field ?? null);
  }
  const reason = response.statusText ? ` ${response.statusText}` : "";
  return new ApiError(response.status, `http_${response.status}`, `The server answered ${response.status}${reason}.`);
}

function isErrorBody(body: unknown): body is ApiErrorBody {
  if (typeof body !== "object" || body === null) return false;
  const b = body as Record<string, unknown>;
  return typeof b.code === "string" && typeof b.message === "string";
}

const enc = encodeURIComponent;

export function listDevices(signal?: AbortSignal): Promise<DeviceView[]> {
  return request("GET", "/devices", { signal });
}

export function getDevice(id: string, signal?: AbortSignal): Promise<DeviceView> {
  return request("GET", `/devices/${enc(id)}`, { signal });
}

export function createDevice(body: NewDevice, signal?: AbortSignal): Promise<DeviceView> {
  return request("POST", "/devices", { body, signal });
}

export function updateDevice(id: string, patch: DevicePatch, signal?: AbortSignal): Promise<DeviceView> {
  return request("PATCH", `/devices/${enc(id)}`, { body: patch, signal });
}

/** Removes the device and its history (samples, rollups) on the server. */
export function deleteDevice(id: string, signal?: AbortSignal): Promise<void> {
  return request("DELETE", `/devices/${enc(id)}`, { signal });
}

export function listInterfaces(deviceId: string, signal?: AbortSignal): Promise<InterfaceView[]> {
  return request("GET", `/devices/${enc(deviceId)}/interfaces`, { signal });
}

export function getTraffic(
  deviceId: string,
  ifIndex: number,
  query: TrafficQuery,
  signal?: AbortSignal,
): Promise<TrafficResponse> {
  return request("GET", `/devices/${enc(deviceId)}/interfaces/${ifIndex}/traffic`, { query, signal });
}

export function getStatus(signal?: AbortSignal): Promise<StatusSummary> {
  return request("GET", "/status", { signal });
}

/** Event types of the planned server-sent event stream `GET /api/v1/events`. */
export type ServerEventType = "sample" | "status";
export type ServerEventHandlers = Partial<Record<ServerEventType, (data: unknown) => void>>;

/**
 * Subscribe to the planned `GET /api/v1/events` stream (not served yet: the graph's live mode polls
 * until it is). Each event's JSON `data` goes to the handler of its type; the browser reconnects by
 * itself. Payloads are `unknown` until the server's spec names their schemas. Returns the unsubscribe.
 */
export function openEvents(handlers: ServerEventHandlers, onError?: (event: Event) => void): () => void {
  const source = new EventSource(`${API_BASE}/events`);
  for (const [type, handle] of Object.entries(handlers)) {
    source.addEventListener(type, (event) => {
      try {
        handle(JSON.parse((event as MessageEvent<string>).data));
      } catch {
        // A malformed event is dropped; the next one carries fresh state anyway.
      }
    });
  }
  if (onError) source.addEventListener("error", onError);
  return () => source.close();
}
