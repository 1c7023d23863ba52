import { describe, expect, it } from "vitest";
import { href, matchRoute, routeKey, withParams } from "./route";

describe("matchRoute", () => {
  it.each([
    ["/", { name: "overview" }],
    ["", { name: "overview" }],
    ["/devices/new", { name: "newDevice" }],
    ["/devices/abc", { name: "device", id: "abc", tab: "interfaces" }],
    ["/devices/abc/", { name: "device", id: "abc", tab: "interfaces" }],
    ["/devices/abc/logs", { name: "device", id: "abc", tab: "logs" }],
    ["/logs", { name: "logs" }],
    ["/alerts", { name: "alerts" }],
    ["/alerts/rules", { name: "alertRules" }],
    ["/alerts/channels", { name: "alertChannels" }],
    ["/alerts/maintenance", { name: "maintenance" }],
    ["/alerts/other", { name: "notFound", path: "/alerts/other" }],
    ["/login", { name: "login" }],
    ["/account/password", { name: "changePassword" }],
    ["/users", { name: "users" }],
    ["/tokens", { name: "tokens" }],
    ["/devices/import", { name: "importDevices" }],
    ["/devices/a%20b/edit", { name: "editDevice", id: "a b" }],
    ["/devices/abc/interfaces/12", { name: "interface", id: "abc", ifIndex: 12 }],
  ])("%s", (path, route) => {
    expect(matchRoute(path)).toEqual(route);
  });

  it.each(["/devices", "/devices/abc/interfaces/x", "/devices/abc/interfaces", "/other", "/devices/%E0%A4%A/edit", "/devices/new/logs", "/logs/x", "/account", "/users/admin"])(
    "%s is not found",
    (path) => {
      expect(matchRoute(path).name).toBe("notFound");
    },
  );
});

describe("href", () => {
  it("builds paths that match back", () => {
    expect(matchRoute(href.device("a/b"))).toEqual({ name: "device", id: "a/b", tab: "interfaces" });
    expect(matchRoute(href.deviceLogs("a/b"))).toEqual({ name: "device", id: "a/b", tab: "logs" });
    expect(href.deviceLogs("d1", "source=trap")).toBe("/devices/d1/logs?source=trap");
    expect(href.logs()).toBe("/logs");
    expect(href.logs("live=1")).toBe("/logs?live=1");
    expect(matchRoute(href.editDevice("x y"))).toEqual({ name: "editDevice", id: "x y" });
    expect(href.interface("d1", 3, "range=6h")).toBe("/devices/d1/interfaces/3?range=6h");
    expect(href.interface("d1", 3)).toBe("/devices/d1/interfaces/3");
    expect(href.login()).toBe("/login");
    expect(href.login("/devices/a b?range=1h")).toBe("/login?next=%2Fdevices%2Fa%20b%3Frange%3D1h");
    expect(matchRoute(new URL(href.changePassword("/users"), "http://x").pathname)).toEqual({ name: "changePassword" });
  });
});

describe("routeKey", () => {
  it("tells pages apart but not query strings", () => {
    expect(routeKey(matchRoute("/devices/a"))).not.toBe(routeKey(matchRoute("/devices/b")));
    expect(routeKey(matchRoute("/devices/a/interfaces/1"))).toBe("interface:a:1");
    // A device's tabs are one page.
    expect(routeKey(matchRoute("/devices/a/logs"))).toBe(routeKey(matchRoute("/devices/a")));
  });
});

describe("withParams", () => {
  it("sets and removes parameters without touching the original", () => {
    const q = new URLSearchParams("a=1&b=2");
    expect(withParams(q, { a: null, c: "3", b: "" }).toString()).toBe("c=3");
    expect(q.toString()).toBe("a=1&b=2");
  });
});
