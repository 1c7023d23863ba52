//! Request extractors whose failures are [`ApiError`]s naming the field at fault, so bad JSON,
//! bad fields and bad query parameters all answer in the one error shape.

use std::future::Future;
use std::pin::Pin;

use std::time::Duration;

use actix_web::dev::Payload;
use actix_web::error::PayloadError;
use actix_web::web::BytesMut;
use actix_web::{FromRequest, HttpRequest};
use futures_util::StreamExt;
use serde::de::DeserializeOwned;

use super::body_limit::BodyDeadline;
pub use super::body_limit::MAX_BODY_BYTES;
use super::error::ApiError;
use super::views::json_shape::Object;

/// A JSON body, deserialized with the path of the field at fault on error. Its size and
/// arrival time are bounded by [`super::body_limit`].
pub struct JsonBody<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<mime::Mime>().ok())
            .is_some_and(|m| m.subtype() == mime::JSON || m.suffix() == Some(mime::JSON));
        let deadline = req.app_data::<BodyDeadline>().map_or(Duration::from_secs(10), |d| d.0);
        let payload = payload.take();
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::UnsupportedMediaType);
            }
            let body = read_limited(payload, deadline).await?;
            parse_json(&body).map(JsonBody)
        })
    }
}

/// A request body read whole, at most [`MAX_BODY_BYTES`], within `deadline` (the request's
/// [`BodyDeadline`]).
pub async fn read_limited(mut payload: Payload, deadline: Duration) -> Result<BytesMut, ApiError> {
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|e| body_error(e, deadline))?;
        if body.len() + chunk.len() > MAX_BODY_BYTES {
            return Err(ApiError::PayloadTooLarge { limit_bytes: MAX_BODY_BYTES });
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body)
}

fn body_error(error: PayloadError, deadline: Duration) -> ApiError {
    match error {
        PayloadError::Overflow => ApiError::PayloadTooLarge { limit_bytes: MAX_BODY_BYTES },
        PayloadError::Io(e) if e.kind() == std::io::ErrorKind::TimedOut => {
            ApiError::BodyTimeout { after_secs: deadline.as_secs() }
        }
        other => ApiError::InvalidJson { reason: format!("the body could not be read: {other}") },
    }
}

/// Deserializes JSON: syntax errors are `invalid_json` (400); well-formed JSON of the wrong
/// shape is `invalid_field` (422) naming the field's path, e.g. `snmp.community`.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map(|Object(value)| value).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return ApiError::InvalidJson { reason: inner.to_string() };
        }
        let reason = strip_position(&inner.to_string());
        // serde's path already ends at an unknown field, but stops at the parent of a missing one
        // (and of a field a tagged union refuses for its version, `views::snmp`).
        let field = match (named_field(&reason), path.as_str()) {
            (Some(name), ".") => name.to_string(),
            (Some(name), parent) if !parent.ends_with(&format!(".{name}")) && parent != name => {
                format!("{parent}.{name}")
            }
            (_, ".") => "body".to_string(),
            _ => path,
        };
        ApiError::InvalidField { field, reason }
    })
}

/// The field a "missing field `x`" or "unknown field `x`" error names.
fn named_field(reason: &str) -> Option<&str> {
    let rest = reason.strip_prefix("missing field `").or_else(|| reason.strip_prefix("unknown field `"))?;
    rest.split('`').next()
}

fn strip_position(message: &str) -> String {
    match message.find(" at line ") {
        Some(i) => message[..i].to_string(),
        None => message.to_string(),
    }
}

/// Query parameters, deserialized with the name of the parameter at fault on error.
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned> FromRequest for QueryParams<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let parsed = serde_urlencoded::Deserializer::new(form_urlencoded::parse(req.query_string().as_bytes()));
        let result = serde_path_to_error::deserialize(parsed).map(QueryParams).map_err(|e| {
            ApiError::InvalidParameter { param: e.path().to_string(), reason: e.into_inner().to_string() }
        });
        std::future::ready(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::views::NewDevice;

    fn field_of(json: &str) -> (String, String) {
        match parse_json::<NewDevice>(json.as_bytes()) {
            Err(ApiError::InvalidField { field, reason }) => (field, reason),
            Err(ApiError::InvalidJson { reason }) => ("<json>".into(), reason),
            other => panic!("unexpected {:?}", other.map(|_| ())),
        }
    }

    #[test]
    fn shape_errors_name_the_field() {
        assert_eq!(field_of(r#"{"snmp":{"version":"v2c","community":"x"}}"#).0, "host");
        assert_eq!(field_of(r#"{"host":"h","snmp":{"version":"v2c"}}"#).0, "snmp.community");
        assert_eq!(field_of(r#"{"host":"h","port":70000,"snmp":{"version":"v2c","community":"x"}}"#).0, "port");
        assert_eq!(field_of(r#"{"host":"h","snmp":{"version":"v9","community":"x"}}"#).0, "snmp.version");
        assert_eq!(field_of(r#"{"host":"h","colour":1,"snmp":{"version":"v2c","community":"x"}}"#).0, "colour");
        assert_eq!(field_of(r#"{"host":"h","snmp":{"version":"v2c","community":"x","colour":1}}"#).0, "snmp.colour");
        assert_eq!(field_of(r#"{"host":"h","snmp":{"version":"v3","securityLevel":"authPriv"}}"#).0, "snmp.user");
        let v3 =
            r#"{"host":"h","snmp":{"version":"v3","user":"u","securityLevel":"authNoPriv","authProtocol":"sha999"}}"#;
        let (field, reason) = field_of(v3);
        assert_eq!(field, "snmp.authProtocol");
        assert!(reason.starts_with("unknown variant `sha999`, expected one of `md5`"), "{reason}");
        let (field, reason) = field_of(r#"{"host":"h","snmp":{"version":"v3","user":"u","securityLevel":"x"}}"#);
        assert_eq!(field, "snmp.securityLevel", "{reason}");
        let (field, reason) = field_of(r#"{"host":"h","snmp":{"user":"u","version":"v1","community":"c"}}"#);
        assert_eq!((field.as_str(), reason.as_str()), ("snmp.user", "unknown field `user`: SNMP v1 has no such field"));
        let v3_with_community =
            r#"{"host":"h","snmp":{"version":"v3","community":"c","user":"u","securityLevel":"noAuthNoPriv"}}"#;
        assert_eq!(field_of(v3_with_community).0, "snmp.community");
        assert_eq!(
            field_of(r#"{"host":"h","snmp":{"version":"v3","user":7,"securityLevel":"noAuthNoPriv"}}"#).0,
            "snmp.user"
        );
        assert_eq!(field_of("1").0, "body");
        assert_eq!(field_of(r#"{"host": "#).0, "<json>");
    }
}
