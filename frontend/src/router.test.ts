// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from "vitest";
import { guardRoute, type Principal } from "./lib/access";
import type { Route } from "./lib/route";
import { Router, type ViewFactory, type ViewTable } from "./router";

/** A page table where every page writes its name, so a test sees which one is mounted. */
function pages(): ViewTable {
  const page = (name: string): (() => Promise<ViewFactory>) => async () => (ctx) => {
    ctx.root.append(Object.assign(document.createElement("h1"), { textContent: name }));
  };
  const names: Route["name"][] = ["overview", "newDevice", "editDevice", "logs", "device", "interface", "login", "changePassword", "users", "tokens", "notFound"];
  return Object.fromEntries(names.map((n) => [n, page(n)])) as ViewTable;
}

async function open(path: string, principal: Principal | null): Promise<{ root: HTMLElement; router: Router }> {
  history.replaceState(null, "", path);
  const root = document.createElement("main");
  document.body.replaceChildren(root);
  const router = new Router(root, pages(), (route, here) => guardRoute(route, principal, here));
  router.start();
  await vi.waitFor(() => expect(root.querySelector("h1")).not.toBeNull());
  return { root, router };
}

const here = () => window.location.pathname + window.location.search;

afterEach(() => document.body.replaceChildren());

describe("Router with the access guard", () => {
  it("shows the login page in place of a page asked for without a session, keeping it as next", async () => {
    const { root } = await open("/devices/d1?range=1h", null);
    expect(here()).toBe("/login?next=%2Fdevices%2Fd1%3Frange%3D1h");
    expect(root.querySelector("h1")!.textContent).toBe("login");
  });

  it("sends a person with an initial password to the change first", async () => {
    const { root } = await open("/logs", { role: "admin", mustChangePassword: true });
    expect(here()).toBe("/account/password?next=%2Flogs");
    expect(root.querySelector("h1")!.textContent).toBe("changePassword");
  });

  it("refuses a page the role cannot use, naming the role, without leaving the address", async () => {
    const { root } = await open("/users", { role: "operator", mustChangePassword: false });
    expect(here()).toBe("/users");
    expect(root.querySelector("h1")!.textContent).toBe("Not allowed");
    expect(root.textContent).toContain("Your role (operator) cannot do this.");
  });

  it("shows the page asked for to a role that may use it", async () => {
    const { root } = await open("/devices/new", { role: "operator", mustChangePassword: false });
    expect(here()).toBe("/devices/new");
    expect(root.querySelector("h1")!.textContent).toBe("newDevice");
  });
});
