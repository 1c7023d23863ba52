//! Who is signed in, as the UI knows it: unknown until the server has been asked, then a session or
//! nobody. Holds the CSRF token that mutations must carry, and tells subscribers (the header's user menu
//! and navigation) when it changes. Pure: the client (api/client.ts) fills it from the server's answers.

export type Known<S> = { known: false } | { known: true; session: S | null };

export class SessionState<S extends { csrfToken?: string | null }> {
  private state: Known<S> = { known: false };
  private readonly listeners = new Set<(session: S | null) => void>();

  /** The session, or null when nobody is signed in or the server has not been asked yet. */
  get current(): S | null {
    return this.state.known ? this.state.session : null;
  }

  /** Whether the server has said who (if anyone) is signed in. */
  get known(): boolean {
    return this.state.known;
  }

  /** The header value for `X-CSRF-Token`: only a cookie session has one (a token or `--auth off` need none). */
  get csrfToken(): string | null {
    return this.current?.csrfToken ?? null;
  }

  set(session: S | null): void {
    const before = this.current;
    this.state = { known: true, session };
    if (before !== session) for (const listener of [...this.listeners]) listener(session);
  }

  /** Signed out, or the server said the session is over (a 401). */
  clear(): void {
    this.set(null);
  }

  /** Calls `listener` on every change; returns the function that stops it. */
  subscribe(listener: (session: S | null) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
