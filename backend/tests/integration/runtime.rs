//! The server as an orchestrator sees it: `/health` and `/readyz` without credentials, `/docs`
//! redirected; receivers that cannot bind do not stop it (and start once their port frees);
//! SIGTERM ends open event streams at once.

use crate::vigie::Vigie;

#[test]
fn health_and_readiness_answer_json_without_credentials() {
    let data = tempfile::tempdir().unwrap();
    let vigie = Vigie::start_with(data.path(), &["--auth", "on"]);
    let api = vigie.get("/api/v1/health");
    let root = vigie.get("/health");
    assert_eq!((api.status, root.status), (200, 200), "{}", root.text);
    assert_eq!(root.body["status"], "ok");
    assert_eq!(root.body["version"], api.body["version"]);
    let ready = vigie.get("/readyz");
    assert_eq!(ready.status, 200, "{}", ready.text);
    assert_eq!(ready.body, serde_json::json!({"ready": true, "status": "ready"}));
    let status = vigie.get("/api/v1/status");
    assert_eq!(status.status, 401, "the rest still needs credentials");
    let wrong_method = vigie.raw("POST", "/health", "application/json", "{}".into());
    assert_eq!(wrong_method.status, 405, "{}", wrong_method.text);

    let no_redirects =
        reqwest::blocking::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let docs = no_redirects.get(vigie.url("/docs")).send().unwrap();
    assert!(docs.status().is_redirection(), "{}", docs.status());
    assert_eq!(docs.headers()["location"], "/docs/");
    let swagger = vigie.request("GET", "/docs/", &[]);
    assert_eq!(swagger.status(), 200);
    assert!(swagger.text().unwrap().to_lowercase().contains("swagger"));
}
