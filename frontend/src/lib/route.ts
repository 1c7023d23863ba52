//! The app's URLs: which page a path shows, and the builders every link uses, so paths are written once.
//! Pure: the router (src/router.ts) does the history API and the rendering.

export type Route =
  | { name: "overview" }
  | { name: "newDevice" }
  /** Add many devices from a CSV or JSON file (`views/device-import.ts`). */
  | { name: "importDevices" }
  | { name: "logs" }
  /** Sign in; `?next=` is where to go afterwards. Shown without a session. */
  | { name: "login" }
  /** Change one's own password; forced after a first login with an initial or reset password. */
  | { name: "changePassword" }
  | { name: "users" }
  | { name: "tokens" }
  | { name: "alerts" }
  | { name: "alertRules" }
  | { name: "alertChannels" }
  | { name: "maintenance" }
  /** The device page; `tab` is the section below its cards, and only the path tells it. */
  | { name: "device"; id: string; tab: DeviceTab }
  | { name: "editDevice"; id: string }
  | { name: "interface"; id: string; ifIndex: number }
  | { name: "notFound"; path: string };

export type DeviceTab = "interfaces" | "logs";

export function matchRoute(pathname: string): Route {
  const segments = pathname.split("/").filter(Boolean).map(decodeSegment);
  if (segments.some((s) => s === null)) return { name: "notFound", path: pathname };
  const s = segments as string[];
  if (s.length === 0) return { name: "overview" };
  if (s.length === 1 && s[0] === "logs") return { name: "logs" };
  if (s.length === 1 && s[0] === "login") return { name: "login" };
  if (s.length === 1 && s[0] === "users") return { name: "users" };
  if (s.length === 1 && s[0] === "tokens") return { name: "tokens" };
  if (s.length === 1 && s[0] === "alerts") return { name: "alerts" };
  if (s.length === 2 && s[0] === "alerts" && s[1] === "rules") return { name: "alertRules" };
  if (s.length === 2 && s[0] === "alerts" && s[1] === "channels") return { name: "alertChannels" };
  if (s.length === 2 && s[0] === "alerts" && s[1] === "maintenance") return { name: "maintenance" };
  if (s.length === 2 && s[0] === "account" && s[1] === "password") return { name: "changePassword" };
  if (s[0] !== "devices" || s.length < 2) return { name: "notFound", path: pathname };
  const id = s[1]!;
  if (s.length === 2 && id === "import") return { name: "importDevices" };
  if (s.length === 2) return id === "new" ? { name: "newDevice" } : { name: "device", id, tab: "interfaces" };
  if (s.length === 3 && s[2] === "edit") return { name: "editDevice", id };
  if (s.length === 3 && s[2] === "logs" && id !== "new") return { name: "device", id, tab: "logs" };
  if (s.length === 4 && s[2] === "interfaces" && /^\d{1,10}$/.test(s[3]!)) {
    return { name: "interface", id, ifIndex: Number(s[3]) };
  }
  return { name: "notFound", path: pathname };
}

function decodeSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/**
 * Two URLs with the same key show the same page instance; only their query string may differ, or the tab
 * of a device page (switching tabs keeps the page and its data).
 */
export function routeKey(route: Route): string {
  switch (route.name) {
    case "overview":
    case "newDevice":
    case "importDevices":
    case "logs":
    case "login":
    case "changePassword":
    case "users":
    case "tokens":
    case "alerts":
    case "alertRules":
    case "alertChannels":
    case "maintenance":
      return route.name;
    case "device":
    case "editDevice":
      return `${route.name}:${route.id}`;
    case "interface":
      return `interface:${route.id}:${route.ifIndex}`;
    case "notFound":
      return `notFound:${route.path}`;
  }
}

const enc = encodeURIComponent;

/** Builders for every link in the app. */
export const href = {
  overview: (): string => "/",
  newDevice: (): string => "/devices/new",
  importDevices: (): string => "/devices/import",
  logs: (query = ""): string => `/logs${query ? `?${query}` : ""}`,
  /** The login page; after login the app returns to `next` (a path of this app, see lib/access.ts). */
  login: (next = "/"): string => (next === "/" ? "/login" : `/login?next=${enc(next)}`),
  changePassword: (next = "/"): string => (next === "/" ? "/account/password" : `/account/password?next=${enc(next)}`),
  users: (): string => "/users",
  tokens: (): string => "/tokens",
  alerts: (query = ""): string => `/alerts${query ? `?${query}` : ""}`,
  alertRules: (): string => "/alerts/rules",
  alertChannels: (): string => "/alerts/channels",
  maintenance: (): string => "/alerts/maintenance",
  device: (id: string, query = ""): string => `/devices/${enc(id)}${query ? `?${query}` : ""}`,
  deviceLogs: (id: string, query = ""): string => `/devices/${enc(id)}/logs${query ? `?${query}` : ""}`,
  editDevice: (id: string): string => `/devices/${enc(id)}/edit`,
  interface: (id: string, ifIndex: number, query = ""): string =>
    `/devices/${enc(id)}/interfaces/${ifIndex}${query ? `?${query}` : ""}`,
};

/** A copy of `query` with `changes` applied: null or "" removes a parameter. */
export function withParams(query: URLSearchParams, changes: Record<string, string | null>): URLSearchParams {
  const next = new URLSearchParams(query);
  for (const [key, value] of Object.entries(changes)) {
    if (value === null || value === "") next.delete(key);
    else next.set(key, value);
  }
  return next;
}
