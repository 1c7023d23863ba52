//! Access control against the real binary with `--auth on`: every operation of the OpenAPI
//! document refuses missing credentials and a too-low role; cookie flags and the CSRF defence;
//! revoked tokens and expired sessions; the login rate limit; the first admin's password; no
//! secret in any answer or log line; `--auth off` only on loopback; HTTPS; `vigie user`.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::vigie::Vigie;

const BIN: &str = env!("CARGO_BIN_EXE_vigie");

/// An HTTP answer with its headers.
pub struct Reply {
    status: u16,
    headers: reqwest::header::HeaderMap,
    text: String,
    json: Value,
}

impl Reply {
    fn code(&self) -> &str {
        self.json["code"].as_str().unwrap_or_default()
    }
    fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).and_then(|v| v.to_str().ok()).map(str::to_owned)
    }
}

fn call(vigie: &Vigie, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&Value>) -> Reply {
    let http = crate::vigie::client(vigie.url("").starts_with("https"), reqwest::header::HeaderMap::new());
    let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
    let mut request = headers.iter().fold(http.request(method, vigie.url(path)), |r, (k, v)| r.header(*k, *v));
    if let Some(body) = body {
        request = request.header("content-type", "application/json").body(body.to_string());
    }
    let response = request.send().unwrap_or_else(|e| panic!("{path}: {e}\n{}", vigie.log()));
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    // An event stream never ends: its status is enough.
    let streaming = headers.get("content-type").is_some_and(|v| v.as_bytes().starts_with(b"text/event-stream"));
    let text = if streaming { String::new() } else { response.text().unwrap_or_default() };
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Reply { status, headers, text, json }
}

/// A logged-in browser: its cookie and CSRF token.
pub struct Session {
    cookie: String,
    csrf: String,
}

impl Session {
    fn headers(&self) -> Vec<(&'static str, String)> {
        vec![("cookie", format!("vigie_session={}", self.cookie)), ("x-csrf-token", self.csrf.clone())]
    }
}

pub fn login(vigie: &Vigie, username: &str, password: &str) -> (Reply, Option<Session>) {
    let reply = call(vigie, "POST", "/api/v1/session", &[], Some(&json!({"username": username, "password": password})));
    let session = (reply.status == 200).then(|| {
        let set_cookie = reply.header("set-cookie").expect("a Set-Cookie");
        let cookie = set_cookie.strip_prefix("vigie_session=").unwrap().split(';').next().unwrap().to_string();
        Session { cookie, csrf: reply.json["csrfToken"].as_str().unwrap().to_string() }
    });
    (reply, session)
}

fn with<'a>(session: &'a Session, extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, String)> {
    let mut headers = session.headers();
    headers.extend(extra.iter().map(|(k, v)| (*k, v.to_string())));
    headers
}

fn send(vigie: &Vigie, method: &str, path: &str, headers: &[(&str, String)], body: Option<&Value>) -> Reply {
    let refs: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (*k, v.as_str())).collect();
    call(vigie, method, path, &refs, body)
}

fn bearer(token: &str) -> Vec<(&'static str, String)> {
    vec![("authorization", format!("Bearer {token}"))]
}

/// Vigie with access control on; answers it and the first admin's password.
pub fn start(data: &Path, extra: &[&str]) -> (Vigie, String) {
    let data_dir = data.join("data");
    let mut args = vec!["--auth", "on"];
    args.extend_from_slice(extra);
    let vigie = Vigie::start_with(&data_dir, &args);
    let password = std::fs::read_to_string(data_dir.join("initial-admin-password")).expect("initial password file");
    (vigie, password.trim().to_string())
}

/// The password the tests give the first admin.
pub const ADMIN_PASSWORD: &str = "the admin's own password";

/// Logs in as the first admin and chooses a password of their own, as the UI makes them do at
/// once: until then their session may do nothing else. Answers the session, which goes on.
pub fn first_admin(vigie: &Vigie, initial: &str) -> Session {
    let admin = login(vigie, "admin", initial).1.expect("the first admin logs in");
    let body = json!({"currentPassword": initial, "newPassword": ADMIN_PASSWORD});
    let changed = send(vigie, "POST", "/api/v1/session/password", &admin.headers(), Some(&body));
    assert_eq!(changed.status, 204, "{}", changed.text);
    admin
}

pub fn new_token(vigie: &Vigie, admin: &Session, name: &str, role: &str) -> (String, String) {
    let reply = send(vigie, "POST", "/api/v1/tokens", &admin.headers(), Some(&json!({"name": name, "role": role})));
    assert_eq!(reply.status, 201, "{}", reply.text);
    (reply.json["token"].as_str().unwrap().to_string(), reply.json["id"].as_str().unwrap().to_string())
}

pub fn revoke_token(vigie: &Vigie, admin: &Session, id: &str) {
    let reply = send(vigie, "DELETE", &format!("/api/v1/tokens/{id}"), &admin.headers(), None);
    assert_eq!(reply.status, 204, "{}", reply.text);
}

/// `/api/v1/devices/{id}/interfaces/{ifIndex}` → a concrete path.
fn concrete(template: &str) -> String {
    template.replace("{ifIndex}", "1").replace("{id}", "x").replace("{username}", "nobody")
}

#[test]
fn every_operation_enforces_what_the_document_declares() {
    let data = tempfile::tempdir().unwrap();
    let (vigie, password) = start(data.path(), &[]);
    let admin = first_admin(&vigie, &password);
    let (viewer, _) = new_token(&vigie, &admin, "reader", "viewer");
    let (operator, _) = new_token(&vigie, &admin, "ops", "operator");
    let (poller, _) = new_token(&vigie, &admin, "shard-0", "poller");
    // An admin the API added must choose a password at first login: until then nothing but that.
    let body = json!({"username": "fresh", "password": "fresh's first password", "role": "admin"});
    assert_eq!(send(&vigie, "POST", "/api/v1/users", &admin.headers(), Some(&body)).status, 201);
    let fresh = login(&vigie, "fresh", "fresh's first password").1.unwrap();

    let doc = call(&vigie, "GET", "/api/v1/openapi.json", &[], None);
    assert_eq!(doc.status, 200, "the document is open");
    let mut checked = 0;
    let mut open = Vec::new();
    let mut own_session = Vec::new();
    for (template, item) in doc.json["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let method = method.to_uppercase();
            let path = concrete(template);
            let name = format!("{method} {template}");
            let body = (method != "GET" && method != "DELETE").then(|| json!({}));
            let Some(role) = op["x-required-role"].as_str() else {
                assert!(op.get("security").is_none(), "{name}: no role but a security requirement");
                open.push(name);
                continue;
            };
            let schemes: Vec<&str> = op["security"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|s| s.as_object().unwrap().keys())
                .map(|k| k.as_str())
                .collect();
            assert_eq!(schemes, ["session", "token"], "{name}");
            assert!(op["responses"]["401"].is_object(), "{name} documents 401");

            let anonymous = call(&vigie, &method, &path, &[], body.as_ref());
            assert_eq!((anonymous.status, anonymous.code()), (401, "unauthenticated"), "{name}: {}", anonymous.text);
            assert_eq!(anonymous.header("www-authenticate").as_deref(), Some("Bearer realm=\"vigie\""), "{name}");
            let bad_token = send(&vigie, &method, &path, &bearer("vgt_0123"), body.as_ref());
            assert_eq!(bad_token.status, 401, "{name}");

            let allowed_before_change =
                ["GET /api/v1/session", "DELETE /api/v1/session", "POST /api/v1/session/password"];
            if !allowed_before_change.contains(&name.as_str()) {
                let forced = send(&vigie, &method, &path, &fresh.headers(), body.as_ref());
                assert_eq!(
                    (forced.status, forced.code()),
                    (403, "password_change_required"),
                    "{name}: {}",
                    forced.text
                );
            } else if method != "DELETE" {
                let forced = send(&vigie, &method, &path, &fresh.headers(), body.as_ref());
                assert!(![401, 403].contains(&forced.status), "{name} before the change: {}", forced.text);
            }
            let as_viewer = send(&vigie, &method, &path, &bearer(&viewer), body.as_ref());
            let as_operator = send(&vigie, &method, &path, &bearer(&operator), body.as_ref());
            let as_poller = send(&vigie, &method, &path, &bearer(&poller), body.as_ref());
            if role != "poller" {
                assert_eq!((as_poller.status, as_poller.code()), (403, "forbidden"), "{name}: not for a poller");
            }
            match role {
                "viewer" => {
                    assert!(![401, 403].contains(&as_viewer.status), "{name}: a viewer may: {}", as_viewer.text);
                }
                "operator" => {
                    assert_eq!((as_viewer.status, as_viewer.code()), (403, "forbidden"), "{name}");
                    assert!(op["responses"]["403"].is_object(), "{name} documents 403");
                    assert!(![401, 403].contains(&as_operator.status), "{name}: an operator may: {}", as_operator.text);
                }
                "admin" => {
                    assert_eq!((as_viewer.status, as_viewer.code()), (403, "forbidden"), "{name}");
                    assert_eq!((as_operator.status, as_operator.code()), (403, "forbidden"), "{name}");
                    assert!(op["responses"]["403"].is_object(), "{name} documents 403");
                }
                "poller" => {
                    let as_admin = send(&vigie, &method, &path, &admin.headers(), body.as_ref());
                    for (who, answer) in [("viewer", &as_viewer), ("operator", &as_operator), ("admin", &as_admin)] {
                        assert_eq!((answer.status, answer.code()), (403, "forbidden"), "{name}: not for an {who}");
                    }
                    assert!(op["responses"]["403"].is_object(), "{name} documents 403");
                    // Past access control: this Vigie is no primary (409 `not_a_primary`), or the request
                    // is incomplete (400 without `shard`, 422 for an empty report).
                    assert!([400, 409, 422].contains(&as_poller.status), "{name}: a poller may: {}", as_poller.text);
                }
                other => panic!("{name}: unknown role {other}"),
            }
            if method != "GET" && role == "viewer" {
                own_session.push(name.clone());
            }
            checked += 1;
        }
    }
    open.sort();
    assert_eq!(open, ["GET /api/v1/health", "GET /health", "GET /readyz", "POST /api/v1/session"]);
    own_session.sort();
    assert_eq!(own_session, ["DELETE /api/v1/session", "POST /api/v1/session/password"], "only one's own session");
    assert!(checked >= 20, "only {checked} operations checked");
}

#[test]
fn the_session_cookie_is_guarded_against_cross_site_use() {
    let data = tempfile::tempdir().unwrap();
    let (vigie, password) = start(data.path(), &[]);
    let (reply, admin) = login(&vigie, "admin", &password);
    let admin = admin.unwrap();
    let cookie = reply.header("set-cookie").unwrap();
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/"] {
        assert!(cookie.contains(flag), "{flag} in {cookie}");
    }
    assert!(!cookie.contains("Secure"), "no Secure flag over plain HTTP: {cookie}");
    assert_eq!(reply.json["mustChangePassword"], true);
    assert_eq!(reply.json["via"], "session");
    let early = send(&vigie, "GET", "/api/v1/devices", &admin.headers(), None);
    assert_eq!((early.status, early.code()), (403, "password_change_required"), "{}", early.text);
    let body = json!({"currentPassword": password, "newPassword": ADMIN_PASSWORD});
    let changed = send(&vigie, "POST", "/api/v1/session/password", &admin.headers(), Some(&body));
    assert_eq!(changed.status, 204, "{}", changed.text);
    assert_eq!(send(&vigie, "GET", "/api/v1/devices", &admin.headers(), None).status, 200, "then the rest opens");
    let who = send(&vigie, "GET", "/api/v1/session", &admin.headers(), None);
    assert_eq!(
        (who.status, who.json["username"].as_str(), who.json["role"].as_str()),
        (200, Some("admin"), Some("admin"))
    );

    let body = json!({"name": "t", "role": "viewer"});
    let refused = |headers: Vec<(&str, String)>, why: &str| {
        let reply = send(&vigie, "POST", "/api/v1/tokens", &headers, Some(&body));
        assert_eq!((reply.status, reply.code()), (403, "csrf_failed"), "{why}: {}", reply.text);
    };
    refused(with(&admin, &[("origin", "https://evil.example.com")]), "a cross-site Origin");
    refused(with(&admin, &[("sec-fetch-site", "cross-site")]), "a cross-site fetch");
    refused(with(&admin, &[("sec-fetch-site", "same-site")]), "a same-site, other-origin fetch");
    refused(vec![("cookie", format!("vigie_session={}", admin.cookie))], "no CSRF header");
    refused(
        vec![("cookie", format!("vigie_session={}", admin.cookie)), ("x-csrf-token", "0".repeat(64))],
        "a wrong token",
    );
    let origin = vigie.url("");
    let same = send(
        &vigie,
        "POST",
        "/api/v1/tokens",
        &with(&admin, &[("origin", &origin), ("sec-fetch-site", "same-origin")]),
        Some(&body),
    );
    assert_eq!(same.status, 201, "{}", same.text);
    let cross_login = call(
        &vigie,
        "POST",
        "/api/v1/session",
        &[("origin", "https://evil.example.com")],
        Some(&json!({"username": "admin", "password": password})),
    );
    assert_eq!((cross_login.status, cross_login.code()), (403, "csrf_failed"), "no login from another site");

    let out = send(&vigie, "DELETE", "/api/v1/session", &admin.headers(), None);
    assert_eq!(out.status, 204);
    assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"), "the cookie is cleared");
    let after = send(&vigie, "GET", "/api/v1/session", &admin.headers(), None);
    assert_eq!((after.status, after.code()), (401, "unauthenticated"), "the session ended on the server");
}

#[test]
fn a_revoked_token_fails_at_once_and_changes_carry_who_made_them() {
    let data = tempfile::tempdir().unwrap();
    let (vigie, password) = start(data.path(), &[]);
    let admin = first_admin(&vigie, &password);
    let (token, id) = new_token(&vigie, &admin, "deploy script", "operator");
    let device = json!({"name": "core-1", "host": "127.0.0.1", "port": 1, "snmp": {"version": "v2c", "community": "s3cret-c0mmunity"}});
    let added = send(&vigie, "POST", "/api/v1/devices", &bearer(&token), Some(&device));
    assert_eq!(added.status, 201, "{}", added.text);
    let listed = send(&vigie, "GET", "/api/v1/tokens", &admin.headers(), None);
    assert_eq!(listed.json.as_array().unwrap().len(), 1);
    assert!(listed.json[0]["lastUsedAt"].is_i64(), "last use is listed: {}", listed.text);
    assert!(!listed.text.contains(&token[4..]), "the token is never listed");

    revoke_token(&vigie, &admin, &id);
    let after = send(&vigie, "GET", "/api/v1/devices", &bearer(&token), None);
    assert_eq!((after.status, after.code()), (401, "unauthenticated"), "revoked at once");
    let again = send(&vigie, "DELETE", &format!("/api/v1/tokens/{id}"), &admin.headers(), None);
    assert_eq!((again.status, again.code()), (404, "token_not_found"));

    let mut vigie = vigie;
    let audit = vigie.wait_until(Duration::from_secs(10), "the audit entries are stored", |v| {
        let reply = send(v, "GET", "/api/v1/logs?source=audit", &admin.headers(), None);
        let entries = reply.json["entries"].as_array().cloned().unwrap_or_default();
        (entries.len() >= 4).then_some(entries)
    });
    let line =
        |e: &Value| format!("{} | {}", e["fields"][0]["value"].as_str().unwrap_or(""), e["message"].as_str().unwrap());
    let lines: Vec<String> = audit.iter().map(line).collect();
    for expected in [
        "user admin | logged in from 127.0.0.1",
        "user admin | created token deploy script",
        "token deploy script | core-1 added (127.0.0.1:1)",
        "user admin | revoked token deploy script",
    ] {
        assert!(lines.iter().any(|l| l.starts_with(expected)), "{expected:?} in {lines:#?}");
    }
}

#[test]
fn an_idle_session_expires() {
    let data = tempfile::tempdir().unwrap();
    let config = data.path().join("vigie.toml");
    // Long enough that a login slowed by a loaded machine is still fresh when it is first used.
    std::fs::write(&config, "[auth]\nsession_idle_secs = 5\n").unwrap();
    let (vigie, password) = start(data.path(), &["--config", config.to_str().unwrap()]);
    let admin = first_admin(&vigie, &password);
    assert_eq!(send(&vigie, "GET", "/api/v1/session", &admin.headers(), None).status, 200);
    std::thread::sleep(Duration::from_millis(7000));
    let expired = send(&vigie, "GET", "/api/v1/session", &admin.headers(), None);
    assert_eq!((expired.status, expired.code()), (401, "unauthenticated"), "{}", expired.text);
}

#[test]
fn the_eleventh_failed_login_in_a_minute_is_refused_with_retry_after() {
    let data = tempfile::tempdir().unwrap();
    let (mut vigie, password) = start(data.path(), &[]);
    let admin = first_admin(&vigie, &password);
    let (token, _) = new_token(&vigie, &admin, "watcher", "viewer");
    let unknown = login(&vigie, "nobody", "wrong password 1").0;
    let wrong = login(&vigie, "admin", "wrong password 1").0;
    assert_eq!((wrong.status, wrong.code()), (401, "unauthenticated"));
    assert_eq!(wrong.text, unknown.text, "the same answer for an unknown user and a wrong password");
    // Two failures from this address so far (the unknown user counts too): eight more.
    for i in 3..=10 {
        let reply = login(&vigie, "admin", &format!("wrong password {i}")).0;
        assert_eq!(reply.status, 401, "attempt {i}");
    }
    let limited = login(&vigie, "admin", ADMIN_PASSWORD).0;
    assert_eq!((limited.status, limited.code()), (429, "too_many_requests"), "{}", limited.text);
    let retry: u64 = limited.header("retry-after").expect("Retry-After").parse().unwrap();
    assert!((1..=60).contains(&retry), "{retry}");
    assert!(limited.header("set-cookie").is_none(), "the right password, refused unchecked, opens no session");
    assert!(!vigie.log().contains("wrong password"), "attempted passwords are never logged");

    let status = send(&vigie, "GET", "/api/v1/status", &bearer(&token), None);
    assert_eq!(
        (status.json["auth"]["failedLogins"].as_u64(), status.json["auth"]["rateLimited"].as_u64()),
        (Some(10), Some(1))
    );
    let audit = vigie.wait_until(Duration::from_secs(10), "the failed logins are audited", |v| {
        let reply = send(v, "GET", "/api/v1/logs?source=audit&limit=100", &bearer(&token), None);
        let messages: Vec<String> =
            reply.json["entries"].as_array()?.iter().map(|e| e["message"].as_str().unwrap().to_string()).collect();
        messages.iter().any(|m| m.contains("refused")).then_some(messages)
    });
    let count = |text: &str| audit.iter().filter(|m| m.contains(text)).count();
    assert_eq!(count("login failed for user admin from 127.0.0.1"), 9, "{audit:#?}");
    assert_eq!(count("login failed for an unknown user from 127.0.0.1"), 1, "the made-up name is not repeated");
    assert_eq!(count("login refused (rate limit) for user admin"), 1);
    assert!(!audit.iter().any(|m| m.contains("nobody")));
}

#[test]
fn no_password_hash_or_token_in_any_answer_or_log_line() {
    let data = tempfile::tempdir().unwrap();
    let (mut vigie, initial) = start(data.path(), &[]);
    let path = data.path().join("data/initial-admin-password");
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "initial-admin-password is private");
    let auth_mode = std::fs::metadata(data.path().join("data/auth.json")).unwrap().permissions().mode() & 0o777;
    assert_eq!(auth_mode, 0o600, "auth.json is private");

    let mut answers = Vec::new();
    let (reply, admin) = login(&vigie, "admin", &initial);
    let admin = admin.unwrap();
    answers.push(reply.text);
    let new_admin_password = "a new admin password";
    let changed = send(
        &vigie,
        "POST",
        "/api/v1/session/password",
        &admin.headers(),
        Some(&json!({"currentPassword": initial, "newPassword": new_admin_password})),
    );
    assert_eq!(changed.status, 204, "{}", changed.text);
    assert!(!path.exists(), "the initial password file goes once the password is changed");
    let who = send(&vigie, "GET", "/api/v1/session", &admin.headers(), None);
    assert_eq!(who.json["mustChangePassword"], false, "the session goes on, the flag is cleared");
    let ann_password = "ann's first password";
    let added = send(
        &vigie,
        "POST",
        "/api/v1/users",
        &admin.headers(),
        Some(&json!({"username": "ann", "password": ann_password, "role": "viewer"})),
    );
    assert_eq!(added.status, 201, "{}", added.text);
    answers.push(added.text);
    let duplicate = send(
        &vigie,
        "POST",
        "/api/v1/users",
        &admin.headers(),
        Some(&json!({"username": "ann", "password": ann_password, "role": "viewer"})),
    );
    assert_eq!((duplicate.status, duplicate.code()), (409, "duplicate_user"));
    let short = send(
        &vigie,
        "POST",
        "/api/v1/users",
        &admin.headers(),
        Some(&json!({"username": "bob", "password": "short", "role": "viewer"})),
    );
    assert_eq!((short.status, short.code(), short.json["field"].as_str()), (422, "invalid_field", Some("password")));
    let last = send(&vigie, "PATCH", "/api/v1/users/admin", &admin.headers(), Some(&json!({"role": "viewer"})));
    assert_eq!((last.status, last.code()), (409, "last_admin"));
    let (ann_reply, ann) = login(&vigie, "ann", ann_password);
    let ann = ann.unwrap();
    answers.push(ann_reply.text);
    let token_reply =
        send(&vigie, "POST", "/api/v1/tokens", &admin.headers(), Some(&json!({"name": "ci", "role": "admin"})));
    let token = token_reply.json["token"].as_str().unwrap().to_string();
    let reset = send(
        &vigie,
        "PATCH",
        "/api/v1/users/ann",
        &admin.headers(),
        Some(&json!({"password": "ann's reset password"})),
    );
    assert_eq!((reset.status, reset.json["mustChangePassword"].as_bool()), (200, Some(true)));
    assert_eq!(send(&vigie, "GET", "/api/v1/session", &ann.headers(), None).status, 401, "a reset ends ann's sessions");
    answers.push(reset.text);
    for path in [
        "/api/v1/users",
        "/api/v1/tokens",
        "/api/v1/session",
        "/api/v1/status",
        "/api/v1/logs",
        "/api/v1/logs?source=audit",
    ] {
        answers.push(send(&vigie, "GET", path, &bearer(&token), None).text);
    }
    let status = send(&vigie, "GET", "/api/v1/status", &bearer(&token), None);
    assert_eq!(status.json["auth"]["enabled"], true);
    assert_eq!(status.json["auth"]["users"], 2);
    assert_eq!(status.json["auth"]["tokens"], 1);
    vigie.wait_until(Duration::from_secs(10), "the token's use reaches auth.json", |_| {
        std::fs::read_to_string(data.path().join("data/auth.json")).unwrap().contains("\"lastUsedAt\": 1").then_some(())
    });

    let records: Value =
        serde_json::from_str(&std::fs::read_to_string(data.path().join("data/auth.json")).unwrap()).unwrap();
    let mut secrets: Vec<String> = vec![
        new_admin_password.into(),
        ann_password.into(),
        "ann's reset password".into(),
        token.clone(),
        token[4..].to_string(),
        admin.cookie.clone(),
        ann.cookie.clone(),
    ];
    secrets
        .extend(records["users"].as_array().unwrap().iter().map(|u| u["passwordHash"].as_str().unwrap().to_string()));
    secrets.extend(records["tokens"].as_array().unwrap().iter().map(|t| t["hash"].as_str().unwrap().to_string()));
    // The hash's salt and digest on their own, as a log could cut them out.
    secrets.extend(
        records["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["passwordHash"].as_str().unwrap().rsplit('$').next().unwrap().to_string()),
    );
    for (i, answer) in answers.iter().enumerate() {
        for secret in secrets.iter().chain([&initial]) {
            assert!(!answer.contains(secret.as_str()), "answer {i} holds a secret: {answer}");
        }
    }
    let log = vigie.log();
    for secret in &secrets {
        assert!(!log.contains(secret.as_str()), "the log (RUST_LOG=debug) holds {secret:?}");
    }
    let lines_with_initial: Vec<&str> = log.lines().filter(|l| l.contains(&initial)).collect();
    assert_eq!(lines_with_initial.len(), 1, "the first password is logged once: {lines_with_initial:#?}");
    assert!(lines_with_initial[0].contains("created user admin"));
}

#[test]
fn auth_off_is_refused_unless_vigie_listens_on_loopback() {
    let data = tempfile::tempdir().unwrap();
    let output = Command::new(BIN)
        .args(["serve", "--auth", "off", "--listen", "0.0.0.0:0", "--syslog-udp", "off", "--syslog-tcp", "off"])
        .args(["--trap-udp", "off", "--data-dir"])
        .arg(data.path().join("data"))
        .env_remove("VIGIE_CONFIG")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("access control can be off only when Vigie listens on loopback"), "{stderr}");
    assert!(stderr.contains("0.0.0.0:0"), "{stderr}");
}

#[test]
fn with_a_certificate_vigie_serves_https_and_the_cookie_is_secure() {
    let data = tempfile::tempdir().unwrap();
    let (cert, key) = (data.path().join("cert.pem"), data.path().join("key.pem"));
    let made = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "1"])
        .args(["-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("run openssl");
    assert!(made.status.success(), "{}", String::from_utf8_lossy(&made.stderr));
    let port = crate::ports::free_tcp_port();
    let data_dir = data.path().join("data");
    let log = std::fs::File::create(data.path().join("vigie.log")).unwrap();
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--syslog-udp", "off", "--syslog-tcp", "off"])
        .args([
            "--trap-udp",
            "off",
            "--tls-cert",
            cert.to_str().unwrap(),
            "--tls-key",
            key.to_str().unwrap(),
            "--data-dir",
        ])
        .arg(&data_dir)
        .env_remove("VIGIE_CONFIG")
        .stdin(Stdio::null())
        .stdout(log.try_clone().unwrap())
        .stderr(log)
        .spawn()
        .unwrap();
    let curl = |args: &[&str]| {
        let out = Command::new("curl")
            .args(["-sS", "--max-time", "5", "--cacert", cert.to_str().unwrap()])
            .args(args)
            .output()
            .expect("run curl");
        (out.status.success(), String::from_utf8_lossy(&out.stdout).to_string())
    };
    let base = format!("https://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(20);
    let health = loop {
        let (ok, body) = curl(&[&format!("{base}/api/v1/health")]);
        if ok {
            break body;
        }
        assert!(Instant::now() < deadline && child.try_wait().unwrap().is_none(), "no HTTPS answer");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(health.contains("\"status\":\"ok\""), "{health}");
    let password = std::fs::read_to_string(data_dir.join("initial-admin-password")).unwrap();
    let body = json!({"username": "admin", "password": password.trim()}).to_string();
    let (ok, answer) =
        curl(&["-i", "-H", "content-type: application/json", "-d", &body, &format!("{base}/api/v1/session")]);
    let cookie_line =
        answer.lines().find(|l| l.to_lowercase().starts_with("set-cookie:")).unwrap_or_default().to_string();
    let _ = child.kill();
    let _ = child.wait();
    assert!(ok && cookie_line.contains("Secure") && cookie_line.contains("HttpOnly"), "{answer}");
    let plain = Command::new("curl")
        .args(["-sS", "--max-time", "5", &format!("http://127.0.0.1:{port}/api/v1/health")])
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&plain.stdout).contains("\"status\":\"ok\""), "no plain HTTP on the TLS port");
}

#[test]
fn vigie_user_edits_the_users_of_a_running_server() {
    let data = tempfile::tempdir().unwrap();
    let (mut vigie, _) = start(data.path(), &[]);
    let user = |args: &[&str], stdin: &str| {
        let mut child = Command::new(BIN)
            .arg("user")
            .args(args)
            .arg("--data-dir")
            .arg(data.path().join("data"))
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        child.stdin.take().unwrap().write_all(stdin.as_bytes()).unwrap();
        let out = child.wait_with_output().unwrap();
        (
            out.status.success(),
            format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr)),
        )
    };
    let re_reads = |v: &Vigie| v.log().matches("Users and tokens re-read").count();
    let mut before = re_reads(&vigie);
    let (ok, said) = user(&["add", "ops", "--role", "operator"], "ops password 1\n");
    assert!(ok, "{said}");
    // Log in only after the server re-read the file (a re-read of the server's own first write
    // may come first): every failed login would count against "ops" in the rate limiter.
    let mut session = None;
    for _ in 0..4 {
        vigie.wait_until(Duration::from_secs(15), "the server re-reads auth.json", |v| {
            (re_reads(v) > before).then_some(())
        });
        before = re_reads(&vigie);
        session = login(&vigie, "ops", "ops password 1").1;
        if session.is_some() {
            break;
        }
    }
    let session = session.expect("the new user logs in once the server has read the file");
    let who = send(&vigie, "GET", "/api/v1/session", &session.headers(), None);
    assert_eq!(who.json["role"], "operator");
    let (ok, said) = user(&["list"], "");
    assert!(ok && said.contains("ops") && said.contains("operator") && said.contains("admin"), "{said}");
    assert!(!said.contains("$argon2"), "{said}");
    let (ok, said) = user(&["add", "x", "--role", "viewer"], "short\n");
    assert!(!ok && said.contains("10 to 1024"), "{said}");
    let (ok, said) = user(&["remove", "admin"], "");
    assert!(!ok && said.contains("last admin"), "{said}");
    let (ok, said) = user(&["remove", "ops"], "");
    assert!(ok, "{said}");
    vigie.wait_until(Duration::from_secs(15), "the removed user's session ends", |v| {
        (send(v, "GET", "/api/v1/session", &session.headers(), None).status == 401).then_some(())
    });
}
