//! Sessions, users and API tokens on the wire. Passwords and tokens arrive as [`Secret`]s and
//! leave only once: a new token's text in [`NewTokenView`]. No hash is ever serialized here.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Principal, Role, TokenRecord, UserRecord, Via};
use crate::secret::Secret;

/// A login.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "admin")]
    pub username: String,
    #[schema(value_type = String, format = Password, example = "correct horse battery")]
    pub password: Secret,
}

/// How the principal authenticated.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ViaView {
    Session,
    Token,
    Local,
}

/// Who is logged in.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SessionView {
    /// The user's name; for a token, the token's name.
    #[schema(example = "admin")]
    pub username: String,
    pub role: Role,
    pub via: ViaView,
    /// Send it back as `X-CSRF-Token` on every request that changes something (sessions only).
    pub csrf_token: Option<String>,
    /// The user must change the password before anything else (the first admin).
    pub must_change_password: bool,
    /// When the session (idle or absolute limit) or token expires, Unix seconds.
    pub expires_at: Option<i64>,
}

impl SessionView {
    pub fn new(p: &Principal) -> SessionView {
        let (via, csrf_token, must_change_password, expires_at) = match &p.via {
            Via::Session { csrf, must_change_password, expires_at, .. } => {
                (ViaView::Session, Some(csrf.expose().to_string()), *must_change_password, Some(*expires_at))
            }
            Via::Token { expires_at, .. } => (ViaView::Token, None, false, *expires_at),
            Via::Local => (ViaView::Local, None, false, None),
        };
        SessionView { username: p.name.clone(), role: p.role, via, csrf_token, must_change_password, expires_at }
    }
}

/// A user changes their own password.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PasswordChange {
    #[schema(value_type = String, format = Password)]
    pub current_password: Secret,
    /// 10 to 1024 characters.
    #[schema(value_type = String, format = Password, min_length = 10, max_length = 1024)]
    pub new_password: Secret,
}

/// A new user.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUser {
    /// 1 to 64 characters of A-Z, a-z, 0-9, '.', '_' and '-'.
    #[schema(example = "ann", min_length = 1, max_length = 64, pattern = r"^[A-Za-z0-9._-]{1,64}$")]
    pub username: String,
    /// 10 to 1024 characters; the user must change it at first login.
    #[schema(value_type = String, format = Password, min_length = 10, max_length = 1024)]
    pub password: Secret,
    #[schema(value_type = UserRole)]
    pub role: Role,
}

/// The roles a user may hold: every role but `poller`, which is for API tokens only. (The
/// document's schema; the body is read as a role and `poller` refused with 422.)
#[derive(ToSchema)]
#[schema(rename_all = "lowercase")]
#[allow(dead_code)]
pub enum UserRole {
    Viewer,
    Operator,
    Admin,
}

/// Changes to a user; absent fields stay.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[schema(value_type = Option<UserRole>)]
    pub role: Option<Role>,
    /// A new password set by an admin: the user must change it at next login, and their
    /// sessions end.
    #[schema(value_type = Option<String>, format = Password, min_length = 10, max_length = 1024)]
    pub password: Option<Secret>,
}

/// A user (never the password or its hash).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct UserView {
    #[schema(example = "ann")]
    pub username: String,
    pub role: Role,
    pub created_at: i64,
    pub must_change_password: bool,
    pub last_login_at: Option<i64>,
}

impl From<&UserRecord> for UserView {
    fn from(u: &UserRecord) -> Self {
        UserView {
            username: u.username.clone(),
            role: u.role,
            created_at: u.created_at,
            must_change_password: u.must_change_password,
            last_login_at: u.last_login_at,
        }
    }
}

/// A new API token.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct NewToken {
    /// What it is for: 1 to 64 characters, not only spaces, no control characters.
    #[schema(
        example = "nightly backup script",
        min_length = 1,
        max_length = 64,
        pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
    pub role: Role,
    /// Unix seconds, in the future; absent: never expires.
    pub expires_at: Option<i64>,
}

/// An API token (never its text or hash).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenView {
    #[schema(example = "9f1c2a7b40d3e8aa")]
    pub id: String,
    pub name: String,
    pub role: Role,
    /// The admin who created it.
    pub created_by: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
    pub last_used_at: Option<i64>,
}

impl From<&TokenRecord> for TokenView {
    fn from(t: &TokenRecord) -> Self {
        TokenView {
            id: t.id.clone(),
            name: t.name.clone(),
            role: t.role,
            created_by: t.created_by.clone(),
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
        }
    }
}

/// A token just created: the only answer that holds its text.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewTokenView {
    #[serde(flatten)]
    pub token_info: TokenView,
    /// Send as `Authorization: Bearer vgt_…`. Shown once: Vigie keeps only its hash.
    #[schema(example = "vgt_3b9d…")]
    pub token: String,
}
