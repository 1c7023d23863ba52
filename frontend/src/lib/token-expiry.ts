//! The expiry choices of a new API token and what the tokens table says about one. The API takes
//! `expiresAt` in Unix seconds, or nothing for a token that never expires. Pure.

export const EXPIRY_CHOICES = [
  ["never", "Never"],
  ["1d", "In 1 day"],
  ["7d", "In 7 days"],
  ["30d", "In 30 days"],
  ["90d", "In 90 days"],
  ["365d", "In 1 year"],
] as const;

export type ExpiryChoice = (typeof EXPIRY_CHOICES)[number][0];

const DAY_SECS = 86_400;

/** `expiresAt` for a choice made at `nowSecs`; undefined for "never" (the field is left out). */
export function expiresAtFor(choice: string, nowSecs: number): number | undefined {
  const days = /^(\d+)d$/.exec(choice);
  return days ? Math.floor(nowSecs) + Number(days[1]) * DAY_SECS : undefined;
}

/** Whether a token with this `expiresAt` has expired at `nowSecs` (it then fails like a revoked one). */
export function isExpired(expiresAt: number | null | undefined, nowSecs: number): boolean {
  return expiresAt != null && expiresAt <= nowSecs;
}
