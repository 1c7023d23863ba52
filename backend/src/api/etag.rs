//! Conditional GETs: a weak `ETag` made from the store's change counter (see
//! [`crate::store::Store::fleet_version`]) and the current minute, so that time-derived figures
//! (availability, uptime) are refreshed at least once a minute; `If-None-Match` naming it answers
//! 304 with no body. Nothing is hashed: the tag costs one atomic read.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse};

/// The `If-None-Match` request header, as the OpenAPI document names it.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)]
pub struct IfNoneMatch {
    /// The `ETag` of the copy the client holds: 304 with no body while it is current.
    #[param(rename = "If-None-Match", example = "W/\"18c1f2a3b4d-1d6a2b4\"")]
    if_none_match: Option<String>,
}

/// The tag of what `version` and the current minute describe.
pub fn tag(version: u64, now_secs: i64) -> String {
    format!("W/\"{version:x}-{:x}\"", now_secs.div_euclid(60))
}

/// The request's `If-None-Match` names `etag` (weak comparison) or is `*`.
pub fn fresh(req: &HttpRequest, etag: &str) -> bool {
    req.headers().get_all(header::IF_NONE_MATCH).filter_map(|v| v.to_str().ok()).any(|v| names(v, etag))
}

fn names(if_none_match: &str, etag: &str) -> bool {
    let opaque = |t: &str| t.trim().trim_start_matches("W/").to_string();
    if_none_match.split(',').any(|t| t.trim() == "*" || opaque(t) == opaque(etag))
}

/// 304 Not Modified for `etag`.
pub fn not_modified(etag: &str) -> HttpResponse {
    let mut response = HttpResponse::NotModified();
    with_tag(&mut response, etag);
    response.finish()
}

/// 200 with `etag` and `body` as JSON.
pub fn ok_json(etag: &str, body: &impl serde::Serialize) -> HttpResponse {
    let mut response = HttpResponse::Ok();
    with_tag(&mut response, etag);
    response.json(body)
}

fn with_tag(response: &mut actix_web::HttpResponseBuilder, etag: &str) {
    if let Ok(value) = HeaderValue::from_str(etag) {
        response.insert_header((header::ETAG, value));
    }
    // Clients may keep the body, but ask again every time.
    response.insert_header((header::CACHE_CONTROL, "no-cache"));
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn the_tag_changes_with_the_version_and_the_minute() {
        assert_eq!(tag(26, 120), "W/\"1a-2\"");
        assert_eq!(tag(26, 179), tag(26, 120));
        assert_ne!(tag(26, 180), tag(26, 120));
        assert_ne!(tag(27, 120), tag(26, 120));
    }

    #[test]
    fn if_none_match_is_compared_weakly_and_in_lists() {
        let etag = tag(5, 60);
        let req = |value: &str| TestRequest::get().insert_header((header::IF_NONE_MATCH, value)).to_http_request();
        assert!(fresh(&req(&etag), &etag));
        assert!(fresh(&req("\"5-1\""), &etag), "a strong form of the same tag matches weakly");
        assert!(fresh(&req(&format!("\"x\", {etag}")), &etag));
        assert!(fresh(&req("*"), &etag));
        assert!(!fresh(&req("W/\"6-1\""), &etag));
        assert!(!fresh(&TestRequest::get().to_http_request(), &etag));
        let response = not_modified(&etag);
        assert_eq!(response.status(), 304);
        assert_eq!(response.headers().get(header::ETAG).unwrap(), &etag);
    }
}
