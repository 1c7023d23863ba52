// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ViewContext } from "../router";
import { deviceFormView } from "./device-form";
import { v3DeviceView } from "../lib/test-devices";

const v3Device = v3DeviceView();


const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

function open(route: ViewContext["route"]): { root: HTMLElement; navigate: ReturnType<typeof vi.fn> } {
  const root = document.createElement("main");
  document.body.replaceChildren(root);
  const navigate = vi.fn();
  const ctx: ViewContext = { route, query: new URLSearchParams(), root, signal: new AbortController().signal, navigate, replaceQuery: () => {}, setTitle: () => {} };
  deviceFormView(ctx);
  return { root, navigate };
}

/** The SNMP fields shown, by name. */
function shownSnmpFields(root: HTMLElement): string[] {
  return [...root.querySelectorAll<HTMLElement>(".field")]
    .filter((field) => !field.hidden)
    .map((field) => field.querySelector<HTMLInputElement>("input, select")!.name)
    .filter((name) => name.startsWith("snmp."));
}

function choose(root: HTMLElement, name: string, value: string): void {
  const select = root.querySelector<HTMLSelectElement>(`select[name="${name}"]`)!;
  select.value = value;
  select.dispatchEvent(new Event("change", { bubbles: true }));
}

function type(root: HTMLElement, name: string, value: string): void {
  root.querySelector<HTMLInputElement>(`input[name="${name}"]`)!.value = value;
}

afterEach(() => vi.unstubAllGlobals());

describe("the device form's SNMP fields", () => {
  it("switch with the version and the security level", () => {
    const { root } = open({ name: "newDevice" });
    expect(shownSnmpFields(root)).toEqual(["snmp.version", "snmp.community"]);
    choose(root, "snmp.version", "v3");
    expect(shownSnmpFields(root)).toEqual([
      "snmp.version",
      "snmp.user",
      "snmp.securityLevel",
      "snmp.authProtocol",
      "snmp.authPassword",
      "snmp.privProtocol",
      "snmp.privPassword",
      "snmp.contextName",
    ]);
    choose(root, "snmp.securityLevel", "authNoPriv");
    expect(shownSnmpFields(root)).toEqual(["snmp.version", "snmp.user", "snmp.securityLevel", "snmp.authProtocol", "snmp.authPassword", "snmp.contextName"]);
    choose(root, "snmp.securityLevel", "noAuthNoPriv");
    expect(shownSnmpFields(root)).toEqual(["snmp.version", "snmp.user", "snmp.securityLevel", "snmp.contextName"]);
    choose(root, "snmp.version", "v1");
    expect(shownSnmpFields(root)).toEqual(["snmp.version", "snmp.community"]);
  });

  it("posts a v3 device with the fields its level uses", async () => {
    const fetch = vi.fn(async () => json(201, v3Device));
    vi.stubGlobal("fetch", fetch);
    const { root, navigate } = open({ name: "newDevice" });
    type(root, "host", "10.0.0.3");
    choose(root, "snmp.version", "v3");
    type(root, "snmp.user", "monitor");
    choose(root, "snmp.securityLevel", "authNoPriv");
    type(root, "snmp.authPassword", "auth-pass-1");
    type(root, "snmp.privPassword", "typed, then hidden: never sent");
    root.querySelector("form")!.dispatchEvent(new Event("submit", { cancelable: true }));
    await vi.waitFor(() => expect(navigate).toHaveBeenCalled());
    const body = JSON.parse(String(((fetch.mock.calls[0] as unknown[])[1] as RequestInit).body));
    expect(body.snmp).toEqual({ version: "v3", user: "monitor", securityLevel: "authNoPriv", authProtocol: "sha256", authPassword: "auth-pass-1" });
  });

  it("mark stored passwords as set, until their protocol changes", async () => {
    vi.stubGlobal("fetch", vi.fn(async () => json(200, v3Device)));
    const { root } = open({ name: "editDevice", id: "d3" });
    await vi.waitFor(() => expect(root.querySelector("form")).not.toBeNull());
    const placeholder = (name: string) => root.querySelector<HTMLInputElement>(`input[name="${name}"]`)!.placeholder;
    expect(root.querySelector<HTMLSelectElement>('select[name="snmp.version"]')!.value).toBe("v3");
    expect(root.querySelector<HTMLInputElement>('input[name="snmp.user"]')!.value).toBe("monitor");
    expect([placeholder("snmp.authPassword"), placeholder("snmp.privPassword")]).toEqual(["set (leave blank to keep)", "set (leave blank to keep)"]);
    choose(root, "snmp.authProtocol", "sha512");
    expect([placeholder("snmp.authPassword"), placeholder("snmp.privPassword")]).toEqual(["", "set (leave blank to keep)"]);
  });
});
