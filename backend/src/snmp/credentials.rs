//! How Vigie authenticates to an agent: a community for SNMPv1 and SNMPv2c, a USM user (RFC 3414)
//! for SNMPv3. Only the shape lives here; the rules a device's credentials must follow are
//! checked once, in `device.rs`. Secrets are [`Secret`]s, so `Debug` never prints them.

use crate::secret::Secret;

/// How Vigie authenticates to an agent. Secrets never appear in `Debug` output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credentials {
    V1 { community: Secret },
    V2c { community: Secret },
    V3(UsmCredentials),
}

/// An SNMPv3 user-based security model user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsmCredentials {
    /// The securityName, 1 to 32 bytes.
    pub user: String,
    pub level: SecurityLevel,
    /// `Some` for authNoPriv and authPriv.
    pub auth_protocol: Option<AuthProtocol>,
    /// `Some` (at least 8 characters) for authNoPriv and authPriv.
    pub auth_password: Option<Secret>,
    /// `Some` for authPriv.
    pub priv_protocol: Option<PrivProtocol>,
    /// `Some` (at least 8 characters) for authPriv.
    pub priv_password: Option<Secret>,
    /// The contextName of the scoped PDU; "" unless set.
    pub context_name: String,
}

/// What protects an SNMPv3 message: nothing, authentication, or authentication and privacy
/// (encryption). The serde names are the API's and the store's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(example = "authPriv")]
pub enum SecurityLevel {
    NoAuthNoPriv,
    AuthNoPriv,
    AuthPriv,
}

/// The HMAC that authenticates SNMPv3 messages: `sha` is SHA-1 (RFC 3414), `sha224`…`sha512`
/// are RFC 7860's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(example = "sha256")]
pub enum AuthProtocol {
    Md5,
    /// SHA-1.
    Sha,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

/// The cipher that encrypts SNMPv3 messages: `aes` is AES-128 (RFC 3826); `aes192`/`aes256`
/// extend the key as net-snmp does (Blumenthal), `aes192c`/`aes256c` as Cisco does (Reeder).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(example = "aes")]
pub enum PrivProtocol {
    Des,
    /// AES-128.
    Aes,
    Aes192,
    Aes256,
    Aes192c,
    Aes256c,
}

impl Credentials {
    /// The version's name as the API spells it: `v1`, `v2c` or `v3`.
    pub fn version_name(&self) -> &'static str {
        match self {
            Credentials::V1 { .. } => "v1",
            Credentials::V2c { .. } => "v2c",
            Credentials::V3(_) => "v3",
        }
    }
}

impl SecurityLevel {
    /// Whether messages at this level are authenticated (and so need an auth protocol and password).
    pub fn authenticates(self) -> bool {
        self != SecurityLevel::NoAuthNoPriv
    }

    /// Whether messages at this level are encrypted (and so need a priv protocol and password).
    pub fn encrypts(self) -> bool {
        self == SecurityLevel::AuthPriv
    }

    /// The level's name as the API spells it.
    pub fn name(self) -> &'static str {
        match self {
            SecurityLevel::NoAuthNoPriv => "noAuthNoPriv",
            SecurityLevel::AuthNoPriv => "authNoPriv",
            SecurityLevel::AuthPriv => "authPriv",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_a_secret() {
        let v3 = Credentials::V3(UsmCredentials {
            user: "monitor".into(),
            level: SecurityLevel::AuthPriv,
            auth_protocol: Some(AuthProtocol::Sha256),
            auth_password: Some("auth-pass-1".into()),
            priv_protocol: Some(PrivProtocol::Aes),
            priv_password: Some("priv-pass-1".into()),
            context_name: String::new(),
        });
        let v1 = Credentials::V1 { community: "s3cret-v1".into() };
        let text = format!("{v3:?} {v1:?}");
        for secret in ["auth-pass-1", "priv-pass-1", "s3cret-v1"] {
            assert!(!text.contains(secret), "{text}");
        }
        assert!(text.contains("monitor"), "the user is not a secret: {text}");
    }

    #[test]
    fn enum_names_are_the_apis() {
        let names = serde_json::to_string(&(
            SecurityLevel::NoAuthNoPriv,
            SecurityLevel::AuthPriv,
            AuthProtocol::Sha,
            AuthProtocol::Sha512,
            PrivProtocol::Aes,
            PrivProtocol::Aes256c,
        ))
        .unwrap();
        assert_eq!(names, r#"["noAuthNoPriv","authPriv","sha","sha512","aes","aes256c"]"#);
    }
}
