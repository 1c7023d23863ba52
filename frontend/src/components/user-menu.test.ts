// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from "vitest";
import { session } from "../api/client";
import { mountHeader } from "./user-menu";

const header = () => {
  document.body.innerHTML = `<header class="app-header"><nav hidden>
    <a href="/" data-nav="overview">Devices</a>
    <a href="/devices/new" data-requires="editDevices" hidden>Add device</a>
    <a href="/users" data-requires="manageUsers" hidden>Users</a>
    <a href="/tokens" data-requires="manageTokens" hidden>API tokens</a>
  </nav><div class="user-menu-slot"></div></header>`;
  return document.querySelector<HTMLElement>("header")!;
};
const visibleLinks = (root: HTMLElement) => [...root.querySelectorAll<HTMLElement>("nav a")].filter((a) => !a.hidden).map((a) => a.textContent);
const as = (role: "admin" | "operator" | "viewer", via: "session" | "local" = "session") =>
  session.set({ username: "alice", role, via, csrfToken: via === "session" ? "c" : null, mustChangePassword: false, expiresAt: null });

afterEach(() => {
  session.clear();
  vi.unstubAllGlobals();
});

describe("mountHeader", () => {
  it("hides the navigation while nobody is signed in", () => {
    const root = header();
    session.clear();
    mountHeader(root, () => {});
    expect(root.querySelector("nav")!.hidden).toBe(true);
    expect(root.querySelector(".user-menu-slot")!.textContent).toBe("");
  });

  it("shows each role only the links it can use, and follows changes of session", () => {
    const root = header();
    mountHeader(root, () => {});
    as("viewer");
    expect(visibleLinks(root)).toEqual(["Devices"]);
    as("operator");
    expect(visibleLinks(root)).toEqual(["Devices", "Add device"]);
    as("admin");
    expect(visibleLinks(root)).toEqual(["Devices", "Add device", "Users", "API tokens"]);
    expect(root.querySelector("nav")!.hidden).toBe(false);
  });

  it("hides the navigation until an initial password is changed, keeping the menu", () => {
    const root = header();
    mountHeader(root, () => {});
    session.set({ username: "admin", role: "admin", via: "session", csrfToken: "c", mustChangePassword: true, expiresAt: null });
    expect(root.querySelector("nav")!.hidden).toBe(true);
    expect(root.querySelector(".user-menu summary")!.textContent).toBe("admin admin");
  });

  it("names the person and role, and logs out through the API", async () => {
    const root = header();
    const navigate = vi.fn();
    mountHeader(root, navigate);
    as("operator");
    expect(root.querySelector(".user-menu summary")!.textContent).toBe("alice operator");
    const fetch = vi.fn(async () => new Response(null, { status: 204 }));
    vi.stubGlobal("fetch", fetch);
    const logout = [...root.querySelectorAll("button")].find((b) => b.textContent === "Log out")!;
    logout.click();
    await vi.waitFor(() => expect(navigate).toHaveBeenCalledWith("/login"));
    const [url, init] = fetch.mock.calls[0] as unknown as [URL, RequestInit];
    expect(url.pathname).toBe("/api/v1/session");
    expect(init.method).toBe("DELETE");
    expect(session.current).toBeNull();
    expect(root.querySelector("nav")!.hidden).toBe(true);
  });

  it("offers no logout nor password change with authentication off", () => {
    const root = header();
    mountHeader(root, () => {});
    as("admin", "local");
    expect(root.querySelector(".user-menu")!.textContent).toContain("Local access");
    expect(root.querySelectorAll("button, a.menu-item")).toHaveLength(0);
  });
});
