//! What the OpenAPI document says of access control, so a generated client sends credentials:
//! the two security schemes (`session`: the `vigie_session` cookie; `token`: `Authorization:
//! Bearer vgt_…`), each operation's requirement, its `x-required-role`, and its 401 and 403
//! answers. Handlers enforce the same roles with `Authorized<R>`; the integration test
//! `auth::every_operation_enforces_what_the_document_declares` checks both agree.

use utoipa::openapi::extensions::ExtensionsBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::ResponseBuilder;
use utoipa::openapi::security::{
    ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme,
};
use utoipa::openapi::{Content, OpenApi, Ref, RefOr};

use super::access::{OPEN_ROUTES, SESSION_COOKIE};
use crate::auth::Role;

/// What an operation needs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Access {
    /// No credentials: health and login.
    Open,
    /// At least this role. `Viewer` is any authenticated principal but a `poller` token; `Poller` is
    /// such a token only.
    Role(Role),
}

/// The rule, in one place: users, tokens and SNMPv3 trap users (credentials all) are for
/// admins; the poller endpoints for `poller` tokens only; other changes for operators;
/// reading, and one's own session, for any role.
pub fn access(method: &str, path: &str, tag: &str) -> Access {
    if OPEN_ROUTES.iter().any(|(m, p)| *m == method && *p == path) {
        return Access::Open;
    }
    match (tag, method) {
        ("users" | "tokens" | "trap-users", _) => Access::Role(Role::Admin),
        ("poller", _) => Access::Role(Role::Poller),
        ("session", _) | (_, "GET") => Access::Role(Role::Viewer),
        _ => Access::Role(Role::Operator),
    }
}

/// Adds the schemes, and each operation's requirement and answers.
pub fn declare(doc: &mut OpenApi) {
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        "session",
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            SESSION_COOKIE,
            "The web UI's session, set by POST /api/v1/session. Requests that change something also \
             send the session's CSRF token as `X-CSRF-Token`, from this site only.",
        ))),
    );
    components.add_security_scheme(
        "token",
        SecurityScheme::Http(
            HttpBuilder::new()
                .scheme(HttpAuthScheme::Bearer)
                .bearer_format("vgt_…")
                .description(Some("An API token made by an admin (POST /api/v1/tokens)"))
                .build(),
        ),
    );
    for (path, item) in doc.paths.paths.iter_mut() {
        let operations = [
            ("GET", &mut item.get),
            ("POST", &mut item.post),
            ("PATCH", &mut item.patch),
            ("PUT", &mut item.put),
            ("DELETE", &mut item.delete),
        ];
        for (method, operation) in operations {
            if let Some(operation) = operation.as_mut() {
                let tag = operation.tags.as_ref().and_then(|t| t.first()).cloned().unwrap_or_default();
                declare_operation(operation, method, path, access(method, path, &tag));
            }
        }
    }
}

fn declare_operation(operation: &mut Operation, method: &str, path: &str, access: Access) {
    let Access::Role(role) = access else { return };
    operation.security = Some(vec![
        SecurityRequirement::new::<_, [&str; 0], &str>("session", []),
        SecurityRequirement::new::<_, [&str; 0], &str>("token", []),
    ]);
    let extensions = ExtensionsBuilder::new().add("x-required-role", role.name()).build();
    operation.extensions.get_or_insert_with(Default::default).merge(extensions);
    let error = |description: String| {
        let body = Content::new(Some(Ref::from_schema_name("ApiErrorBody")));
        RefOr::T(ResponseBuilder::new().description(description).content("application/json", body).build())
    };
    let responses = &mut operation.responses.responses;
    responses.entry("401".into()).or_insert_with(|| {
        error("No valid credentials (`unauthenticated`): log in or send a token; `WWW-Authenticate` says how".into())
    });
    let mut reasons = Vec::new();
    if role == Role::Poller {
        reasons.push(
            "only a token with the poller role may call this (`forbidden`); asked over plain HTTP from \
             another host than loopback while the primary does not allow it (`feed_needs_tls`)"
                .to_string(),
        );
    } else if role != Role::Viewer {
        reasons.push(format!("the {} role is needed (`forbidden`)", role.name()));
    }
    if method != "GET" {
        reasons.push("with a cookie, sent from another site or without `X-CSRF-Token` (`csrf_failed`)".to_string());
    }
    if !super::access::PASSWORD_CHANGE_ROUTES.contains(&(method, path)) {
        reasons.push("the session must change its password first (`password_change_required`)".to_string());
    }
    let forbidden = (!reasons.is_empty()).then(|| {
        let text = reasons.join("; ");
        text[..1].to_uppercase() + &text[1..]
    });
    if let Some(description) = forbidden {
        responses.entry("403".into()).or_insert_with(|| error(description));
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_operation_declares_its_access() {
        let doc = crate::api::openapi();
        let schemes = &doc.components.as_ref().unwrap().security_schemes;
        assert!(schemes.contains_key("session") && schemes.contains_key("token"));
        let mut open = Vec::new();
        for (path, item) in &doc.paths.paths {
            for (method, op) in
                [("GET", &item.get), ("POST", &item.post), ("PATCH", &item.patch), ("DELETE", &item.delete)]
            {
                let Some(op) = op else { continue };
                if op.security.is_none() {
                    open.push(format!("{method} {path}"));
                } else {
                    assert!(op.responses.responses.contains_key("401"), "{method} {path}");
                }
            }
        }
        open.sort();
        assert_eq!(open, ["GET /api/v1/health", "GET /health", "GET /readyz", "POST /api/v1/session"]);
    }
}
