import { describe, expect, it } from "vitest";
import { describeSnmp, levelUses } from "./snmp-labels";

describe("describeSnmp", () => {
  it("says whether a community is set, never what it is", () => {
    expect(describeSnmp({ version: "v2c", communitySet: true })).toBe("v2c, community set");
    expect(describeSnmp({ version: "v1", communitySet: false })).toBe("v1, community not set");
  });

  it("names the v3 user, level, protocols and context", () => {
    const v3 = {
      version: "v3",
      user: "monitor",
      securityLevel: "authPriv",
      authProtocol: "sha256",
      authPasswordSet: true,
      privProtocol: "aes256c",
      privPasswordSet: true,
      contextName: "vlan-10",
    } as const;
    expect(describeSnmp(v3)).toBe("v3, user monitor, authPriv (SHA-256, AES-256 (Cisco)), context vlan-10");
    const none = { ...v3, securityLevel: "noAuthNoPriv", authProtocol: null, privProtocol: null, contextName: "" } as const;
    expect(describeSnmp(none)).toBe("v3, user monitor, noAuthNoPriv");
  });
});

describe("levelUses", () => {
  it("follows RFC 3414's levels", () => {
    expect(levelUses("noAuthNoPriv")).toEqual({ auth: false, priv: false });
    expect(levelUses("authNoPriv")).toEqual({ auth: true, priv: false });
    expect(levelUses("authPriv")).toEqual({ auth: true, priv: true });
  });
});
