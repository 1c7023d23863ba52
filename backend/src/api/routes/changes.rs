//! What the alerting routes that change things (rules, maintenance windows, channels) do around
//! their domain call, once: say what changed in the server log as a sentence and in the audit log
//! with who did it, and answer 201 naming the new resource. Each handler keeps its own OpenAPI
//! description (one per route, as the spec wants); the domain call runs through
//! [`crate::api::error::blocking`].

use actix_web::HttpResponse;
use serde::Serialize;

use crate::api::AppState;
use crate::shown::Shown;
use crate::store::logs::Severity;

/// Logs "<What>." and writes the audit entry naming `actor` (no device: these are settings).
pub fn record(state: &AppState, actor: &str, what: String) {
    log::info!("{}.", Shown(&capitalised(&what)));
    state.sink.audit(actor, None, Severity::Informational, what);
}

/// 201 with `Location` naming the new resource.
pub fn created(location: String, body: &impl Serialize) -> HttpResponse {
    HttpResponse::Created().insert_header(("Location", location)).json(body)
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |first| first.to_uppercase().chain(chars).collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_change_is_logged_as_a_sentence() {
        assert_eq!(
            super::capitalised("alert rule Core down (1a2b3c4d) added"),
            "Alert rule Core down (1a2b3c4d) added"
        );
        assert_eq!(super::capitalised(""), "");
    }
}
