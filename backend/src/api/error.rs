//! The only code that knows HTTP statuses: every error of the domain, the store and the request
//! extractors maps here, exhaustively, to a status and a stable snake_case `code`. The body is
//! always `{"code", "message", "field"}`.

use crate::alerts::AlertError;
use crate::notify::NotifyError;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::AuthError;
use crate::device::InvalidField;
use crate::history::HistoryError;
use crate::store::StoreError;

/// Every error answer of the API.
#[derive(Debug, Serialize, ToSchema)]
pub struct ApiErrorBody {
    /// Stable machine-readable code: invalid_json, invalid_field, invalid_parameter,
    /// unsupported_media_type, payload_too_large, request_timeout, method_not_allowed,
    /// too_many_streams, device_not_found, interface_not_found, duplicate_device,
    /// trap_user_not_found, duplicate_trap_user, not_found,
    /// storage_full, storage_error, internal_error; access control: unauthenticated, forbidden,
    /// csrf_failed, too_many_requests, busy, duplicate_user, user_not_found, token_not_found,
    /// last_admin; alerts: channel_not_found, too_many_channels, rule_not_found,
    /// window_not_found, incident_not_found, too_many_rules, too_many_windows; history from a TSDB:
    /// history_unreachable, history_timeout, history_refused, history_too_large, history_bad_answer.
    #[schema(example = "invalid_field")]
    pub code: &'static str,
    /// What went wrong, naming the field at fault.
    #[schema(example = "snmp.community: must not be empty")]
    pub message: String,
    /// JSON path of the field (or name of the parameter) at fault, when one is.
    #[schema(example = "snmp.community")]
    pub field: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("request body is not valid JSON: {reason}")]
    InvalidJson { reason: String },
    #[error("{field}: {reason}")]
    InvalidField { field: String, reason: String },
    #[error("parameter {param}: {reason}")]
    InvalidParameter { param: String, reason: String },
    #[error("request body must be JSON (Content-Type: application/json)")]
    UnsupportedMediaType,
    #[error("request body is larger than {limit_bytes} bytes")]
    PayloadTooLarge { limit_bytes: usize },
    #[error("the request body did not arrive within {after_secs} seconds")]
    BodyTimeout { after_secs: u64 },
    #[error("{method} is not allowed on {path}; allowed: {allowed}")]
    MethodNotAllowed { method: String, path: String, allowed: String },
    #[error("too many event streams are open (the limit is {limit}); try again later")]
    TooManyStreams { limit: usize },
    #[error("too many event streams are open from your address (the limit is {limit}); try again later")]
    TooManyStreamsFromAddress { limit: usize },
    #[error("no such route: {method} {path}")]
    RouteNotFound { method: String, path: String },
    /// The poller feed holds credentials: over TLS, to a loopback peer, or where the primary opted in.
    #[error("devices' credentials leave only over TLS or to a loopback peer (set [cluster] feed_without_tls = true on the primary to allow plain HTTP)")]
    FeedNeedsTls,
    #[error("this Vigie is not a primary (--role primary): it has no pollers to feed")]
    NotAPrimary,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("a blocking task was lost before it answered (the server is shutting down?)")]
    TaskLost,
    #[error(transparent)]
    Auth(AuthError),
    #[error(transparent)]
    Alert(AlertError),
    #[error(transparent)]
    Notify(NotifyError),
    #[error(transparent)]
    History(HistoryError),
}

/// A store fault or a lost task of the history answers as any other; the TSDB's are its own.
impl From<HistoryError> for ApiError {
    fn from(e: HistoryError) -> Self {
        match e {
            HistoryError::Store(store) => ApiError::Store(store),
            HistoryError::TaskLost => ApiError::TaskLost,
            other => ApiError::History(other),
        }
    }
}

/// A field or store fault of alerting answers as any other; the rest are its own.
impl From<AlertError> for ApiError {
    fn from(e: AlertError) -> Self {
        match e {
            AlertError::Invalid(field) => field.into(),
            AlertError::Store(store) => ApiError::Store(store),
            other => ApiError::Alert(other),
        }
    }
}

/// A field or store fault of notifications answers as any other; the rest are their own.
impl From<NotifyError> for ApiError {
    fn from(e: NotifyError) -> Self {
        match e {
            NotifyError::Invalid(field) => field.into(),
            NotifyError::Store(store) => ApiError::Store(store),
            other => ApiError::Notify(other),
        }
    }
}

/// A field or store fault of access control answers as any other; the rest are its own.
impl From<AuthError> for ApiError {
    fn from(e: AuthError) -> Self {
        match e {
            AuthError::Invalid(field) => field.into(),
            AuthError::Store(store) => ApiError::Store(store),
            other => ApiError::Auth(other),
        }
    }
}

impl From<InvalidField> for ApiError {
    fn from(e: InvalidField) -> Self {
        ApiError::InvalidField { field: e.field.to_string(), reason: e.reason }
    }
}

impl ApiError {
    fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidJson { .. } => "invalid_json",
            ApiError::InvalidField { .. } => "invalid_field",
            ApiError::InvalidParameter { .. } => "invalid_parameter",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::PayloadTooLarge { .. } => "payload_too_large",
            ApiError::BodyTimeout { .. } => "request_timeout",
            ApiError::MethodNotAllowed { .. } => "method_not_allowed",
            ApiError::TooManyStreams { .. } | ApiError::TooManyStreamsFromAddress { .. } => "too_many_streams",
            ApiError::RouteNotFound { .. } => "not_found",
            ApiError::FeedNeedsTls => "feed_needs_tls",
            ApiError::NotAPrimary => "not_a_primary",
            ApiError::Store(e) => match e {
                StoreError::DeviceNotFound { .. } => "device_not_found",
                StoreError::InterfaceNotFound { .. } => "interface_not_found",
                StoreError::DuplicateDevice { .. } => "duplicate_device",
                StoreError::DuplicateTrapUser { .. } => "duplicate_trap_user",
                StoreError::TrapUserNotFound { .. } => "trap_user_not_found",
                StoreError::ParentNotFound { .. } | StoreError::ParentCycle { .. } => "invalid_field",
                StoreError::Io { source, .. } if is_full(source) => "storage_full",
                StoreError::Io { .. } | StoreError::Corrupt { .. } => "storage_error",
            },
            ApiError::TaskLost => "internal_error",
            ApiError::History(e) => match e {
                HistoryError::Unreachable { .. } => "history_unreachable",
                HistoryError::Timeout { .. } => "history_timeout",
                HistoryError::Refused { .. } => "history_refused",
                HistoryError::TooLarge { .. } => "history_too_large",
                HistoryError::BadAnswer { .. } => "history_bad_answer",
                // Peeled off by `From`: answered as store faults and lost tasks are.
                HistoryError::Store(_) => "storage_error",
                HistoryError::TaskLost => "internal_error",
            },
            ApiError::Notify(e) => match e {
                NotifyError::ChannelNotFound { .. } => "channel_not_found",
                NotifyError::TooManyChannels { .. } => "too_many_channels",
                // Peeled off by `From`: answered as fields and store faults are.
                NotifyError::Invalid(_) => "invalid_field",
                NotifyError::Store(_) => "storage_error",
            },
            ApiError::Alert(e) => match e {
                AlertError::RuleNotFound { .. } => "rule_not_found",
                AlertError::WindowNotFound { .. } => "window_not_found",
                AlertError::IncidentNotFound { .. } => "incident_not_found",
                AlertError::TooManyRules { .. } => "too_many_rules",
                AlertError::TooManyWindows { .. } => "too_many_windows",
                AlertError::Invalid(_) => "invalid_field",
                AlertError::Store(_) => "storage_error",
            },
            ApiError::Auth(e) => match e {
                AuthError::BadCredentials | AuthError::Unauthenticated { .. } => "unauthenticated",
                AuthError::Forbidden { .. } | AuthError::NotAUser { .. } => "forbidden",
                AuthError::CsrfFailed { .. } => "csrf_failed",
                AuthError::PasswordChangeRequired { .. } => "password_change_required",
                AuthError::RateLimited { .. } => "too_many_requests",
                AuthError::Busy => "busy",
                AuthError::DuplicateUser { .. } => "duplicate_user",
                AuthError::UserNotFound { .. } => "user_not_found",
                AuthError::TokenNotFound { .. } => "token_not_found",
                AuthError::LastAdmin { .. } => "last_admin",
                AuthError::Invalid(_) => "invalid_field",
                AuthError::Store(_) | AuthError::Hashing(_) => "internal_error",
            },
        }
    }

    fn field(&self) -> Option<String> {
        match self {
            ApiError::InvalidField { field, .. } => Some(field.clone()),
            ApiError::InvalidParameter { param, .. } => Some(param.clone()),
            ApiError::Store(StoreError::DuplicateDevice { .. }) => Some("host".to_string()),
            ApiError::Store(StoreError::ParentNotFound { .. } | StoreError::ParentCycle { .. }) => {
                Some("parentId".to_string())
            }
            ApiError::Auth(AuthError::DuplicateUser { .. }) => Some("username".to_string()),
            ApiError::Auth(AuthError::Invalid(f)) => Some(f.field.to_string()),
            ApiError::Store(StoreError::DuplicateTrapUser { .. }) => Some("user".to_string()),
            _ => None,
        }
    }

    /// The message a client sees. Server faults are logged in full but answered vaguely: paths
    /// and OS errors are for the operator's log, not for API users.
    fn public_message(&self) -> String {
        match self {
            ApiError::Store(StoreError::Io { source, .. }) if is_full(source) => {
                "the server's disk is full: nothing was changed; free space and try again".to_string()
            }
            ApiError::Store(StoreError::Io { .. } | StoreError::Corrupt { .. }) => {
                "the server could not read or write its data; see its log".to_string()
            }
            ApiError::TaskLost | ApiError::Auth(AuthError::Store(_) | AuthError::Hashing(_)) => {
                "the server could not finish the request; see its log".to_string()
            }
            // The TSDB's address and its words are for the operator's log.
            ApiError::History(e) => match e {
                HistoryError::Unreachable { .. } => "the history database could not be reached; see the server's log",
                HistoryError::Timeout { .. } => "the history database did not answer in time; try a shorter window",
                HistoryError::Refused { .. } => "the history database refused the query; see the server's log",
                HistoryError::TooLarge { .. } => "the history database's answer is too large; try a shorter window",
                HistoryError::BadAnswer { .. } | HistoryError::Store(_) | HistoryError::TaskLost => {
                    "the history database's answer could not be used; see the server's log"
                }
            }
            .to_string(),
            other => other.to_string(),
        }
    }
}

/// A write refused for want of space (disk full, quota exceeded): 507, not a server fault the
/// operator must debug.
fn is_full(e: &std::io::Error) -> bool {
    matches!(e.kind(), std::io::ErrorKind::StorageFull | std::io::ErrorKind::QuotaExceeded)
}

/// Runs code that hashes passwords or touches disk on a blocking thread, off the async workers.
pub async fn blocking<T: Send + 'static, E: Into<ApiError> + Send + 'static>(
    work: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, ApiError> {
    actix_web::web::block(work).await.map_err(|_| ApiError::TaskLost)?.map_err(Into::into)
}

/// Runs store code that touches disk on a blocking thread, off the async workers.
pub async fn on_disk<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, StoreError> + Send + 'static,
) -> Result<T, ApiError> {
    Ok(actix_web::web::block(work).await.map_err(|_| ApiError::TaskLost)??)
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::InvalidJson { .. } | ApiError::InvalidParameter { .. } => StatusCode::BAD_REQUEST,
            ApiError::InvalidField { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge { .. } => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::BodyTimeout { .. } => StatusCode::REQUEST_TIMEOUT,
            ApiError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::TooManyStreams { .. } => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::TooManyStreamsFromAddress { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::RouteNotFound { .. } => StatusCode::NOT_FOUND,
            ApiError::FeedNeedsTls => StatusCode::FORBIDDEN,
            ApiError::NotAPrimary => StatusCode::CONFLICT,
            ApiError::Store(e) => match e {
                StoreError::DeviceNotFound { .. } | StoreError::InterfaceNotFound { .. } => StatusCode::NOT_FOUND,
                StoreError::TrapUserNotFound { .. } => StatusCode::NOT_FOUND,
                StoreError::DuplicateDevice { .. } | StoreError::DuplicateTrapUser { .. } => StatusCode::CONFLICT,
                StoreError::ParentNotFound { .. } | StoreError::ParentCycle { .. } => StatusCode::UNPROCESSABLE_ENTITY,
                StoreError::Io { source, .. } if is_full(source) => StatusCode::INSUFFICIENT_STORAGE,
                StoreError::Io { .. } | StoreError::Corrupt { .. } => StatusCode::INTERNAL_SERVER_ERROR,
            },
            ApiError::TaskLost => StatusCode::INTERNAL_SERVER_ERROR,
            ApiError::History(e) => match e {
                HistoryError::Timeout { .. } => StatusCode::GATEWAY_TIMEOUT,
                HistoryError::Unreachable { .. }
                | HistoryError::Refused { .. }
                | HistoryError::TooLarge { .. }
                | HistoryError::BadAnswer { .. } => StatusCode::BAD_GATEWAY,
                HistoryError::Store(_) | HistoryError::TaskLost => StatusCode::INTERNAL_SERVER_ERROR,
            },
            ApiError::Notify(e) => match e {
                NotifyError::ChannelNotFound { .. } => StatusCode::NOT_FOUND,
                NotifyError::TooManyChannels { .. } => StatusCode::CONFLICT,
                NotifyError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                NotifyError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
            ApiError::Alert(e) => match e {
                AlertError::RuleNotFound { .. }
                | AlertError::WindowNotFound { .. }
                | AlertError::IncidentNotFound { .. } => StatusCode::NOT_FOUND,
                AlertError::TooManyRules { .. } | AlertError::TooManyWindows { .. } => StatusCode::CONFLICT,
                AlertError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                AlertError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
            ApiError::Auth(e) => match e {
                AuthError::BadCredentials | AuthError::Unauthenticated { .. } => StatusCode::UNAUTHORIZED,
                AuthError::Forbidden { .. }
                | AuthError::NotAUser { .. }
                | AuthError::CsrfFailed { .. }
                | AuthError::PasswordChangeRequired { .. } => StatusCode::FORBIDDEN,
                AuthError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
                AuthError::Busy => StatusCode::SERVICE_UNAVAILABLE,
                AuthError::DuplicateUser { .. } | AuthError::LastAdmin { .. } => StatusCode::CONFLICT,
                AuthError::UserNotFound { .. } | AuthError::TokenNotFound { .. } => StatusCode::NOT_FOUND,
                AuthError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
                AuthError::Store(_) | AuthError::Hashing(_) => StatusCode::INTERNAL_SERVER_ERROR,
            },
        }
    }

    fn error_response(&self) -> HttpResponse {
        let status = self.status_code();
        if status.is_server_error() {
            log::error!("API request failed: {self}");
        }
        let mut response = HttpResponse::build(status);
        if let ApiError::MethodNotAllowed { allowed, .. } = self {
            response.insert_header((actix_web::http::header::ALLOW, allowed.as_str()));
        }
        match self {
            ApiError::Auth(AuthError::BadCredentials | AuthError::Unauthenticated { .. }) => {
                response.insert_header((actix_web::http::header::WWW_AUTHENTICATE, "Bearer realm=\"vigie\""));
            }
            ApiError::Auth(AuthError::RateLimited { retry_after_secs }) => {
                response.insert_header((actix_web::http::header::RETRY_AFTER, retry_after_secs.to_string()));
            }
            ApiError::Auth(AuthError::Busy) => {
                response.insert_header((actix_web::http::header::RETRY_AFTER, "1"));
            }
            _ => {}
        }
        if matches!(self, ApiError::BodyTimeout { .. } | ApiError::PayloadTooLarge { .. }) {
            // The rest of the body is not read: the connection cannot carry another request.
            response.force_close();
        }
        response.json(ApiErrorBody { code: self.code(), message: self.public_message(), field: self.field() })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_full_disk_answers_507_and_other_io_errors_500() {
        let io = |code: i32| {
            ApiError::Store(StoreError::Io {
                path: "/data/devices.json".into(),
                source: std::io::Error::from_raw_os_error(code),
            })
        };
        let full = io(28); // ENOSPC
        assert_eq!((full.status_code().as_u16(), full.code()), (507, "storage_full"));
        assert!(!full.public_message().contains("/data"), "no path for API users");
        let failed = io(5); // EIO
        assert_eq!((failed.status_code().as_u16(), failed.code()), (500, "storage_error"));
    }
}
