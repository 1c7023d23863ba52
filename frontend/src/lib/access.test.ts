import { describe, expect, it } from "vitest";
import { can, forbiddenMessage, guardRoute, routeAction, safeNext } from "./access";
import { matchRoute } from "./route";

describe("can", () => {
  it("gives each role its actions and nothing more", () => {
    expect(["editDevices", "manageUsers", "manageTokens"].map((a) => can("admin", a as never))).toEqual([true, true, true]);
    expect(["editDevices", "manageUsers", "manageTokens"].map((a) => can("operator", a as never))).toEqual([true, false, false]);
    expect(["editDevices", "manageUsers", "manageTokens"].map((a) => can("viewer", a as never))).toEqual([false, false, false]);
  });

  it("lets operators and admins manage alerts, not viewers (who still read every alert page)", () => {
    expect(["admin", "operator", "viewer"].map((r) => can(r as never, "manageAlerts"))).toEqual([true, true, false]);
    expect(routeAction(matchRoute("/alerts/rules"))).toBeNull();
  });

  it("allows nothing without a session", () => {
    expect(can(null, "editDevices")).toBe(false);
    expect(can(undefined, "manageUsers")).toBe(false);
  });
});

describe("forbiddenMessage", () => {
  it("names the role", () => {
    expect(forbiddenMessage("viewer")).toBe("Your role (viewer) cannot do this. Ask an admin if you need it.");
    expect(forbiddenMessage(null)).toBe("Your role cannot do this. Ask an admin if you need it.");
  });
});

describe("guardRoute", () => {
  const admin = { role: "admin" as const, mustChangePassword: false };
  const viewer = { role: "viewer" as const, mustChangePassword: false };
  const fresh = { role: "admin" as const, mustChangePassword: true };

  it("sends a visitor without a session to the login page, keeping where they were going", () => {
    expect(guardRoute(matchRoute("/devices/d1"), null, "/devices/d1?range=1h")).toEqual({ kind: "redirect", to: "/login?next=%2Fdevices%2Fd1%3Frange%3D1h" });
    expect(guardRoute(matchRoute("/"), null, "/")).toEqual({ kind: "redirect", to: "/login" });
  });

  it("always shows the login page", () => {
    expect(guardRoute(matchRoute("/login"), null, "/login")).toEqual({ kind: "show" });
    expect(guardRoute(matchRoute("/login"), fresh, "/login")).toEqual({ kind: "show" });
  });

  it("forces the password change before any other page", () => {
    expect(guardRoute(matchRoute("/users"), fresh, "/users")).toEqual({ kind: "redirect", to: "/account/password?next=%2Fusers" });
    expect(guardRoute(matchRoute("/account/password"), fresh, "/account/password")).toEqual({ kind: "show" });
  });

  it("refuses pages the role cannot use, naming the role", () => {
    expect(guardRoute(matchRoute("/devices/new"), viewer, "/devices/new")).toEqual({ kind: "forbidden", message: forbiddenMessage("viewer") });
    expect(guardRoute(matchRoute("/devices/d1/edit"), viewer, "/devices/d1/edit").kind).toBe("forbidden");
    expect(guardRoute(matchRoute("/tokens"), { role: "operator", mustChangePassword: false }, "/tokens").kind).toBe("forbidden");
    expect(guardRoute(matchRoute("/devices/new"), { role: "operator", mustChangePassword: false }, "/devices/new").kind).toBe("show");
    expect(guardRoute(matchRoute("/users"), admin, "/users").kind).toBe("show");
  });

  it("lets every role read", () => {
    for (const path of ["/", "/logs", "/devices/d1", "/devices/d1/logs", "/devices/d1/interfaces/3", "/account/password"]) {
      expect(routeAction(matchRoute(path))).toBeNull();
      expect(guardRoute(matchRoute(path), viewer, path)).toEqual({ kind: "show" });
    }
  });
});

describe("safeNext", () => {
  it("keeps a path of the app with its query and hash", () => {
    expect(safeNext("/devices/d1?range=1h#x")).toBe("/devices/d1?range=1h#x");
    expect(safeNext("/logs")).toBe("/logs");
  });

  it.each([null, "", "devices", "//evil.example/x", "/\\evil.example", "https://evil.example/", "javascript:alert(1)", "/\n/evil.example", "/login", "/login?next=%2F", "/account/password"])(
    "gives the overview for %j",
    (raw) => {
      expect(safeNext(raw)).toBe("/");
    },
  );
});
