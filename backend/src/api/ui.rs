//! The web UI's static files: embedded in the binary at build time (see `build.rs`), or read
//! from `--ui-dir` while developing the UI. History-API fallback: a path that is no file answers
//! `index.html`, so a shared link to `/devices/3f9a2c1b` opens the right page; a missing
//! `/assets/…` file is a 404 (a stale page must not get HTML for a script). The server's own
//! paths (`/api/…`, `/metrics`, `/docs…`, `/health`, `/readyz`) never fall back to the UI.
//! Cache headers: hashed assets immutable, `index.html` `no-cache` (it names the current assets).

use std::path::{Component, Path, PathBuf};

use actix_files::NamedFile;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse, Responder};

use super::error::ApiError;

/// One file of the built UI, compiled into the binary.
pub struct EmbeddedFile {
    /// Relative to `frontend/dist`, with `/` separators (`index.html`, `assets/index-CB_wLeK8.js`).
    pub path: &'static str,
    pub content_type: &'static str,
    pub raw: &'static [u8],
    /// A gzip copy, made at build time for text that compresses well.
    pub gzip: Option<&'static [u8]>,
}

mod embedded {
    use super::EmbeddedFile;
    include!(concat!(env!("OUT_DIR"), "/embedded_ui.rs"));
}

/// Whether this binary was built with the web UI in it.
pub const EMBEDDED: bool = matches!(env!("VIGIE_EMBEDDED_UI").as_bytes(), b"1");

const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// Where the UI's files come from.
#[derive(Clone)]
pub enum Ui {
    /// A directory (`--ui-dir`), read at each request.
    Dir(PathBuf),
    /// Compiled in, sorted by path; empty when the binary was built without the UI.
    Embedded(&'static [EmbeddedFile]),
}

impl Ui {
    /// `--ui-dir` when given, else the files built into the binary.
    pub fn new(dir: Option<PathBuf>) -> Ui {
        dir.map_or(Ui::Embedded(embedded::FILES), Ui::Dir)
    }
}

/// The default handler of the whole app.
pub async fn fallback(req: HttpRequest, ui: web::Data<Ui>) -> Result<HttpResponse, ApiError> {
    let path = req.path();
    if !is_ui_path(path) || !matches!(*req.method(), Method::GET | Method::HEAD) {
        let method = req.method().to_string();
        return Err(match super::route_table::allowed_methods(path) {
            Some(allowed) => ApiError::MethodNotAllowed { method, path: path.to_string(), allowed },
            None => ApiError::RouteNotFound { method, path: path.to_string() },
        });
    }
    let not_found = || ApiError::RouteNotFound { method: req.method().to_string(), path: path.to_string() };
    match ui.get_ref() {
        Ui::Dir(dir) => serve_dir(&req, dir).await.ok_or_else(not_found),
        Ui::Embedded(files) => serve_embedded(files, path, accepts_gzip(&req)).ok_or_else(not_found),
    }
}

/// Paths the UI may answer: everything but the server's own.
fn is_ui_path(path: &str) -> bool {
    let own = |prefix: &str| path == prefix || path.starts_with(&format!("{prefix}/"));
    !(own("/api") || own("/metrics") || own("/docs") || own("/health") || own("/readyz"))
}

/// A missing file under `/assets/` is a miss, not a page of the app.
fn falls_back(path: &str) -> bool {
    !path.starts_with("/assets/")
}

/// The embedded file for `path`, the note of a binary built without the UI, or None (404).
fn serve_embedded(files: &[EmbeddedFile], path: &str, gzip_ok: bool) -> Option<HttpResponse> {
    if files.is_empty() {
        let status = if path == "/" { 200 } else { 404 };
        return Some(
            HttpResponse::build(actix_web::http::StatusCode::from_u16(status).expect("a valid status"))
                .content_type("text/html; charset=utf-8")
                .insert_header((header::CACHE_CONTROL, "no-cache"))
                .body(NO_UI_NOTE),
        );
    }
    let find = |name: &str| files.binary_search_by(|f| f.path.cmp(name)).ok().map(|i| &files[i]);
    let file = match find(path.trim_start_matches('/')).filter(|_| path != "/") {
        Some(file) => file,
        None if falls_back(path) => find("index.html")?,
        None => return None,
    };
    let cache = if file.path == "index.html" { "no-cache" } else { IMMUTABLE };
    let mut response = HttpResponse::Ok();
    response.content_type(file.content_type).insert_header((header::CACHE_CONTROL, cache));
    let Some(gzip) = file.gzip else { return Some(response.body(file.raw)) };
    response.insert_header((header::VARY, "Accept-Encoding"));
    if gzip_ok {
        response.insert_header((header::CONTENT_ENCODING, "gzip"));
        return Some(response.body(gzip));
    }
    Some(response.body(file.raw))
}

/// `Accept-Encoding` names gzip (or `*`) with a weight above zero.
fn accepts_gzip(req: &HttpRequest) -> bool {
    let Some(value) = req.headers().get(header::ACCEPT_ENCODING).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    value.split(',').any(|coding| {
        let mut parts = coding.split(';').map(str::trim);
        let name = parts.next().unwrap_or_default();
        let refused = parts.any(|p| p.strip_prefix("q=").and_then(|q| q.parse::<f32>().ok()) == Some(0.0));
        (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
    })
}

/// A file of `--ui-dir`, or its `index.html` for a client route.
async fn serve_dir(req: &HttpRequest, dir: &Path) -> Option<HttpResponse> {
    let path = req.path();
    let file = match safe_join(dir, path).filter(|p| p.is_file()) {
        Some(file) => file,
        None if falls_back(path) => dir.join("index.html"),
        None => return None,
    };
    let named = NamedFile::open_async(&file).await.ok()?;
    let cache = if file.ends_with("index.html") { "no-cache" } else { IMMUTABLE };
    let mut response = named.respond_to(req).map_into_boxed_body();
    response.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    Some(response)
}

/// `dir` + the request path, refusing anything that would leave `dir`.
fn safe_join(dir: &Path, request_path: &str) -> Option<PathBuf> {
    let relative = Path::new(request_path.trim_start_matches('/'));
    relative.components().all(|c| matches!(c, Component::Normal(_))).then(|| dir.join(relative))
}

/// What `/` answers in a binary built without `frontend/dist`.
pub const NO_UI_NOTE: &str = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
<title>Vigie: no web UI in this binary</title><link rel=\"icon\" href=\"data:,\"></head>\n\
<body><h1>Vigie</h1><p>This binary was built without the web UI: run <code>scripts/run.sh</code> \
or build <code>frontend</code> first (<code>npm run build</code> in <code>frontend/</code>, then \
<code>cargo build -p vigie</code>).</p>\n<p>The API is at <a href=\"/api/v1/health\">/api/v1</a>, \
docs at <a href=\"/docs/\">/docs/</a>.</p></body></html>\n";

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::MessageBody;

    static FILES: &[EmbeddedFile] = &[
        EmbeddedFile { path: "assets/app-1234.js", content_type: "text/javascript", raw: b"raw js", gzip: Some(b"gz") },
        EmbeddedFile { path: "favicon.png", content_type: "image/png", raw: b"png", gzip: None },
        EmbeddedFile { path: "index.html", content_type: "text/html", raw: b"<title>Vigie</title>", gzip: None },
    ];

    fn body(response: HttpResponse) -> Vec<u8> {
        response.into_body().try_into_bytes().unwrap().to_vec()
    }

    fn header_of(response: &HttpResponse, name: header::HeaderName) -> Option<&str> {
        response.headers().get(name).map(|v| v.to_str().unwrap())
    }

    #[test]
    fn paths_cannot_leave_the_ui_dir() {
        let dir = Path::new("/srv/ui");
        assert_eq!(safe_join(dir, "/assets/app.js"), Some(PathBuf::from("/srv/ui/assets/app.js")));
        assert_eq!(safe_join(dir, "/../etc/passwd"), None);
        assert_eq!(safe_join(dir, "/a/../../x"), None);
    }

    #[test]
    fn the_server_paths_never_fall_back_to_the_ui() {
        for path in ["/api", "/api/v1/x", "/metrics", "/docs", "/docs/index.html", "/health", "/readyz"] {
            assert!(!is_ui_path(path), "{path}");
        }
        for path in ["/", "/devices/3f9a", "/healthy", "/apis", "/assets/x.js"] {
            assert!(is_ui_path(path), "{path}");
        }
    }

    #[test]
    fn embedded_files_carry_their_cache_headers_and_gzip_copy() {
        let index = serve_embedded(FILES, "/", true).unwrap();
        assert_eq!(header_of(&index, header::CACHE_CONTROL), Some("no-cache"));
        assert_eq!(body(index), b"<title>Vigie</title>");
        let deep = serve_embedded(FILES, "/devices/3f9a/interfaces/2", true).unwrap();
        assert_eq!(body(deep), b"<title>Vigie</title>", "a client route opens the app");

        let zipped = serve_embedded(FILES, "/assets/app-1234.js", true).unwrap();
        assert_eq!(header_of(&zipped, header::CACHE_CONTROL), Some(IMMUTABLE));
        assert_eq!(header_of(&zipped, header::CONTENT_ENCODING), Some("gzip"));
        assert_eq!(header_of(&zipped, header::VARY), Some("Accept-Encoding"));
        assert_eq!(body(zipped), b"gz");
        let plain = serve_embedded(FILES, "/assets/app-1234.js", false).unwrap();
        assert_eq!(header_of(&plain, header::CONTENT_ENCODING), None);
        assert_eq!(body(plain), b"raw js");
        let image = serve_embedded(FILES, "/favicon.png", true).unwrap();
        assert_eq!((header_of(&image, header::CONTENT_ENCODING), header_of(&image, header::VARY)), (None, None));

        assert!(serve_embedded(FILES, "/assets/gone-9999.js", true).is_none(), "a missing asset is no page");
    }

    #[test]
    fn a_binary_without_the_ui_says_how_to_get_it() {
        let note = serve_embedded(&[], "/", true).unwrap();
        assert_eq!(note.status(), 200);
        assert_eq!(header_of(&note, header::CONTENT_TYPE), Some("text/html; charset=utf-8"));
        let text = String::from_utf8(body(note)).unwrap();
        assert!(text.contains(
            "built without the web UI: run <code>scripts/run.sh</code> or build <code>frontend</code> first"
        ));
        assert!(text.contains("The API is at") && text.contains("/api/v1") && text.contains("docs at"));
        assert_eq!(serve_embedded(&[], "/devices/1", true).unwrap().status(), 404);
    }

    #[test]
    fn gzip_is_sent_only_when_accepted() {
        let accepts = |value: &str| {
            let req =
                actix_web::test::TestRequest::get().insert_header((header::ACCEPT_ENCODING, value)).to_http_request();
            accepts_gzip(&req)
        };
        assert!(accepts("gzip, deflate, br"));
        assert!(accepts("br;q=1.0, gzip;q=0.5"));
        assert!(accepts("*"));
        assert!(!accepts("br"));
        assert!(!accepts("gzip;q=0"));
        assert!(!accepts("identity"));
        assert!(!accepts_gzip(&actix_web::test::TestRequest::get().to_http_request()));
    }
}
