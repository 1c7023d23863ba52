//! The web UI's static files, served from `--ui-dir` with the history-API fallback: any path
//! that is not a file answers `index.html`, so a shared link to `/devices/3f9a2c1b` opens the
//! right page. Unknown `/api/…` paths stay JSON errors.

use std::path::{Component, Path, PathBuf};

use actix_files::NamedFile;
use actix_web::{web, HttpRequest, HttpResponse, Responder};

use super::error::ApiError;

/// Where the built UI lives, if it is served.
#[derive(Clone)]
pub struct UiDir(pub Option<PathBuf>);

/// The default handler of the whole app.
pub async fn fallback(req: HttpRequest, ui: web::Data<UiDir>) -> Result<HttpResponse, ApiError> {
    let path = req.path();
    let Some(dir) = ui.0.as_ref().filter(|_| path != "/api" && !path.starts_with("/api/")) else {
        let method = req.method().to_string();
        return Err(match super::route_table::allowed_methods(path) {
            Some(allowed) => ApiError::MethodNotAllowed { method, path: path.to_string(), allowed },
            None => ApiError::RouteNotFound { method, path: path.to_string() },
        });
    };
    let file = safe_join(dir, path).filter(|p| p.is_file()).unwrap_or_else(|| dir.join("index.html"));
    let named = NamedFile::open_async(&file)
        .await
        .map_err(|_| ApiError::RouteNotFound { method: req.method().to_string(), path: path.to_string() })?;
    // index.html must never be cached: it names the current hashed assets.
    let cache = if file.ends_with("index.html") { "no-cache" } else { "public, max-age=31536000, immutable" };
    let mut response = named.respond_to(&req).map_into_boxed_body();
    response
        .headers_mut()
        .insert(actix_web::http::header::CACHE_CONTROL, actix_web::http::header::HeaderValue::from_static(cache));
    Ok(response)
}

/// `dir` + the request path, refusing anything that would leave `dir`.
fn safe_join(dir: &Path, request_path: &str) -> Option<PathBuf> {
    let relative = Path::new(request_path.trim_start_matches('/'));
    relative.components().all(|c| matches!(c, Component::Normal(_))).then(|| dir.join(relative))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_cannot_leave_the_ui_dir() {
        let dir = Path::new("/srv/ui");
        assert_eq!(safe_join(dir, "/assets/app.js"), Some(PathBuf::from("/srv/ui/assets/app.js")));
        assert_eq!(safe_join(dir, "/../etc/passwd"), None);
        assert_eq!(safe_join(dir, "/a/../../x"), None);
    }
}
