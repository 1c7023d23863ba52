//! The access-control calls: the session (who is signed in, login, logout, one's own password), users and
//! API tokens. Built on `request()` of client.ts (still the only fetch); these keep `session` up to date.
//! Types come from the generated schema, reached through the operations' paths.

import type { paths } from "./schema";
import { ApiError, request, session, type JsonBody, type JsonRequest, type SessionView } from "./client";

type SessionPath = paths["/api/v1/session"];
type UsersPath = paths["/api/v1/users"];
type UserPath = paths["/api/v1/users/{username}"];
type TokensPath = paths["/api/v1/tokens"];

export type LoginRequest = JsonRequest<SessionPath["post"]>;
export type PasswordChange = JsonRequest<paths["/api/v1/session/password"]["post"]>;
export type UserView = JsonBody<UsersPath["get"], 200>[number];
export type NewUser = JsonRequest<UsersPath["post"]>;
export type UserPatch = JsonRequest<UserPath["patch"]>;
export type TokenView = JsonBody<TokensPath["get"], 200>[number];
export type NewToken = JsonRequest<TokensPath["post"]>;
export type NewTokenView = JsonBody<TokensPath["post"], 201>;

const enc = encodeURIComponent;

/**
 * Asks the server who is signed in and remembers it; null when nobody is (a 401 here is an answer, not
 * an expired session to react to).
 */
export async function loadSession(signal?: AbortSignal): Promise<SessionView | null> {
  try {
    const current = await request<SessionView>("GET", "/session", { signal, ownUnauthenticated: true });
    session.set(current);
    return current;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      session.clear();
      return null;
    }
    throw err;
  }
}

/** Signs in; a wrong name or password is a 401 `unauthenticated`, too many failures a 429 with a wait. */
export async function login(body: LoginRequest, signal?: AbortSignal): Promise<SessionView> {
  const current = await request<SessionView>("POST", "/session", { body, signal, ownUnauthenticated: true });
  session.set(current);
  return current;
}

/** Ends the session on the server (the cookie is cleared) and here; one already over is no error. */
export async function logout(): Promise<void> {
  try {
    await request<void>("DELETE", "/session", { ownUnauthenticated: true });
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) throw err;
  } finally {
    session.clear();
  }
}

/** Changes one's own password; a wrong current password is a 401 that leaves the session alone. */
export async function changePassword(body: PasswordChange, signal?: AbortSignal): Promise<void> {
  await request<void>("POST", "/session/password", { body, signal, ownUnauthenticated: true });
  // The server cleared `mustChangePassword`; take the session again rather than guessing its fields.
  await loadSession(signal);
}

export function listUsers(signal?: AbortSignal): Promise<UserView[]> {
  return request("GET", "/users", { signal });
}

export function createUser(body: NewUser, signal?: AbortSignal): Promise<UserView> {
  return request("POST", "/users", { body, signal });
}

/** A new role, or a new password (which the user must change at their next login). */
export function updateUser(username: string, patch: UserPatch, signal?: AbortSignal): Promise<UserView> {
  return request("PATCH", `/users/${enc(username)}`, { body: patch, signal });
}

/** Removes the user; their sessions end at once. */
export function deleteUser(username: string, signal?: AbortSignal): Promise<void> {
  return request("DELETE", `/users/${enc(username)}`, { signal });
}

export function listTokens(signal?: AbortSignal): Promise<TokenView[]> {
  return request("GET", "/tokens", { signal });
}

/** The answer carries the token itself: the only time the server shows it. */
export function createToken(body: NewToken, signal?: AbortSignal): Promise<NewTokenView> {
  return request("POST", "/tokens", { body, signal });
}

/** Revokes the token: it fails from the next request on. */
export function revokeToken(id: string, signal?: AbortSignal): Promise<void> {
  return request("DELETE", `/tokens/${enc(id)}`, { signal });
}
