//! The only code that talks to the server: every request goes through `request()` here, typed from the
//! generated `schema.d.ts`. Views never call fetch() or build URLs themselves. Errors come out as
//! `ApiError` carrying the server's `{code, message, field}`, or a client-side code for network faults.
//! The live event stream (`openEvents`, an EventSource) is here too, for the same reason.
//! Access control lives here as well: requests carry the session cookie (same origin) and, when they
//! change something, the session's `X-CSRF-Token`; a 401 anywhere clears the session and calls the
//! handler the app registered (it shows the login page); a 403 names the person's role. The session
//! calls themselves are in `auth.ts`, built on `request()`.

import { forbiddenMessage } from "../lib/access";
import { SessionState } from "../lib/session-state";
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
export type JsonBody<Op, S extends number> = Op extends {
  responses: { [K in S]: { content: { "application/json": infer T } } };
}
  ? T
  : never;
type TrafficOp = paths["/api/v1/devices/{id}/interfaces/{ifIndex}/traffic"]["get"];
export type TrafficResponse = JsonBody<TrafficOp, 200>;
export type TrafficPoint = TrafficResponse["points"][number];
export type TrafficQuery = NonNullable<TrafficOp["parameters"]["query"]>;
export type StatusSummary = JsonBody<paths["/api/v1/status"]["get"], 200>;
export type LatencyResponse = JsonBody<paths["/api/v1/devices/{id}/latency"]["get"], 200>;
/** Who is signed in: a person (`via: session`), a token, or the local principal of `--auth off`. */
export type SessionView = JsonBody<paths["/api/v1/session"]["get"], 200>;
export type Role = SessionView["role"];
/** The roles a user may hold (every role but `poller`, which is for API tokens only). */
export type UserRole = Schemas["UserRole"];
export type SampleEvent = Schemas["SampleEvent"];
export type SampleRate = SampleEvent["interfaces"][number];
export type StatusEvent = Schemas["StatusEvent"];
export type FleetSummary = Schemas["FleetSummary"];
export type TopInterface = Schemas["TopInterface"];
export type DeviceName = Schemas["DeviceName"];
export type LogEntryView = Schemas["LogEntryView"];
export type LogPageView = Schemas["LogPageView"];
/** An incident that opened, changed or resolved (its `deliveries` are empty on the stream). */
export type IncidentEvent = Schemas["IncidentView"];
type LogsOp = paths["/api/v1/logs"]["get"];
/** Filters and paging of `GET /logs`; the device's own page takes the same, without `deviceId`. */
export type LogsQuery = NonNullable<LogsOp["parameters"]["query"]>;

export const API_BASE = "/api/v1";
/** A request that has not answered in this time fails with code `timeout` instead of hanging a view. */
const REQUEST_TIMEOUT_MS = 20_000;

/** The JSON request body of operation `Op`. */
export type JsonRequest<Op> = Op extends { requestBody?: { content: { "application/json": infer T } } } ? T : never;

/** An error the UI can show: from the server's body, or made here for network faults (status 0). */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** JSON path of the offending field, e.g. "snmp.community"; null when the error is not about one field. */
    readonly field: string | null = null,
    /** Seconds the server asked to wait (`Retry-After` of a 429); null otherwise. */
    readonly retryAfterSecs: number | null = null,
  ) {
    super(message);
  }
}

/** Who is signed in, with the CSRF token mutations carry; filled by `auth.ts` and cleared on any 401. */
export const session = new SessionState<SessionView>();

let unauthenticatedHandler: (() => void) | null = null;

/** What the app does when the server says the session is over (shows the login page). One handler. */
export function onUnauthenticated(handler: (() => void) | null): void {
  unauthenticatedHandler = handler;
}

/** True when the caller cancelled the request (the view was left): not an error to show. */
export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === "AbortError";
}

type Query = Record<string, string | number | null | undefined>;
export interface RequestOptions {
  query?: Query;
  body?: unknown;
  signal?: AbortSignal;
  /**
   * A 401 is this call's own answer, not the end of the session: logging in with a wrong password,
   * changing one's password with a wrong current one, asking whether anyone is signed in at start-up.
   */
  ownUnauthenticated?: boolean;
}

const SAFE_METHODS = new Set(["GET", "HEAD"]);

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const url = new URL(API_BASE + path, window.location.origin);
  for (const [key, value] of Object.entries(options.query ?? {})) {
    if (value != null) url.searchParams.set(key, String(value));
  }
  const timeout = AbortSignal.timeout(REQUEST_TIMEOUT_MS);
  const signal = options.signal ? AbortSignal.any([options.signal, timeout]) : timeout;
  const headers: Record<string, string> = { Accept: "application/json" };
  // The cookie alone does not authorise a change: the server also wants the session's token in a header,
  // which a page on another site cannot read nor set.
  const csrf = session.csrfToken;
  if (csrf && !SAFE_METHODS.has(method)) headers["X-CSRF-Token"] = csrf;
  const init: RequestInit = { method, signal, headers, credentials: "same-origin" };
  if (options.body !== undefined) {
    init.body = JSON.stringify(options.body);
    headers["Content-Type"] = "application/json";
  }

  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (err) {
    if (options.signal?.aborted) throw err;
    if (timeout.aborted) throw new ApiError(0, "timeout", "The server did not answer in time.");
    throw new ApiError(0, "network_error", "Cannot reach the Vigie server. Check that it is running.");
  }
  if (!response.ok) {
    const error = await errorFrom(response);
    if (response.status === 401 && !options.ownUnauthenticated) {
      session.clear();
      unauthenticatedHandler?.();
    }
    if (error.code === "forbidden" && path !== "/session") throw await forbiddenWithRole(error);
    throw error;
  }
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
  if (response.status === 429) {
    const wait = retryAfterSecs(response.headers.get("Retry-After"));
    const message = wait === null ? "Too many attempts. Wait a minute before trying again." : `Too many attempts. Wait ${wait} s before trying again.`;
    return new ApiError(429, isErrorBody(body) ? body.code : "too_many_requests", message, null, wait);
  }
  if (isErrorBody(body)) {
    let message = body.message;
    if (response.status === 403 && body.code === "csrf_failed") {
      message = "The server refused this change as possibly cross-site (its security token is missing or stale). Reload the page and try again.";
    }
    return new ApiError(response.status, body.code, message, body.field ?? null);
  }
  const reason = response.statusText ? ` ${response.statusText}` : "";
  return new ApiError(response.status, `http_${response.status}`, `The server answered ${response.status}${reason}.`);
}

/**
 * A 403 `forbidden` told as "Your role (viewer) cannot do this". The role may have changed since the
 * session was read (an admin demoted this user), so the session is read again first: the message names
 * the role the server applied, and the header drops the links that role cannot use.
 */
async function forbiddenWithRole(error: ApiError): Promise<ApiError> {
  if (session.current?.via === "session") {
    try {
      session.set(await request<SessionView>("GET", "/session"));
    } catch {
      // Keep the role known so far; a 401 here has already brought the login page.
    }
  }
  return new ApiError(error.status, error.code, forbiddenMessage(session.current?.role), error.field);
}

/** `Retry-After` in seconds (the server sends seconds; an HTTP date is not used by Vigie), or null. */
function retryAfterSecs(header: string | null): number | null {
  if (header === null || !/^\s*\d{1,9}\s*$/.test(header)) return null;
  return Math.max(1, Number(header));
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

/** One interface (a page that needs only its label). */
export function getInterface(deviceId: string, ifIndex: number, signal?: AbortSignal): Promise<InterfaceView> {
  return request("GET", `/devices/${enc(deviceId)}/interfaces/${ifIndex}`, { signal });
}

/** Every device's id and name, by name: a picker's list without the devices' state and traffic. */
export function listDeviceNames(signal?: AbortSignal): Promise<DeviceName[]> {
  return request("GET", "/fleet/names", { signal });
}

/** The overview header: counts per state, the busiest interfaces, open and recent incidents. */
export function getFleetSummary(signal?: AbortSignal): Promise<FleetSummary> {
  return request("GET", "/fleet/summary", { signal });
}

export function getTraffic(
  deviceId: string,
  ifIndex: number,
  query: TrafficQuery,
  signal?: AbortSignal,
): Promise<TrafficResponse> {
  return request("GET", `/devices/${enc(deviceId)}/interfaces/${ifIndex}/traffic`, { query, signal });
}

export function getLatency(deviceId: string, query: TrafficQuery, signal?: AbortSignal): Promise<LatencyResponse> {
  return request("GET", `/devices/${enc(deviceId)}/latency`, { query, signal });
}

export function getStatus(signal?: AbortSignal): Promise<StatusSummary> {
  return request("GET", "/status", { signal });
}

/** Syslog, traps and events of every device, newest first; pass `nextCursor` as `cursor` for older ones. */
export function listLogs(query: LogsQuery, signal?: AbortSignal): Promise<LogPageView> {
  return request("GET", "/logs", { query, signal });
}

export function listDeviceLogs(deviceId: string, query: Omit<LogsQuery, "deviceId">, signal?: AbortSignal): Promise<LogPageView> {
  return request("GET", `/devices/${enc(deviceId)}/logs`, { query, signal });
}

/** The `data` of each event type of `GET /api/v1/events`. */
export interface ServerEvents {
  sample: SampleEvent;
  status: StatusEvent;
  log: LogEntryView;
  alert: IncidentEvent;
}
export type ServerEventHandlers = { [K in keyof ServerEvents]?: (data: ServerEvents[K]) => void };

export interface EventStreamOptions {
  /** Only this device's events; every device's when absent. */
  deviceId?: string;
  /** Closes the stream for good: pass the page's signal. */
  signal: AbortSignal;
  /** Connected: the first time and after every reconnection (events may have been missed in between). */
  onOpen?: () => void;
  /** Disconnected; a reconnection is already on its way. May fire once per failed attempt. */
  onError?: () => void;
}

const EVENT_TYPES: readonly (keyof ServerEvents)[] = ["sample", "status", "log", "alert"];

/** Wait before reconnecting when the browser gave up on the stream (an HTTP error rather than a drop). */
export const EVENTS_RETRY_MS = 5_000;

/**
 * Subscribe to the server-sent events of `GET /api/v1/events` until `options.signal` fires. Only the
 * types that have a handler are asked for (`?types=status`), so a page never receives what it ignores
 * (a busy syslog feed is not sent to the overview). Each event's JSON `data` goes to the handler of its type; an event that is not JSON or lacks its ids is dropped (the
 * next one carries fresh state anyway). After a dropped connection the browser reconnects by itself;
 * when it gives up (the server answered an error), this retries every `EVENTS_RETRY_MS`, unless the
 * error was the end of the session (the stream is authenticated by the same cookie): then it stops and
 * the 401 handler shows the login page.
 */
export function openEvents(handlers: ServerEventHandlers, options: EventStreamOptions): void {
  const { signal } = options;
  const url = new URL(`${API_BASE}/events`, window.location.origin);
  if (options.deviceId !== undefined) url.searchParams.set("deviceId", options.deviceId);
  url.searchParams.set("types", EVENT_TYPES.filter((type) => handlers[type]).join(","));
  let source: EventSource | null = null;
  let retry: ReturnType<typeof setTimeout> | undefined;

  const connect = () => {
    if (signal.aborted) return;
    const current = new EventSource(url);
    source = current;
    current.addEventListener("open", () => options.onOpen?.());
    current.addEventListener("error", () => {
      if (signal.aborted) return;
      options.onError?.();
      if (current.readyState === EventSource.CLOSED) {
        clearTimeout(retry);
        // EventSource hides the status: ask whether the session is over (a 401 there shows the login
        // page and ends the stream) before trying again.
        void sessionStillValid().then((valid) => {
          if (valid && !signal.aborted) retry = setTimeout(connect, EVENTS_RETRY_MS);
        });
      }
    });
    if (handlers.sample) listen(current, "sample", isSampleEvent, handlers.sample);
    if (handlers.status) listen(current, "status", isStatusEvent, handlers.status);
    if (handlers.log) listen(current, "log", isLogEntry, handlers.log);
    if (handlers.alert) listen(current, "alert", isIncident, handlers.alert);
  };

  signal.addEventListener(
    "abort",
    () => {
      clearTimeout(retry);
      source?.close();
    },
    { once: true },
  );
  connect();
}

/** False when the server says nobody is signed in any more (the 401 handler has run); true otherwise. */
async function sessionStillValid(): Promise<boolean> {
  try {
    await request("GET", "/session");
    return true;
  } catch (err) {
    return !(err instanceof ApiError && err.status === 401);
  }
}

function listen<T>(source: EventSource, type: string, isValid: (data: unknown) => data is T, handle: (data: T) => void): void {
  source.addEventListener(type, (event) => {
    let data: unknown;
    try {
      data = JSON.parse((event as MessageEvent<string>).data);
    } catch {
      return;
    }
    if (isValid(data)) handle(data);
  });
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === "object" && value !== null;

/** Enough of the schema to use the event safely; the spec (and its generated types) says the rest. */
function isSampleEvent(data: unknown): data is SampleEvent {
  return isObject(data) && typeof data.deviceId === "string" && typeof data.timestamp === "number" && Array.isArray(data.interfaces);
}

function isStatusEvent(data: unknown): data is StatusEvent {
  return isObject(data) && typeof data.deviceId === "string" && isObject(data.status) && typeof data.status.state === "string";
}

function isLogEntry(data: unknown): data is LogEntryView {
  return (
    isObject(data) &&
    typeof data.id === "number" &&
    typeof data.receivedAt === "number" &&
    typeof data.severity === "number" &&
    typeof data.source === "string" &&
    typeof data.message === "string" &&
    Array.isArray(data.fields)
  );
}

function isIncident(data: unknown): data is IncidentEvent {
  return isObject(data) && typeof data.id === "string" && typeof data.deviceId === "string" && (data.state === "open" || data.state === "resolved") && Array.isArray(data.deliveries);
}
