import { describe, expect, it } from "vitest";
import { passwordProblem, validatePasswordChange } from "./password-input";

describe("passwordProblem", () => {
  it("accepts 10 to 1024 characters, counted as characters", () => {
    expect(passwordProblem("0123456789")).toBeNull();
    expect(passwordProblem("é".repeat(10))).toBeNull();
    expect(passwordProblem("x".repeat(1024))).toBeNull();
  });

  it("says what is wrong", () => {
    expect(passwordProblem("")).toBe("Enter a password.");
    expect(passwordProblem("short")).toBe("Use at least 10 characters (5 now).");
    expect(passwordProblem("x".repeat(1025))).toBe("Use at most 1024 characters.");
  });
});

describe("validatePasswordChange", () => {
  const good = { current: "initial-pass-1", next: "a new secret pass", confirm: "a new secret pass" };

  it("accepts a valid change", () => {
    expect(validatePasswordChange(good)).toEqual({});
  });

  it("needs the current password, a new one that differs, typed twice alike", () => {
    expect(validatePasswordChange({ ...good, current: "" })).toEqual({ current: "Enter your current password." });
    expect(validatePasswordChange({ ...good, next: good.current, confirm: good.current })).toEqual({ next: "Choose a password different from the current one." });
    expect(validatePasswordChange({ ...good, confirm: "a new secret pasS" })).toEqual({ confirm: "The two new passwords differ." });
    expect(validatePasswordChange({ ...good, next: "short", confirm: "other" })).toEqual({ next: "Use at least 10 characters (5 now)." });
  });
});
