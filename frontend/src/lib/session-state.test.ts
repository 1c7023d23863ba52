import { describe, expect, it, vi } from "vitest";
import { SessionState } from "./session-state";

const alice = { username: "alice", role: "admin", csrfToken: "c1" };

describe("SessionState", () => {
  it("is unknown and empty until the server has answered", () => {
    const state = new SessionState<typeof alice>();
    expect(state.known).toBe(false);
    expect(state.current).toBeNull();
    expect(state.csrfToken).toBeNull();
  });

  it("holds the session and its CSRF token", () => {
    const state = new SessionState<typeof alice>();
    state.set(alice);
    expect(state.known).toBe(true);
    expect(state.current).toBe(alice);
    expect(state.csrfToken).toBe("c1");
  });

  it("has no CSRF token for a session without one (a token or --auth off)", () => {
    const state = new SessionState<{ csrfToken: string | null }>();
    state.set({ csrfToken: null });
    expect(state.csrfToken).toBeNull();
  });

  it("knows nobody is signed in after clear, and forgets the token", () => {
    const state = new SessionState<typeof alice>();
    state.set(alice);
    state.clear();
    expect(state.known).toBe(true);
    expect(state.current).toBeNull();
    expect(state.csrfToken).toBeNull();
  });

  it("tells subscribers about changes only, until they unsubscribe", () => {
    const state = new SessionState<typeof alice>();
    const listener = vi.fn();
    const stop = state.subscribe(listener);
    state.set(alice);
    state.set(alice);
    state.clear();
    stop();
    state.set(alice);
    expect(listener.mock.calls).toEqual([[alice], [null]]);
  });
});
