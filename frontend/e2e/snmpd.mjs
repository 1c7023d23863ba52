// A real net-snmp snmpd on a free loopback port, serving made-up interfaces through
// backend/tests/fixtures/ifmib_pass.py (pass_persist), whose octet rates a test can change.
import dgram from "node:dgram";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { freeUdpPort, removeAtExit, spawnGroup, waitFor } from "./processes.mjs";

const PASS_SCRIPT = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "backend", "tests", "fixtures", "ifmib_pass.py");
export const SYS_NAME = "vigie-e2e-agent";

function interfaceJson(i) {
  return {
    ifIndex: i.ifIndex,
    ifDescr: i.name,
    ifName: i.name,
    ifAlias: i.alias ?? "",
    ifType: 6,
    speedBps: i.speedBps ?? 1_000_000_000,
    adminStatus: 1,
    operStatus: i.up === false ? 2 : 1,
    inOctets: i.inOctets ?? 0,
    outOctets: i.outOctets ?? 0,
    inOctetsPerSec: i.inPerSec ?? 0,
    outOctetsPerSec: i.outPerSec ?? 0,
    hc: i.hc ?? true,
  };
}

/** SNMPv2c GetRequest (community "public") for sysUpTime.0 and ifNumber.0, as in the Rust tests. */
const PROBE = Buffer.from([
  0x30, 0x34, 0x02, 0x01, 0x01, 0x04, 0x06, 0x70, 0x75, 0x62, 0x6c, 0x69, 0x63, 0xa0, 0x27, 0x02, 0x01, 0x01, 0x02, 0x01, 0x00,
  0x02, 0x01, 0x00, 0x30, 0x1c, 0x30, 0x0c, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x03, 0x00, 0x05, 0x00, 0x30, 0x0c,
  0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x02, 0x01, 0x00, 0x05, 0x00,
]);
const IF_NUMBER_OID = Buffer.from([0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x02, 0x01, 0x00]);

/** True once the agent answers with ifNumber.0 as an INTEGER (so the pass_persist script runs). */
function probeSnmp(port) {
  return new Promise((resolve) => {
    const s = dgram.createSocket("udp4");
    const done = (ok) => {
      clearTimeout(timer);
      s.close();
      resolve(ok);
    };
    const timer = setTimeout(() => done(false), 300);
    s.on("error", () => done(false));
    s.on("message", (msg) => {
      const at = msg.indexOf(IF_NUMBER_OID);
      done(at >= 0 && msg[at + IF_NUMBER_OID.length] === 0x02);
    });
    s.send(PROBE, port, "127.0.0.1");
  });
}

export async function startSnmpd(name, interfaces) {
  const dir = mkdtempSync(join(tmpdir(), `vigie-e2e-${name}-`));
  removeAtExit(dir);
  const port = await freeUdpPort();
  const state = join(dir, "state.json");
  const agentState = { interfaces: interfaces.map(interfaceJson), epoch: Date.now() / 1000 };
  writeState(state, agentState);
  mkdirSync(join(dir, "persist"));
  const pass = (oid) => `pass_persist ${oid} /usr/bin/python3 ${PASS_SCRIPT} ${state}\n`;
  writeFileSync(
    join(dir, "snmpd.conf"),
    `agentAddress udp:127.0.0.1:${port}\nrocommunity public 127.0.0.1\nsysName ${SYS_NAME}\n` +
      `sysDescr Vigie end-to-end agent (net-snmp with made-up interfaces)\nsysLocation E2E rack\nsysContact e2e@vigie.invalid\n` +
      `dontLogTCPWrappersConnects yes\n${pass(".1.3.6.1.2.1.2")}${pass(".1.3.6.1.2.1.31")}`,
  );
  const proc = spawnGroup(
    `snmpd-${name}`,
    "snmpd",
    ["-f", "-Lo", "-C", "-c", join(dir, "snmpd.conf"), "-p", join(dir, "snmpd.pid"), "-m", "", "-I", "-smux,ifTable,ifXTable,interfaces"],
    { env: { ...process.env, SNMP_PERSISTENT_DIR: join(dir, "persist") } },
  );
  try {
    await waitFor(`snmpd (${name}) to answer on udp ${port}`, async () => {
      if (proc.child.exitCode !== null) throw new Error(`snmpd exited with ${proc.child.exitCode}: ${proc.output()}`);
      return probeSnmp(port);
    });
  } catch (err) {
    const scriptLog = join(dir, "ifmib_pass.log");
    if (existsSync(scriptLog)) err.message += `\nifmib_pass.log: ${readFileSync(scriptLog, "utf8")}`;
    err.message += `\nsnmpd output: ${proc.output()}`;
    throw err;
  }
  return { port, dir, proc, state, agentState };
}

function writeState(file, agentState) {
  writeFileSync(`${file}.tmp`, JSON.stringify(agentState));
  renameSync(`${file}.tmp`, file);
}

/**
 * Changes the octet rates of some interfaces from now on. The counters carry on from where they are
 * (ifmib_pass.py counts from `epoch` and takes the modulus when read), so the rates Vigie measures follow.
 */
export function setRates(agent, rates) {
  const now = Date.now() / 1000;
  const elapsed = Math.max(0, now - agent.agentState.epoch);
  for (const itf of agent.agentState.interfaces) {
    itf.inOctets += Math.floor(itf.inOctetsPerSec * elapsed);
    itf.outOctets += Math.floor(itf.outOctetsPerSec * elapsed);
    const rate = rates[itf.ifIndex];
    if (rate) [itf.inOctetsPerSec, itf.outOctetsPerSec] = rate;
  }
  agent.agentState.epoch = now;
  writeState(agent.state, agent.agentState);
}
