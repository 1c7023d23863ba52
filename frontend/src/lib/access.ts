//! Who may do what in the UI, and where a person is sent: the actions each role allows (the server's rules,
//! mirrored so controls a role cannot use are not drawn), the route guard the router asks before it shows
//! a page (login first, then the forced password change, then the role), and the `?next=` return path
//! after login. Pure: the server still checks every request; this only spares people dead buttons.

import type { Role, UserRole } from "../api/client";
import { href, type Route } from "./route";

/** What a page or a control needs; every GET is open to every role, so reading needs no action. */
export type Action = "editDevices" | "manageUsers" | "manageTokens" | "manageAlerts";

const ALLOWED: Record<Role, readonly Action[]> = {
  admin: ["editDevices", "manageUsers", "manageTokens", "manageAlerts"],
  operator: ["editDevices", "manageAlerts"],
  viewer: [],
  poller: [],
};

/** The roles a user may hold. */
export const ROLES: readonly UserRole[] = ["viewer", "operator", "admin"];
/** The roles an API token may hold: a user's, or `poller` (a sharded poller's, tokens only). */
export const TOKEN_ROLES: readonly Role[] = [...ROLES, "poller"];

/** What each role may do, in one sentence, for the users and tokens pages. */
export const ROLE_SUMMARY: Record<Role, string> = {
  viewer: "Viewer: sees devices, traffic, logs and status; changes nothing.",
  operator: "Operator: a viewer who also adds, edits and removes devices, and manages alerts.",
  admin: "Admin: everything, including users and API tokens.",
  poller: "Poller: for vigie serve --role poller only; reads its shard's devices with their credentials, nothing else.",
};

export function can(role: Role | null | undefined, action: Action): boolean {
  return role != null && ALLOWED[role].includes(action);
}

/** The sentence shown for a 403 `forbidden`: names the role, so the person knows whom to ask. */
export function forbiddenMessage(role: Role | null | undefined): string {
  return role ? `Your role (${role}) cannot do this. Ask an admin if you need it.` : "Your role cannot do this. Ask an admin if you need it.";
}

/** The action a page needs, or null when every signed-in role may open it. */
export function routeAction(route: Route): Action | null {
  switch (route.name) {
    case "newDevice":
    case "importDevices":
    case "editDevice":
      return "editDevices";
    case "users":
      return "manageUsers";
    case "tokens":
      return "manageTokens";
    default:
      return null;
  }
}

/** The part of the session the guard needs. */
export interface Principal {
  role: Role;
  mustChangePassword: boolean;
}

export type Guard = { kind: "show" } | { kind: "redirect"; to: string } | { kind: "forbidden"; message: string };

/**
 * Whether `route` may be shown to `principal` (null: nobody is signed in); `here` is the path and query of
 * the page asked for, kept as the place to return to. The login page is always shown (it sends a signed-in
 * person on by itself); everything else needs a session, then a password that is not the initial one.
 */
export function guardRoute(route: Route, principal: Principal | null, here: string): Guard {
  if (route.name === "login") return { kind: "show" };
  if (!principal) return { kind: "redirect", to: href.login(here) };
  if (principal.mustChangePassword && route.name !== "changePassword") return { kind: "redirect", to: href.changePassword(here) };
  const action = routeAction(route);
  if (action && !can(principal.role, action)) return { kind: "forbidden", message: forbiddenMessage(principal.role) };
  return { kind: "show" };
}

/** Pages that must not be returned to after login: they would loop or make no sense. */
const NO_RETURN = new Set(["/login", "/account/password"]);

/**
 * The place to go after login from the raw `?next=` value: only a path of this app (one leading slash,
 * no scheme, no `//host`, no backslash that browsers read as a slash), never the login page itself;
 * anything else gives the overview, so a crafted link cannot send someone to another site.
 */
export function safeNext(raw: string | null | undefined): string {
  if (!raw || !raw.startsWith("/") || raw.startsWith("//") || raw.includes("\\")) return "/";
  // Control characters (a newline, a tab) are dropped by URL parsers and could turn "/\n/evil" into "//evil".
  if (/[\u0000-\u001f\u007f]/.test(raw)) return "/";
  let url: URL;
  try {
    url = new URL(raw, "http://vigie.invalid");
  } catch {
    return "/";
  }
  if (url.origin !== "http://vigie.invalid" || NO_RETURN.has(url.pathname)) return "/";
  return url.pathname + url.search + url.hash;
}
