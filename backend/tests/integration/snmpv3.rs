//! SNMPv3 and SNMPv1 against the real net-snmp `snmpd`: every auth × priv protocol Debian's
//! net-snmp offers (one agent, one user per combination, polled concurrently), each refusal's
//! own error, an agent restart (engine boots change), and an agent that speaks v1 only.

use std::net::SocketAddr;

use vigie::secret::Secret;
use vigie::snmp::if_mib::{self, CounterBits};
use vigie::snmp::{AuthProtocol, Credentials, PrivProtocol, SecurityLevel, Session, SnmpError, UsmCredentials};

use crate::snmpd::{Interface, Snmpd};

const AUTH_PASSWORD: &str = "auth-passw0rd";
const PRIV_PASSWORD: &str = "priv-passw0rd";

/// Each auth protocol with net-snmp's name for it.
const AUTHS: [(AuthProtocol, &str); 6] = [
    (AuthProtocol::Md5, "MD5"),
    (AuthProtocol::Sha, "SHA"),
    (AuthProtocol::Sha224, "SHA-224"),
    (AuthProtocol::Sha256, "SHA-256"),
    (AuthProtocol::Sha384, "SHA-384"),
    (AuthProtocol::Sha512, "SHA-512"),
];

/// Each privacy protocol with net-snmp's name for it; `AES-192-C`/`AES-256-C` are the Reeder
/// (Cisco) key extension.
const PRIVS: [(PrivProtocol, &str); 6] = [
    (PrivProtocol::Des, "DES"),
    (PrivProtocol::Aes, "AES"),
    (PrivProtocol::Aes192, "AES-192"),
    (PrivProtocol::Aes256, "AES-256"),
    (PrivProtocol::Aes192c, "AES-192-C"),
    (PrivProtocol::Aes256c, "AES-256-C"),
];

/// A user of the matrix: its credentials and its snmpd lines.
struct User {
    credentials: UsmCredentials,
    config: String,
}

fn user(
    name: &str,
    level: SecurityLevel,
    auth: Option<(AuthProtocol, &str)>,
    privacy: Option<(PrivProtocol, &str)>,
) -> User {
    let mut create = format!("createUser {name}");
    if let Some((_, auth)) = auth {
        create += &format!(" {auth} {AUTH_PASSWORD}");
    }
    if let Some((_, privacy)) = privacy {
        create += &format!(" {privacy} {PRIV_PASSWORD}");
    }
    let min_level = match level {
        SecurityLevel::NoAuthNoPriv => "noauth",
        SecurityLevel::AuthNoPriv => "auth",
        SecurityLevel::AuthPriv => "priv",
    };
    User {
        credentials: UsmCredentials {
            user: name.into(),
            level,
            auth_protocol: auth.map(|(p, _)| p),
            auth_password: auth.map(|_| Secret::new(AUTH_PASSWORD)),
            priv_protocol: privacy.map(|(p, _)| p),
            priv_password: privacy.map(|_| Secret::new(PRIV_PASSWORD)),
            context_name: String::new(),
        },
        config: format!("{create}\nrouser {name} {min_level}\n"),
    }
}

/// Every combination: 36 authPriv users, 6 authNoPriv, 1 noAuthNoPriv.
fn matrix() -> Vec<User> {
    let mut users = vec![user("plain", SecurityLevel::NoAuthNoPriv, None, None)];
    for (i, auth) in AUTHS.iter().enumerate() {
        users.push(user(&format!("auth{i}"), SecurityLevel::AuthNoPriv, Some(*auth), None));
        for (j, privacy) in PRIVS.iter().enumerate() {
            users.push(user(&format!("priv{i}{j}"), SecurityLevel::AuthPriv, Some(*auth), Some(*privacy)));
        }
    }
    users
}

fn interfaces() -> Vec<Interface> {
    let mut hc = Interface::new(1, "eth0");
    (hc.in_octets, hc.out_octets) = ((1 << 40) + 5, 77);
    let mut legacy = Interface::new(2, "eth1");
    legacy.hc = false;
    (legacy.in_octets, legacy.out_octets) = (1_234, 5_678);
    vec![hc, legacy]
}

async fn open(port: u16, credentials: Credentials) -> Session {
    Session::open("127.0.0.1", port, &credentials, 2_000, 1).await.expect("open a session")
}

/// Polls the counters as the poller does; answers (in, out, bits) per ifIndex.
async fn counters(session: &mut Session) -> Result<Vec<(u32, u64, u64, CounterBits)>, SnmpError> {
    let (_, rows) = if_mib::walk_counters_and_probe(session, true, Some(2)).await?;
    Ok(rows.into_iter().map(|r| (r.if_index, r.in_octets, r.out_octets, r.bits)).collect())
}

fn expected(hc: bool) -> Vec<(u32, u64, u64, CounterBits)> {
    let first = if hc { ((1 << 40) + 5, 77, CounterBits::Bits64) } else { (5, 77, CounterBits::Bits32) };
    vec![(1, first.0, first.1, first.2), (2, 1_234, 5_678, CounterBits::Bits32)]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_auth_and_priv_protocol_polls_snmpd_with_the_agents_counters() {
    let users = matrix();
    let config: String = users.iter().map(|u| u.config.as_str()).collect();
    let snmpd = Snmpd::start_with(&interfaces(), &config);
    let port = snmpd.port();
    let polls = users.into_iter().map(|user| {
        tokio::spawn(async move {
            let name = user.credentials.user.clone();
            let mut session = open(port, Credentials::V3(user.credentials)).await;
            let first = counters(&mut session).await;
            // The second poll rides on the discovered engine and the cached keys.
            let second = counters(&mut session).await;
            (name, first, second)
        })
    });
    let results = futures_util::future::join_all(polls).await;
    let mut failures = Vec::new();
    for result in results {
        let (name, first, second) = result.expect("a poll task");
        for poll in [first, second] {
            match poll {
                Ok(rows) if rows == expected(true) => {}
                other => failures.push(format!("{name}: {other:?}")),
            }
        }
    }
    assert!(failures.is_empty(), "{} failures:\n{}\n{}", failures.len(), failures.join("\n"), snmpd.log());
}

/// What a poll with these credentials fails with.
async fn failure(port: u16, credentials: UsmCredentials) -> String {
    let mut session = open(port, Credentials::V3(credentials)).await;
    match counters(&mut session).await {
        Ok(rows) => panic!("expected a failure, polled {rows:?}"),
        Err(error) => error.to_string(),
    }
}

#[tokio::test]
async fn each_refusal_has_its_own_clear_error() {
    let good = user("alice", SecurityLevel::AuthPriv, Some(AUTHS[3]), Some(PRIVS[1]));
    let auth_only = user("bob", SecurityLevel::AuthNoPriv, Some(AUTHS[1]), None);
    let config = format!("{}{}", good.config, auth_only.config);
    let snmpd = Snmpd::start_with(&interfaces(), &config);
    let port = snmpd.port();
    let target: SocketAddr = ([127, 0, 0, 1], port).into();

    let mut wrong_auth = good.credentials.clone();
    wrong_auth.auth_password = Some(Secret::new("not-the-auth-password"));
    let error = failure(port, wrong_auth).await;
    assert_eq!(
        error,
        format!("{target} refused the authentication of SNMPv3 user \"alice\" (usmStatsWrongDigests): wrong auth password? (or wrong auth protocol)")
    );

    let mut wrong_priv = good.credentials.clone();
    wrong_priv.priv_password = Some(Secret::new("not-the-priv-password"));
    let error = failure(port, wrong_priv).await;
    assert_eq!(
        error,
        format!("{target} could not decrypt the request of SNMPv3 user \"alice\" (it answers the user without privacy but not with it, or reports usmStatsDecryptionErrors): wrong priv password? (or wrong priv protocol)")
    );

    let mut unknown = good.credentials.clone();
    unknown.user = "mallory".into();
    let error = failure(port, unknown).await;
    assert_eq!(
        error,
        format!("{target} does not know the SNMPv3 user \"mallory\" (usmStatsUnknownUserNames): check the user name, or create the user on the device")
    );

    // bob has no privacy on the agent: authPriv is a level it cannot give him.
    let mut above = good.credentials.clone();
    above.user = "bob".into();
    above.auth_protocol = Some(AuthProtocol::Sha);
    let error = failure(port, above).await;
    assert_eq!(
        error,
        format!("{target} does not support security level authPriv for SNMPv3 user \"bob\" (usmStatsUnsupportedSecLevels): the user is set up on the device without that authentication or privacy")
    );

    // alice may read only with privacy (rouser alice priv): authNoPriv is not authorised.
    let mut below = good.credentials.clone();
    (below.level, below.priv_protocol, below.priv_password) = (SecurityLevel::AuthNoPriv, None, None);
    let error = failure(port, below).await;
    assert!(error.contains("authorizationError"), "{error}");

    // And the right credentials still poll after all of that.
    let mut session = open(port, Credentials::V3(good.credentials)).await;
    assert_eq!(counters(&mut session).await.unwrap(), expected(true));
}

#[tokio::test]
async fn a_restarted_agent_is_resynchronised_and_polling_resumes() {
    let alice = user("alice", SecurityLevel::AuthPriv, Some(AUTHS[3]), Some(PRIVS[1]));
    let mut snmpd = Snmpd::start_with(&interfaces(), &alice.config);
    let mut session = open(snmpd.port(), Credentials::V3(alice.credentials)).await;
    let (before, _) = if_mib::walk_counters_and_probe(&mut session, true, Some(2)).await.unwrap();
    snmpd.restart();
    // The same session: its engine boots are now one behind, so the agent answers
    // notInTimeWindow once and the session resynchronises from that report.
    let (after, rows) =
        if_mib::walk_counters_and_probe(&mut session, true, Some(2)).await.expect("a poll after restart");
    assert!(
        after.uptime_ticks < before.uptime_ticks || after.uptime_ticks < 500,
        "sysUpTime starts again: {before:?} then {after:?}"
    );
    assert_eq!(rows.len(), 2);
}

/// An agent whose community "legacy" is v1-only (the fixture's own "public" serves its
/// readiness probe).
fn v1_only_snmpd() -> Snmpd {
    let config = "com2sec legacysec 127.0.0.1 legacy\ngroup legacygroup v1 legacysec\n\
                  view all included .1\naccess legacygroup \"\" v1 noauth exact all none none\n";
    Snmpd::start_with(&interfaces(), config)
}

/// Waits until the device is up: the poll's interfaces show as soon as it is applied, its state
/// once the writer thread has stored the poll and decided it.
fn wait_up(vigie: &mut crate::vigie::Vigie, id: &str) {
    vigie.wait_until(std::time::Duration::from_secs(20), "the device up", |v| {
        (v.device(id)["status"]["state"] == "up").then_some(())
    });
}

#[test]
fn a_v1_device_is_polled_through_the_api() {
    let snmpd = v1_only_snmpd();
    let port = snmpd.port();
    let data = tempfile::tempdir().unwrap();
    let mut vigie = crate::vigie::Vigie::start(&data.path().join("data"));
    let created = vigie.post_json(
        "/api/v1/devices",
        &serde_json::json!({"name": "old-ups", "host": "127.0.0.1", "port": port, "pollIntervalSecs": 300,
                            "snmp": {"version": "v1", "community": "legacy"}}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().unwrap().to_string();
    let list = vigie.wait_until(std::time::Duration::from_secs(20), "the v1 device's interfaces", |v| {
        let list = v.get(&format!("/api/v1/devices/{id}/interfaces")).body;
        (list.as_array().is_some_and(|l| l.len() == 2) && !list[1]["ifHCInOctets"].is_null()).then_some(list)
    });
    assert_eq!((list[0]["counterBits"].as_u64(), list[1]["ifHCInOctets"].as_u64()), (Some(32), Some(1_234)), "{list}");
    wait_up(&mut vigie, &id);
}

#[tokio::test]
async fn an_agent_restricted_to_v1_is_polled_with_getnext_and_32_bit_counters() {
    let snmpd = v1_only_snmpd();
    let port = snmpd.port();
    let mut session = open(port, Credentials::V1 { community: Secret::new("legacy") }).await;
    // No Counter64 in SNMPv1: both interfaces fall back to ifInOctets / ifOutOctets.
    assert_eq!(counters(&mut session).await.unwrap(), expected(false));
    let inventory = if_mib::walk_inventory(&mut session, Some(2)).await.unwrap();
    let names: Vec<_> = inventory.iter().map(|i| i.if_name()).collect();
    assert_eq!(names, ["eth0", "eth1"]);
    let system = vigie::snmp::system::get_system(&mut session).await.unwrap();
    assert_eq!(system.sys_name.as_deref(), Some(crate::snmpd::SYS_NAME));

    // The same community in SNMPv2c is refused: snmpd stays silent.
    let mut v2c =
        Session::open("127.0.0.1", port, &Credentials::V2c { community: Secret::new("legacy") }, 300, 0).await.unwrap();
    assert!(matches!(counters(&mut v2c).await, Err(SnmpError::Timeout { .. })));
}

/// net-snmp's `snmpget` in SNMPv3 against `port`: the value of sysName.0, or its error output.
fn snmpget_v3(port: u16, user: &UsmCredentials, auth: &str, privacy: &str) -> Result<String, String> {
    let output = std::process::Command::new("snmpget")
        .args(["-v3", "-l", "authPriv", "-u", &user.user, "-a", auth, "-A", AUTH_PASSWORD, "-x", privacy])
        .args(["-X", PRIV_PASSWORD, "-m", "", "-On", "-Oqv", "-t", "2", "-r", "1"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("1.3.6.1.2.1.1.5.0")
        .output()
        .expect("run snmpget");
    match output.status.success() {
        true => Ok(String::from_utf8_lossy(&output.stdout).trim().to_string()),
        false => Err(String::from_utf8_lossy(&output.stderr).into_owned()),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_speaks_v3_to_snmpget_and_to_vigie_with_every_priv_protocol() {
    use vigie::sim::{AgentSpec, AgentVersion, Fleet};
    // Each priv protocol once, each with another auth protocol.
    let cases: Vec<_> = [AUTHS[3], AUTHS[0], AUTHS[5], AUTHS[1], AUTHS[2], AUTHS[4]].into_iter().zip(PRIVS).collect();
    let users: Vec<User> = (0..cases.len())
        .map(|j| user(&format!("sim{j}"), SecurityLevel::AuthPriv, Some(cases[j].0), Some(cases[j].1)))
        .collect();
    let specs = users
        .iter()
        .enumerate()
        .map(|(j, u)| AgentSpec {
            version: AgentVersion::V3(u.credentials.clone()),
            ..AgentSpec::new(format!("sim-{j}"), 4)
        })
        .collect();
    let fleet = Fleet::start(specs, [127, 0, 0, 1].into(), 0).await.unwrap();
    for (j, ((_, auth), (_, privacy))) in cases.into_iter().enumerate() {
        let port = fleet.agents()[j].addr.port();
        let credentials = users[j].credentials.clone();
        let read = tokio::task::spawn_blocking({
            let credentials = credentials.clone();
            move || snmpget_v3(port, &credentials, auth, privacy)
        });
        assert_eq!(read.await.unwrap(), Ok(format!("\"sim-{j}\"")), "snmpget {auth} {privacy}");
        let mut session = open(port, Credentials::V3(credentials)).await;
        let (_, rows) = if_mib::walk_counters_and_probe(&mut session, false, Some(4)).await.expect(privacy);
        assert_eq!(rows.len(), 4, "{auth} {privacy}");
    }
    fleet.shutdown().await;
}

#[tokio::test]
async fn the_simulator_speaks_v1_to_snmpget_and_to_vigie() {
    use vigie::sim::{AgentSpec, AgentVersion, Fleet};
    let spec = AgentSpec { version: AgentVersion::V1, hc: false, ..AgentSpec::new("old-ups", 3) };
    let fleet = Fleet::start(vec![spec], [127, 0, 0, 1].into(), 0).await.unwrap();
    let port = fleet.agents()[0].addr.port();
    let snmpget = |version: &'static str| {
        tokio::task::spawn_blocking(move || {
            let output = std::process::Command::new("snmpget")
                .args([version, "-c", "public", "-m", "", "-On", "-Oqv", "-t", "0.5", "-r", "0"])
                .arg(format!("127.0.0.1:{port}"))
                .args(["1.3.6.1.2.1.1.5.0", "1.3.6.1.2.1.1.99.0"])
                .output()
                .expect("run snmpget");
            String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr)
        })
    };
    // v1's answer to a missing object is noSuchName for the whole request.
    let v1 = snmpget("-v1").await.unwrap();
    assert!(v1.contains("There is no such variable name in this MIB") && v1.contains("1.3.6.1.2.1.1.99.0"), "{v1}");
    assert!(snmpget("-v2c").await.unwrap().contains("Timeout"), "a v1 agent ignores v2c");
    let mut session = open(port, Credentials::V1 { community: Secret::new("public") }).await;
    let values = session.get_optional(&[&[1, 3, 6, 1, 2, 1, 1, 5, 0], &[1, 3, 6, 1, 2, 1, 1, 99, 0]]).await.unwrap();
    assert_eq!(values[0].as_ref().map(|v| v.as_text()).as_deref(), Some("old-ups"));
    assert_eq!(values[1], None);
    let (_, rows) = if_mib::walk_counters_and_probe(&mut session, true, Some(3)).await.unwrap();
    assert_eq!(
        rows.iter().map(|r| (r.if_index, r.bits)).collect::<Vec<_>>(),
        [1, 2, 3].map(|i| (i, CounterBits::Bits32))
    );
    fleet.shutdown().await;
}

/// net-snmp `snmptrap` or `snmpinform` with `args`, its engine state in `persist`; answers
/// whether it succeeded, with its error output.
fn notify_v3(program: &str, persist: &std::path::Path, args: &[&str]) -> Result<(), String> {
    let output = std::process::Command::new(program)
        .args(args)
        .env("SNMP_PERSISTENT_DIR", persist)
        .output()
        .unwrap_or_else(|e| panic!("run {program}: {e}"));
    output.status.success().then_some(()).ok_or_else(|| String::from_utf8_lossy(&output.stderr).into_owned())
}

#[test]
fn a_v3_device_is_polled_through_the_api_and_its_v3_traps_and_informs_arrive() {
    use crate::logs::wait_for_entry;
    use crate::vigie::Vigie;
    use serde_json::json;
    use std::time::Duration;

    let alice = user("alice", SecurityLevel::AuthPriv, Some(AUTHS[3]), Some(PRIVS[1]));
    let agent = Snmpd::start_with(&interfaces(), &alice.config);
    let data = tempfile::tempdir().unwrap();
    let config = data.path().join("vigie.toml");
    std::fs::write(
        &config,
        "[[trap_users]]\nuser = \"trapper\"\nauth_protocol = \"sha512\"\nauth_password = \"trap-auth-pass\"\n\
         priv_protocol = \"aes256\"\npriv_password = \"trap-priv-pass\"\n\n\
         [[trap_users]]\nuser = \"signer\"\nauth_protocol = \"md5\"\nauth_password = \"sign-auth-pass\"\n",
    )
    .unwrap();
    let mut vigie = Vigie::start_with(&data.path().join("data"), &["--config", config.to_str().unwrap()]);
    let created = vigie.post_json(
        "/api/v1/devices",
        &json!({"name": "edge-v3", "host": "127.0.0.1", "port": agent.port(), "pollIntervalSecs": 300,
                "snmp": {"version": "v3", "user": "alice", "securityLevel": "authPriv", "authProtocol": "sha256",
                         "authPassword": AUTH_PASSWORD, "privProtocol": "aes", "privPassword": PRIV_PASSWORD}}),
    );
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().unwrap().to_string();
    let list = vigie.wait_until(Duration::from_secs(20), "the v3 device's interfaces", |v| {
        let list = v.get(&format!("/api/v1/devices/{id}/interfaces")).body;
        (list.as_array().is_some_and(|l| l.len() == 2) && !list[0]["ifHCInOctets"].is_null()).then_some(list)
    });
    assert_eq!(list[0]["ifHCInOctets"], (1u64 << 40) + 5, "the agent's counter, read over SNMPv3: {list}");
    assert_eq!(list[1]["counterBits"], 32);
    wait_up(&mut vigie, &id);

    let persist = tempfile::tempdir().unwrap();
    let target = format!("127.0.0.1:{}", vigie.trap_port);
    let link_down = ["", "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.2.1.2.2.1.1.2", "i", "2"];
    let trapper = ["-v3", "-u", "trapper", "-l", "authPriv", "-a", "SHA-512", "-A", "trap-auth-pass", "-x", "AES-256"];
    let trap = [&trapper[..], &["-X", "trap-priv-pass", "-m", "", &target], &link_down[..]].concat();
    notify_v3("snmptrap", persist.path(), &trap).unwrap();
    let down = wait_for_entry(&mut vigie, &format!("deviceId={id}&source=trap"), "linkDown");
    assert_eq!(down["message"], "linkDown: interface eth1 (ifIndex 2)");

    // An INFORM: snmpinform discovers Vigie's engine, sends, and fails unless answered.
    let signer = ["-v3", "-u", "signer", "-l", "authNoPriv", "-a", "MD5", "-A", "sign-auth-pass", "-m", ""];
    let link_up = ["", "1.3.6.1.6.3.1.1.5.4", "1.3.6.1.2.1.2.2.1.1.1", "i", "1"];
    let inform = [&signer[..], &["-t", "3", "-r", "0", &target], &link_up[..]].concat();
    notify_v3("snmpinform", persist.path(), &inform).unwrap();
    let up = wait_for_entry(&mut vigie, &format!("deviceId={id}&source=trap"), "(inform)");
    assert_eq!(up["message"], "linkUp: interface eth0 (ifIndex 1) (inform)");

    // An unknown user, a wrong auth password, and an unauthenticated trap: counted and dropped.
    let stranger = ["-v3", "-u", "mallory", "-l", "authNoPriv", "-a", "MD5", "-A", "sign-auth-pass", "-m", ""];
    notify_v3("snmptrap", persist.path(), &[&stranger[..], &[&target], &link_down[..]].concat()).unwrap();
    let forger = ["-v3", "-u", "signer", "-l", "authNoPriv", "-a", "MD5", "-A", "not-the-password", "-m", ""];
    notify_v3("snmptrap", persist.path(), &[&forger[..], &[&target], &link_down[..]].concat()).unwrap();
    let bare = ["-v3", "-u", "signer", "-l", "noAuthNoPriv", "-m", ""];
    notify_v3("snmptrap", persist.path(), &[&bare[..], &[&target], &link_down[..]].concat()).unwrap();
    let logs = vigie.wait_until(Duration::from_secs(10), "three refused v3 traps counted", |v| {
        let logs = v.get("/api/v1/status").body["logs"].clone();
        (logs["trapsV3NotAuthentic"] == 2 && logs["trapsV3UnknownUser"] == 1).then_some(logs)
    });
    assert_eq!(logs["trapsMalformed"], 0, "{logs}");
    let traps = crate::logs::logs(&vigie, "source=trap");
    assert_eq!(traps.len(), 2, "only the two authentic ones are logged: {traps:?}");
    assert!(!vigie.log().contains("trap-auth-pass") && !vigie.log().contains(AUTH_PASSWORD), "no secret in the log");
}

#[test]
fn trap_users_are_managed_through_the_api_and_take_effect_at_once() {
    use crate::vigie::Vigie;
    use serde_json::json;
    use std::time::Duration;

    let data = tempfile::tempdir().unwrap();
    let config = data.path().join("vigie.toml");
    std::fs::write(
        &config,
        "[[trap_users]]\nuser = \"fromfile\"\nauth_protocol = \"sha\"\nauth_password = \"file-auth-pass\"\n",
    )
    .unwrap();
    let mut vigie = Vigie::start_with(&data.path().join("data"), &["--config", config.to_str().unwrap()]);
    let body = json!({"user": "ops", "authProtocol": "sha256", "authPassword": "ops-auth-pass",
                      "privProtocol": "aes192", "privPassword": "ops-priv-pass"});
    let created = vigie.post_json("/api/v1/trap-users", &body);
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(
        created.body,
        json!({"user": "ops", "securityLevel": "authPriv", "authProtocol": "sha256", "privProtocol": "aes192", "source": "api"})
    );
    let again = vigie.post_json("/api/v1/trap-users", &body);
    assert_eq!((again.status, again.body["code"].as_str()), (409, Some("duplicate_trap_user")));
    let short =
        vigie.post_json("/api/v1/trap-users", &json!({"user": "x", "authProtocol": "md5", "authPassword": "short"}));
    assert_eq!(short.status, 422);
    assert_eq!(
        short.body,
        json!({"code": "invalid_field", "field": "authPassword", "message": "authPassword: must be 8 to 255 characters (RFC 3414)"})
    );
    let list = vigie.get("/api/v1/trap-users");
    assert_eq!(list.body.as_array().map(Vec::len), Some(2));
    assert_eq!((list.body[0]["user"].as_str(), list.body[0]["source"].as_str()), (Some("fromfile"), Some("config")));
    assert!(!list.text.contains("pass"), "no password is shown: {}", list.text);
    let file = data.path().join("data/trap-users.json");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&file).unwrap().permissions().mode() & 0o777, 0o600);

    // The user added through the API is accepted at once; once removed, refused.
    let persist = tempfile::tempdir().unwrap();
    let target = format!("127.0.0.1:{}", vigie.trap_port);
    let ops = ["-v3", "-u", "ops", "-l", "authPriv", "-a", "SHA-256", "-A", "ops-auth-pass", "-x", "AES-192"];
    let trap = [&ops[..], &["-X", "ops-priv-pass", "-m", "", &target, "", "1.3.6.1.6.3.1.1.5.1"]].concat();
    notify_v3("snmptrap", persist.path(), &trap).unwrap();
    crate::logs::wait_for_entry(&mut vigie, "source=trap", "coldStart");
    assert_eq!(vigie.delete("/api/v1/trap-users/ops").status, 204);
    assert_eq!(vigie.delete("/api/v1/trap-users/ops").body["code"], "trap_user_not_found");
    assert_eq!(vigie.delete("/api/v1/trap-users/fromfile").status, 400);
    notify_v3("snmptrap", persist.path(), &trap).unwrap();
    vigie.wait_until(Duration::from_secs(10), "the removed user's trap refused", |v| {
        (v.get("/api/v1/status").body["logs"]["trapsV3UnknownUser"] == 1).then_some(())
    });
}
