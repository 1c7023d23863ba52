//! A poller and its primary over HTTPS, the primary's certificate signed by a private CA made
//! here with `openssl`: the poller told to trust that CA (`--registry-ca`) fetches its shard and
//! reports; one not told refuses the certificate and holds nothing. Over that link the poller's
//! echo rounds reach the primary: a device the poller pings (loopback, ICMP as root) shows its
//! latest round on the primary's device page, while its state is the one the poller decided.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::json;

use crate::auth::{first_admin, new_token};
use crate::vigie::{free_tcp_port, Vigie};

/// Runs `openssl` with `args` in `dir`.
fn openssl(dir: &Path, args: &[&str]) {
    let made = Command::new("openssl").current_dir(dir).args(args).output().expect("run openssl");
    assert!(made.status.success(), "openssl {args:?}: {}", String::from_utf8_lossy(&made.stderr));
}

/// A private CA and a certificate it signed for 127.0.0.1: (CA, certificate, key) files.
fn private_ca(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
    let ca = ["-days", "1", "-subj", "/CN=Vigie test CA", "-keyout", "ca.key", "-out", "ca.pem"];
    openssl(dir, &[&["req", "-x509"], &ec[..], &ca[..]].concat());
    openssl(dir, &[&["req"], &ec[..], &["-subj", "/CN=127.0.0.1", "-keyout", "key.pem", "-out", "cert.csr"]].concat());
    std::fs::write(dir.join("ext.cnf"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n").unwrap();
    openssl(
        dir,
        &["x509", "-req", "-in", "cert.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "1"]
            .into_iter()
            .chain(["-extfile", "ext.cnf", "-out", "cert.pem"])
            .collect::<Vec<_>>(),
    );
    (dir.join("ca.pem"), dir.join("cert.pem"), dir.join("key.pem"))
}

fn start_poller(dir: &Path, name: &str, primary: &Vigie, token: &str, ca: Option<&Path>) -> Vigie {
    let registry = primary.url("");
    // Nothing listens there: the samples wait in the queue, which is not what this test is about.
    let write = format!("http://127.0.0.1:{}/api/v1/write", free_tcp_port());
    let mut args = vec!["--role", "poller", "--registry", &registry, "--token", token, "--shard", "0/1"];
    args.extend(["--poller-name", name, "--remote-write-url", &write]);
    let ca = ca.map(|p| p.to_str().unwrap().to_string());
    if let Some(ca) = &ca {
        args.extend(["--registry-ca", ca]);
    }
    Vigie::start_with(&dir.join(name), &args)
}

#[test]
fn a_poller_trusting_a_private_ca_reaches_its_primary_over_tls_and_reports_echo_rounds() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = private_ca(dir.path());
    let promql = format!("http://127.0.0.1:{}", free_tcp_port());
    let primary_dir = dir.path().join("primary");
    std::fs::create_dir_all(&primary_dir).unwrap();
    let (cert, key) = (cert.to_str().unwrap(), key.to_str().unwrap());
    let tls = ["--role", "primary", "--history-promql-url", &promql, "--tls-cert", cert, "--tls-key", key];
    let (mut primary, password) = crate::auth::start(&primary_dir, &tls);
    assert!(primary.url("").starts_with("https://"));
    let admin = first_admin(&primary, &password);
    let (admin_token, _) = new_token(&primary, &admin, "test-admin", "admin");
    let (poller_token, _) = new_token(&primary, &admin, "pollers", "poller");
    primary.use_token(&admin_token);
    // Loopback answers echoes; nothing answers SNMP on a free port: snmp_down, decided by the poller.
    let device = json!({"name": "pinged", "host": "127.0.0.1", "port": free_tcp_port(),
                        "snmp": {"version": "v2c", "community": "public"},
                        "pollIntervalSecs": 5, "timeoutMs": 500, "retries": 0, "pingIntervalSecs": 5});
    let added = primary.post_json("/api/v1/devices", &device);
    assert_eq!(added.status, 201, "{}", added.text);
    let id = added.body["id"].as_str().unwrap().to_string();

    let pollers = dir.path().join("pollers");
    std::fs::create_dir_all(&pollers).unwrap();
    let mut trusting = start_poller(&pollers, "trusting", &primary, &poller_token, Some(&ca));
    let mut untrusting = start_poller(&pollers, "untrusting", &primary, &poller_token, None);

    trusting.wait_until(Duration::from_secs(60), "the poller fetches its shard over TLS", |p| {
        let shard = p.get("/api/v1/status").body["shard"].clone();
        (shard["devices"] == 1 && shard["lastFetchAt"].is_i64() && shard["streamConnected"] == true).then_some(())
    });
    let shard = untrusting.wait_until(Duration::from_secs(60), "the other poller fails to reach it", |p| {
        let shard = p.get("/api/v1/status").body["shard"].clone();
        (shard["streamReconnects"].as_u64() > Some(0)).then_some(shard)
    });
    assert_eq!(
        (shard["devices"].as_u64(), shard["lastFetchAt"].is_null(), &shard["streamConnected"]),
        (Some(0), true, &json!(false)),
        "{shard}"
    );
    assert!(untrusting.log().contains("invalid peer certificate: UnknownIssuer"), "the log says why");

    let listed = primary.wait_until(Duration::from_secs(30), "the poller reports", |p| {
        let pollers = p.get("/api/v1/status").body["pollers"].clone();
        (pollers.as_array().is_some_and(|l| !l.is_empty())).then_some(pollers)
    });
    let names: Vec<&str> = listed.as_array().unwrap().iter().map(|p| p["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["trusting"], "{listed}");

    if !crate::netns::available() {
        eprintln!("echo rounds skipped: ICMP needs root");
        return;
    }
    let status = primary.wait_until(Duration::from_secs(60), "the primary shows the poller's echo round", |p| {
        let status = p.device(&id)["status"].clone();
        (status["echo"]["received"].as_u64() > Some(0)).then_some(status)
    });
    assert_eq!(status["echo"]["sent"], 3, "{status}");
    assert!(status["echo"]["rttAvgMs"].as_f64().is_some_and(|ms| ms >= 0.0), "{status}");
    assert_eq!(status["state"], "snmp_down", "the poller's state (echoes answered, SNMP silent): {status}");
}
