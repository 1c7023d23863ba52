//! Serving the web UI (embedded in the binary, or `--ui-dir`; history-API fallback) and CORS
//! (`--cors-origin`).

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

/// The UI built into the binary (`frontend/dist` at compile time: `scripts/test.sh` builds the
/// frontend before the backend), with no `--ui-dir`.
#[test]
fn the_embedded_ui_is_served_from_the_binary() {
    let data = tempfile::tempdir().unwrap();
    let vigie = Vigie::start(data.path());
    let index = vigie.request("GET", "/", &[]);
    assert_eq!(index.status(), 200);
    let text = index.text().unwrap();
    if env!("VIGIE_EMBEDDED_UI") != "1" {
        // Built without `frontend/dist`: the note says how to get the UI.
        assert!(text.contains("built without the web UI"), "{text}");
        eprintln!("this build has no embedded UI (frontend/dist was missing): only the note was checked");
        return;
    }
    let dist = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../frontend/dist");
    let on_disk = std::fs::read_to_string(dist.join("index.html")).unwrap();
    assert_eq!(text, on_disk, "the binary serves the UI it was built with");
    let index = vigie.request("GET", "/", &[]);
    assert_eq!(index.headers()["cache-control"], "no-cache");
    assert!(index.headers()["content-type"].to_str().unwrap().starts_with("text/html"));

    // One hashed asset named by index.html, plain and gzip.
    let start = text.find("/assets/").expect("index.html names a hashed asset");
    let asset = &text[start..start + text[start..].find('"').unwrap()];
    let plain = vigie.request("GET", asset, &[]);
    assert_eq!(plain.status(), 200);
    assert!(plain.headers()["cache-control"].to_str().unwrap().contains("immutable"));
    assert!(plain.headers().get("content-encoding").is_none());
    let plain_bytes = plain.bytes().unwrap();
    assert_eq!(plain_bytes, std::fs::read(dist.join(&asset[1..])).unwrap());
    let zipped = vigie.request("GET", asset, &[("Accept-Encoding", "gzip, br")]);
    assert_eq!(zipped.headers()["content-encoding"], "gzip");
    assert!(zipped.headers()["vary"].to_str().unwrap().contains("Accept-Encoding"));
    let zipped_len = zipped.bytes().unwrap().len();
    assert!(zipped_len < plain_bytes.len(), "gzip copy {zipped_len} B < {} B", plain_bytes.len());

    let deep = vigie.request("GET", "/devices/3f9a2c1b/interfaces/2?range=24h", &[]);
    assert_eq!(deep.status(), 200, "a client route opens the app");
    assert_eq!(deep.text().unwrap(), on_disk);
    for path in ["/api/x", "/api/v1/no-such-thing", "/assets/gone-0000.js"] {
        let miss = vigie.get(path);
        assert_eq!((miss.status, miss.body["code"].as_str()), (404, Some("not_found")), "{path}");
    }
    let metrics_post = vigie.request("POST", "/metrics", &[]);
    assert_ne!(metrics_post.status(), 200, "/metrics never falls back to the UI");
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
