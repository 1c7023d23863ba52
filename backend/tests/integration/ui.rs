//! Serving the web UI (`--ui-dir`, history-API fallback) and CORS (`--cors-origin`).

use crate::vigie::Vigie;

#[test]
fn the_ui_is_served_with_fallback_and_api_misses_stay_json() {
    let data = tempfile::tempdir().unwrap();
    let ui = data.path().join("ui");
    std::fs::create_dir_all(ui.join("assets")).unwrap();
    std::fs::write(ui.join("index.html"), "<!doctype html><title>Vigie</title>").unwrap();
    std::fs::write(ui.join("assets/app-1234.js"), "console.log(1)").unwrap();
    let vigie = Vigie::start_with(&data.path().join("data"), &["--ui-dir", ui.to_str().unwrap()]);

    let index = vigie.request("GET", "/", &[]);
    assert_eq!(index.status(), 200);
    assert_eq!(index.headers()["cache-control"], "no-cache");
    assert!(index.text().unwrap().contains("<title>Vigie</title>"));
    let deep = vigie.request("GET", "/devices/3f9a2c1b/interfaces/2?range=24h", &[]);
    assert_eq!(deep.status(), 200, "a shared link opens the app");
    assert!(deep.text().unwrap().contains("<title>Vigie</title>"));
    let asset = vigie.request("GET", "/assets/app-1234.js", &[]);
    assert_eq!(asset.status(), 200);
    assert!(asset.headers()["content-type"].to_str().unwrap().contains("javascript"));
    assert!(asset.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    let escape = vigie.request("GET", "/../../etc/passwd", &[]);
    assert!(!escape.text().unwrap().contains("root:"), "no path escapes the UI directory");
    let miss = vigie.get("/api/v1/no-such-thing");
    assert_eq!((miss.status, miss.body["code"].as_str()), (404, Some("not_found")));
}

#[test]
fn cors_allows_only_the_configured_origins() {
    let data = tempfile::tempdir().unwrap();
    let vigie = Vigie::start_with(&data.path().join("data"), &["--cors-origin", "https://noc.example.net"]);
    let preflight = |origin: &str| {
        vigie.request(
            "OPTIONS",
            "/api/v1/devices",
            &[
                ("Origin", origin),
                ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "content-type"),
            ],
        )
    };
    let allowed = preflight("https://noc.example.net");
    assert_eq!(
        allowed.headers().get("access-control-allow-origin").map(|v| v.to_str().unwrap()),
        Some("https://noc.example.net")
    );
    let refused = preflight("https://evil.example.com");
    assert!(refused.headers().get("access-control-allow-origin").is_none());
    let plain = vigie.request("GET", "/api/v1/devices", &[("Origin", "https://evil.example.com")]);
    assert!(plain.headers().get("access-control-allow-origin").is_none());
}
