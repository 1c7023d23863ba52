//! SNMP credentials through the real binary: v1, v2c and v3 devices are added, read back
//! without a secret, changed by PATCH's rules and kept across a restart; each broken rule is a
//! 422 naming its field. (Polling with these credentials is the SNMP client's, tested beside it.)

use serde_json::{json, Value};

use crate::vigie::Vigie;

const AUTH_PASSWORD: &str = "Auth-Pa55word-9f3";
const PRIV_PASSWORD: &str = "Priv-Pa55word-7c1";
const NEW_AUTH_PASSWORD: &str = "New-Auth-Pa55-2e8";
const COMMUNITY: &str = "v1-Community-5d0";

fn v3_device(port: u16) -> Value {
    json!({"name": "core-v3", "host": "127.0.0.1", "port": port, "snmp": {
        "version": "v3", "user": "monitor", "securityLevel": "authPriv",
        "authProtocol": "sha256", "authPassword": AUTH_PASSWORD,
        "privProtocol": "aes", "privPassword": PRIV_PASSWORD, "contextName": "vlan-10"}})
}

/// Posts `snmp` for a device on `port` and answers (status, field) of the refusal.
fn refusal(vigie: &Vigie, port: u16, snmp: Value) -> (u16, Value, String) {
    let answer = vigie.post_json("/api/v1/devices", &json!({"host": "127.0.0.1", "port": port, "snmp": snmp}));
    let message = answer.body["message"].as_str().unwrap_or_default().to_string();
    (answer.status, answer.body["field"].clone(), message)
}

#[test]
fn v1_and_v3_devices_are_added_read_back_without_secrets_and_changed_by_patch_rules() {
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().join("data");
    let mut vigie = Vigie::start(&data_dir);
    // Ports nobody answers on: these tests are about the device model, not polling.
    let v3 = vigie.post_json("/api/v1/devices", &v3_device(9));
    assert_eq!(v3.status, 201, "{}", v3.text);
    let expected_v3 = json!({"version": "v3", "user": "monitor", "securityLevel": "authPriv",
        "authProtocol": "sha256", "authPasswordSet": true, "privProtocol": "aes", "privPasswordSet": true,
        "contextName": "vlan-10"});
    assert_eq!(v3.body["snmp"], expected_v3);
    let v1 = vigie.post_json(
        "/api/v1/devices",
        &json!({"name": "printer", "host": "127.0.0.1", "port": 10, "snmp": {"version": "v1", "community": COMMUNITY}}),
    );
    assert_eq!(v1.status, 201, "{}", v1.text);
    assert_eq!(v1.body["snmp"], json!({"version": "v1", "communitySet": true}));
    let (v3_path, v1_path) = (v3.location.clone().unwrap(), v1.location.clone().unwrap());
    let v3_path = v3_path.trim_start_matches("/api/v1").to_string();
    let v1_path = v1_path.trim_start_matches("/api/v1").to_string();
    assert_eq!(vigie.get(&format!("/api/v1{v3_path}")).body["snmp"], expected_v3);

    // Each broken rule names its field.
    let ok = json!({"version": "v3", "user": "u", "securityLevel": "noAuthNoPriv"});
    let with = |extra: Value| {
        let mut snmp = ok.clone();
        snmp.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        snmp
    };
    let cases = [
        (
            with(json!({"securityLevel": "authNoPriv", "authProtocol": "sha", "authPassword": "short"})),
            "snmp.authPassword",
            "must be 8 to 255 characters",
        ),
        (
            with(json!({"securityLevel": "authPriv", "authProtocol": "sha", "authPassword": "12345678"})),
            "snmp.privProtocol",
            "is required at security level authPriv",
        ),
        (with(json!({"authProtocol": "md5"})), "snmp.authProtocol", "must be omitted at security level noAuthNoPriv"),
        (with(json!({"user": "u".repeat(33)})), "snmp.user", "must be 1 to 32 bytes"),
        (
            with(json!({"securityLevel": "authNoPriv", "authProtocol": "sha3", "authPassword": "12345678"})),
            "snmp.authProtocol",
            "unknown variant `sha3`",
        ),
        (
            with(
                json!({"securityLevel": "authPriv", "authProtocol": "sha", "authPassword": "12345678", "privProtocol": "aes", "privPassword": "p".repeat(256)}),
            ),
            "snmp.privPassword",
            "must be 8 to 255 characters",
        ),
        (json!({"version": "v3", "securityLevel": "noAuthNoPriv"}), "snmp.user", "missing field `user`"),
        (json!({"version": "v1", "community": "c", "user": "u"}), "snmp.user", "SNMP v1 has no such field"),
        (with(json!({"community": "c"})), "snmp.community", "SNMP v3 has no such field"),
        (json!({"version": "v1"}), "snmp.community", "missing field `community`"),
    ];
    for (port, (snmp, field, reason)) in (20..).zip(cases) {
        let (status, got, message) = refusal(&vigie, port, snmp.clone());
        assert_eq!((status, got), (422, json!(field)), "{snmp}: {message}");
        assert!(message.starts_with(&format!("{field}: ")) && message.contains(reason), "{snmp}: {message}");
    }

    // PATCH: a new protocol needs its password; the level going down drops what it stops using.
    let patch = |path: &str, snmp: Value| vigie.patch_json(&format!("/api/v1{path}"), &json!({"snmp": snmp}));
    let refused = patch(&v3_path, json!({"version": "v3", "authProtocol": "sha512"}));
    assert_eq!((refused.status, &refused.body["field"]), (422, &json!("snmp.authPassword")), "{}", refused.text);
    let changed =
        patch(&v3_path, json!({"version": "v3", "authProtocol": "sha512", "authPassword": NEW_AUTH_PASSWORD}));
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.body["snmp"]["authProtocol"], "sha512");
    assert_eq!(changed.body["snmp"]["privPasswordSet"], true, "the priv password is kept");
    let lowered = patch(&v3_path, json!({"version": "v3", "securityLevel": "authNoPriv"}));
    assert_eq!(lowered.status, 200, "{}", lowered.text);
    let expected_lowered = json!({"version": "v3", "user": "monitor", "securityLevel": "authNoPriv",
        "authProtocol": "sha512", "authPasswordSet": true, "privProtocol": null, "privPasswordSet": false,
        "contextName": "vlan-10"});
    assert_eq!(lowered.body["snmp"], expected_lowered);
    // A version change needs the new version's complete credentials.
    let to_v2c = patch(&v1_path, json!({"version": "v2c"}));
    assert_eq!((to_v2c.status, &to_v2c.body["field"]), (422, &json!("snmp.community")), "{}", to_v2c.text);
    let to_v3 = patch(&v1_path, json!({"version": "v3", "securityLevel": "noAuthNoPriv"}));
    assert_eq!((to_v3.status, &to_v3.body["field"]), (422, &json!("snmp.user")), "{}", to_v3.text);
    let no_version = patch(&v1_path, json!({"community": "x"}));
    assert_eq!((no_version.status, &no_version.body["field"]), (422, &json!("snmp.version")), "{}", no_version.text);
    let to_v2c = patch(&v1_path, json!({"version": "v2c", "community": COMMUNITY}));
    assert_eq!(to_v2c.body["snmp"], json!({"version": "v2c", "communitySet": true}), "{}", to_v2c.text);

    // Nothing secret in any answer, in the log or in the events; all of it survives a restart.
    let list = vigie.get("/api/v1/devices");
    let events = vigie.get("/api/v1/logs");
    let texts = [&v3.text, &v1.text, &changed.text, &lowered.text, &to_v2c.text, &list.text, &events.text];
    let log = vigie.log();
    for secret in [AUTH_PASSWORD, PRIV_PASSWORD, NEW_AUTH_PASSWORD, COMMUNITY] {
        for text in texts {
            assert!(!text.contains(secret), "a secret leaked: {text}");
        }
        assert!(!log.contains(secret), "a secret reached the log:\n{log}");
    }
    vigie.terminate();
    let vigie = Vigie::start(&data_dir);
    assert_eq!(strip_status(vigie.get("/api/v1/devices").body), strip_status(list.body));
    drop(vigie);
}

/// The devices without what the poller changes on its own.
/// The devices without what changes by itself over time: their status and availability.
fn strip_status(mut devices: Value) -> Value {
    devices.as_array_mut().unwrap().iter_mut().for_each(|d| {
        let d = d.as_object_mut().unwrap();
        d.remove("status");
        d.remove("availability");
    });
    devices
}
