import { describe, expect, it } from "vitest";
import { EXPIRY_CHOICES, expiresAtFor, isExpired } from "./token-expiry";

describe("expiresAtFor", () => {
  it("adds whole days to now, in Unix seconds", () => {
    expect(expiresAtFor("1d", 1000.7)).toBe(1000 + 86_400);
    expect(expiresAtFor("365d", 0)).toBe(365 * 86_400);
  });

  it("leaves the field out for never and for anything unknown", () => {
    expect(expiresAtFor("never", 1000)).toBeUndefined();
    expect(expiresAtFor("soon", 1000)).toBeUndefined();
  });

  it("understands every choice offered", () => {
    for (const [value] of EXPIRY_CHOICES) {
      expect(value === "never" || expiresAtFor(value, 0)! > 0).toBe(true);
    }
  });
});

describe("isExpired", () => {
  it("is true from the expiry second on, never for a token without expiry", () => {
    expect(isExpired(100, 99)).toBe(false);
    expect(isExpired(100, 100)).toBe(true);
    expect(isExpired(null, 1e12)).toBe(false);
  });
});
