// Deterministic fixture data for the mock API: 13 devices (one with 400 interfaces, one down, one never
// polled) and synthetic traffic with a daily rhythm, bursts, an outage gap and a history start.
// Times are relative to the `now` passed in, so every range of the graph has something to show.

/** Small integer hash -> [0, 1): the same inputs always give the same "noise". */
export function noise(...parts) {
  let h = 2166136261;
  for (const p of parts) {
    h ^= Math.floor(p) & 0xffffffff;
    h = Math.imul(h, 16777619);
    h ^= h >>> 13;
  }
  return ((h >>> 0) % 100000) / 100000;
}

const DEVICE_SPECS = [
  { id: "core-sw-1", name: "core-sw-1", host: "10.0.0.1", interfaces: 400, vendor: "cisco" },
  { id: "core-rtr-1", name: "core-rtr-1", host: "10.0.0.2", interfaces: 24, vendor: "juniper" },
  { id: "edge-rtr-2", name: "edge-rtr-2", host: "192.0.2.7", interfaces: 12, vendor: "cisco", down: true },
  { id: "dist-sw-a", name: "dist-sw-a", host: "dist-sw-a.lab.example.net", interfaces: 52, vendor: "cisco" },
  { id: "dist-sw-b", name: "dist-sw-b", host: "dist-sw-b.lab.example.net", interfaces: 52, vendor: "cisco" },
  { id: "fw-1", name: "fw-1", host: "10.0.0.254", interfaces: 8, vendor: "linux" },
  { id: "ap-lobby", name: "AP lobby", host: "10.20.0.11", interfaces: 3, vendor: "linux" },
  { id: "ap-floor2", name: "AP floor 2", host: "10.20.0.12", interfaces: 3, vendor: "linux" },
  { id: "nas-1", name: "nas-1", host: "2001:db8::10", interfaces: 4, vendor: "linux" },
  { id: "srv-rack3", name: "srv-rack3", host: "10.0.3.1", interfaces: 26, vendor: "cisco" },
  { id: "lab-sw", name: "lab-sw", host: "172.16.5.2", interfaces: 10, vendor: "juniper" },
  { id: "ups-mgmt", name: "ups-mgmt", host: "10.0.9.9", interfaces: 1, vendor: "linux" },
  { id: "new-switch", name: "new-switch", host: "10.0.7.40", interfaces: 0, vendor: "cisco", neverPolled: true },
];

const SYS_DESCR = {
  cisco: "Cisco IOS Software, C3850 Software (CAT3K_CAA-UNIVERSALK9-M), Version 16.12.4, RELEASE SOFTWARE (fc5)\nTechnical Support: http://www.cisco.com/techsupport\nCopyright (c) 1986-2020 by Cisco Systems, Inc.",
  juniper: "Juniper Networks, Inc. ex4300-48t Ethernet Switch, kernel JUNOS 21.4R3-S2.3, Build date: 2023-01-12 04:11:33 UTC",
  linux: "Linux fw-1 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01) x86_64",
};
const SYS_OID = { cisco: "1.3.6.1.4.1.9.1.2066", juniper: "1.3.6.1.4.1.2636.1.1.1.2.63", linux: "1.3.6.1.4.1.8072.3.2.10" };

function interfaceName(vendor, n, total) {
  if (vendor === "linux") return ["lo", "eth0", "eth1", "eth2", "wlan0", "br0", "bond0", "eth3"][n % 8];
  if (vendor === "juniper") return `ge-0/0/${n}`;
  if (total >= 400) {
    if (n < 384) return `Gi${Math.floor(n / 48) + 1}/0/${(n % 48) + 1}`;
    if (n < 392) return `Te1/1/${n - 383}`;
    return n === 392 ? "Loopback0" : `Vlan${(n - 392) * 10}`;
  }
  return n < total - 2 ? `Gi1/0/${n + 1}` : `Te1/1/${n - total + 3}`;
}

const ALIASES = ["uplink to core-rtr-1", "srv-db-01 eth0", "printer 3rd floor", "AP lobby", "", "", "", "trunk to dist-sw-a", "", "camera 12"];

/** Base average rate of an interface, bit/s; 0 for interfaces that are down. */
function baseRate(deviceIndex, ifIndex, speed) {
  return speed * (0.02 + 0.35 * noise(deviceIndex, ifIndex, 7) ** 2);
}

export function makeFixtures(now) {
  const devices = new Map();
  const interfaces = new Map();
  DEVICE_SPECS.forEach((spec, d) => {
    const rows = [];
    for (let n = 0; n < spec.interfaces; n++) {
      const ifIndex = n + 1;
      const name = interfaceName(spec.vendor, n, spec.interfaces);
      const tenGig = name.startsWith("Te") || name.startsWith("xe");
      const virtual = name.startsWith("Vlan") || name.startsWith("Loopback") || name === "lo";
      const speedBps = virtual ? null : tenGig ? 10e9 : 1e9;
      const roll = noise(d, ifIndex, 1);
      // Uplinks are always up, so the graph screenshots show one.
      const uplink = name.startsWith("Te") || name.startsWith("eth0") || n === 0;
      const adminStatus = !uplink && roll > 0.92 ? "down" : "up";
      const operStatus = spec.down ? "unknown" : adminStatus === "down" ? "down" : uplink ? "up" : roll > 0.62 ? "down" : roll > 0.6 ? "dormant" : "up";
      const up = operStatus === "up" && !spec.down;
      // Traffic history exists for ports that were up before the device went silent.
      const wasUp = adminStatus === "up" && (uplink || roll <= 0.6);
      const base = wasUp ? baseRate(d, ifIndex, speedBps ?? 1e9) : 0;
      const inBps = spec.down ? null : up ? base * (0.8 + 0.4 * noise(d, ifIndex, 2)) : 0;
      const outBps = spec.down ? null : up ? base * (0.3 + 0.6 * noise(d, ifIndex, 3)) : 0;
      rows.push({
        ifIndex,
        ifName: name,
        ifDescr: spec.vendor === "cisco" && name.startsWith("Gi") ? `GigabitEthernet${name.slice(2)}` : name,
        ifAlias: ALIASES[Math.floor(noise(d, ifIndex, 4) * ALIASES.length)],
        ifType: virtual ? 53 : 6,
        speedBps,
        adminStatus,
        operStatus,
        ifHCInOctets: Math.floor(noise(d, ifIndex, 5) * 1e12),
        ifHCOutOctets: Math.floor(noise(d, ifIndex, 6) * 1e12),
        inBps,
        outBps,
        utilization: speedBps && inBps !== null ? Math.max(inBps, outBps) / speedBps : null,
        inErrorsPerSec: up ? 0 : null,
        outErrorsPerSec: up ? 0 : null,
        inDiscardsPerSec: up ? 0 : null,
        outDiscardsPerSec: up ? 0 : null,
        counterBits: virtual ? 32 : 64,
        lastSampleAt: spec.down || spec.neverPolled ? now - 3 * 3600 : now - 20,
        _base: base,
      });
    }
    interfaces.set(spec.id, rows);
    const sum = (key) => (spec.down ? null : rows.reduce((a, r) => a + (r[key] ?? 0), 0));
    devices.set(spec.id, {
      id: spec.id,
      name: spec.name,
      host: spec.host,
      port: 161,
      snmp: { version: "v2c", communitySet: true },
      pollIntervalSecs: 60,
      timeoutMs: 2000,
      retries: 1,
      createdAt: now - 200 * 86_400 + d * 3600,
      status: spec.neverPolled
        ? { state: "unknown", since: now - 30, lastPollAt: null, lastError: null, consecutiveFailures: 0, lastPollDurationMs: null }
        : spec.down
          ? { state: "down", since: now - 3 * 3600 - 420, lastPollAt: now - 35, lastError: "SNMP request timed out after 2 attempts (2000 ms each)", consecutiveFailures: 194, lastPollDurationMs: 4002 }
          : { state: "up", since: now - (d + 1) * 86_400 * 3 - 5000, lastPollAt: now - 20 - d, lastError: null, consecutiveFailures: 0, lastPollDurationMs: 12 + spec.interfaces },
      system: spec.neverPolled
        ? null
        : {
            sysName: `${spec.name.replace(/\s+/g, "-").toLowerCase()}.lab.example.net`,
            sysDescr: SYS_DESCR[spec.vendor],
            sysObjectId: SYS_OID[spec.vendor],
            sysUpTimeSecs: (d + 1) * 86_400 * 3 + 1234,
            sysLocation: d % 2 ? "Rack 3, room B12" : "Main DC, row A",
            sysContact: "noc@example.net",
          },
      interfaceCount: spec.interfaces,
      interfacesUp: rows.filter((r) => r.operStatus === "up").length,
      inBps: sum("inBps"),
      outBps: sum("outBps"),
    });
  });
  return { devices, interfaces };
}

/**
 * Synthetic traffic for one interface: a daily curve, bursts in the per-step max, a 40-minute outage
 * three hours before `now` (nulls), and nothing before the device's history began (~200 days ago).
 */
export function makeTraffic(device, iface, from, to, maxPoints, now) {
  const step = Math.max(60, Math.ceil((to - from) / Math.max(1, maxPoints) / 60) * 60);
  const historyStart = device.createdAt;
  const outageStart = now - 3 * 3600;
  const outageEnd = outageStart + 40 * 60;
  const base = iface._base;
  // A device that stopped answering has no samples since then.
  const silentFrom = device.status.state === "down" ? device.status.since : Infinity;
  const points = [];
  for (let t = Math.ceil(from / step) * step; t <= to && t <= now; t += step) {
    const gap = t < historyStart || t >= silentFrom || (t + step > outageStart && t < outageEnd) || device.status.state === "unknown";
    const daily = 0.55 + 0.45 * Math.sin(((t % 86_400) / 86_400) * 2 * Math.PI - Math.PI / 2);
    const jitter = (k) => 0.85 + 0.3 * noise(iface.ifIndex, Math.floor(t / 60), k);
    const burst = (k) => 1.1 + (noise(iface.ifIndex, Math.floor(t / 60), k) > 0.9 ? 1.2 : 0.3) * noise(iface.ifIndex, t, k + 1);
    const inBps = gap ? null : base * daily * jitter(1);
    const outBps = gap ? null : base * 0.45 * daily * jitter(2);
    points.push({
      timestamp: t,
      inBps,
      outBps,
      inBpsMax: inBps === null ? null : inBps * burst(3),
      outBpsMax: outBps === null ? null : outBps * burst(5),
    });
  }
  return { stepSecs: step, points };
}
