//! The rules a device's SNMP credentials follow, for the API and the store alike: community
//! strings, and SNMPv3 users whose protocols and passwords match their security level.
//! Each broken rule names the JSON field the API user wrote (`snmp.authPassword`, ...).

use super::{free_text, invalid, InvalidField};
use crate::secret::Secret;
use crate::snmp::{Credentials, SecurityLevel, UsmCredentials};

const MAX_COMMUNITY_LEN: usize = 255;
/// RFC 3414 §11.2: a password shorter than 8 characters must not be used.
pub const MIN_PASSWORD_LEN: usize = 8;
pub const MAX_PASSWORD_LEN: usize = 255;
/// SnmpAdminString (SIZE(1..32)) for a securityName.
pub const MAX_USER_LEN: usize = 32;
/// SnmpAdminString (SIZE(0..32)) for a contextName.
pub const MAX_CONTEXT_LEN: usize = 32;

/// Checks the credentials; the first broken rule is reported, naming its field.
pub fn validate(credentials: &Credentials) -> Result<(), InvalidField> {
    match credentials {
        Credentials::V1 { community } | Credentials::V2c { community } => validate_community(community),
        Credentials::V3(usm) => validate_usm(usm),
    }
}

fn validate_community(community: &Secret) -> Result<(), InvalidField> {
    let text = community.expose();
    if text.is_empty() {
        return Err(invalid("snmp.community", "must not be empty"));
    }
    if text.chars().count() > MAX_COMMUNITY_LEN || text.chars().any(char::is_control) {
        return Err(invalid("snmp.community", format!("must be at most {MAX_COMMUNITY_LEN} printable characters")));
    }
    Ok(())
}

fn validate_usm(usm: &UsmCredentials) -> Result<(), InvalidField> {
    if usm.user.is_empty() || usm.user.len() > MAX_USER_LEN {
        return Err(invalid("snmp.user", format!("must be 1 to {MAX_USER_LEN} bytes")));
    }
    free_text("snmp.user", &usm.user)?;
    if usm.context_name.len() > MAX_CONTEXT_LEN {
        return Err(invalid("snmp.contextName", format!("must be at most {MAX_CONTEXT_LEN} bytes")));
    }
    free_text("snmp.contextName", &usm.context_name)?;
    let level = usm.level;
    let auth = (usm.auth_protocol.is_some(), usm.auth_password.as_ref());
    uses(level, level.authenticates(), "snmp.authProtocol", auth.0)?;
    uses(level, level.authenticates(), "snmp.authPassword", auth.1.is_some())?;
    let privacy = (usm.priv_protocol.is_some(), usm.priv_password.as_ref());
    uses(level, level.encrypts(), "snmp.privProtocol", privacy.0)?;
    uses(level, level.encrypts(), "snmp.privPassword", privacy.1.is_some())?;
    if let Some(password) = auth.1 {
        validate_password("snmp.authPassword", password)?;
    }
    if let Some(password) = privacy.1 {
        validate_password("snmp.privPassword", password)?;
    }
    Ok(())
}

/// A field the level needs must be there; one it does not use is refused rather than kept
/// unused (a password stored for nothing is a secret kept for nothing).
fn uses(level: SecurityLevel, needed: bool, field: &'static str, given: bool) -> Result<(), InvalidField> {
    match (needed, given) {
        (true, false) => Err(invalid(field, format!("is required at security level {}", level.name()))),
        (false, true) => Err(invalid(field, format!("must be omitted at security level {}", level.name()))),
        _ => Ok(()),
    }
}

fn validate_password(field: &'static str, password: &Secret) -> Result<(), InvalidField> {
    let length = password.expose().chars().count();
    if !(MIN_PASSWORD_LEN..=MAX_PASSWORD_LEN).contains(&length) {
        return Err(invalid(field, format!("must be {MIN_PASSWORD_LEN} to {MAX_PASSWORD_LEN} characters (RFC 3414)")));
    }
    match password.expose().chars().any(char::is_control) {
        true => Err(invalid(field, "must not contain control characters")),
        false => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::snmp::{AuthProtocol, PrivProtocol};

    fn auth_priv() -> UsmCredentials {
        UsmCredentials {
            user: "monitor".into(),
            level: SecurityLevel::AuthPriv,
            auth_protocol: Some(AuthProtocol::Sha256),
            auth_password: Some("auth-pass-1".into()),
            priv_protocol: Some(PrivProtocol::Aes),
            priv_password: Some("priv-pass-1".into()),
            context_name: String::new(),
        }
    }

    fn field_of(usm: UsmCredentials) -> &'static str {
        validate(&Credentials::V3(usm)).expect_err("refused").field
    }

    #[test]
    fn each_level_with_exactly_its_fields_is_valid() {
        let no_priv = UsmCredentials {
            level: SecurityLevel::AuthNoPriv,
            priv_protocol: None,
            priv_password: None,
            ..auth_priv()
        };
        let no_auth = UsmCredentials {
            level: SecurityLevel::NoAuthNoPriv,
            auth_protocol: None,
            auth_password: None,
            ..no_priv.clone()
        };
        let with_context = UsmCredentials { context_name: "vlan-10".into(), ..auth_priv() };
        for usm in [auth_priv(), no_priv, no_auth, with_context] {
            assert_eq!(validate(&Credentials::V3(usm.clone())), Ok(()), "{usm:?}");
        }
        assert_eq!(validate(&Credentials::V1 { community: "public".into() }), Ok(()));
    }

    #[test]
    fn users_are_1_to_32_printable_bytes() {
        assert_eq!(validate(&Credentials::V3(UsmCredentials { user: "u".repeat(32), ..auth_priv() })), Ok(()));
        assert_eq!(field_of(UsmCredentials { user: "".into(), ..auth_priv() }), "snmp.user");
        assert_eq!(field_of(UsmCredentials { user: "u".repeat(33), ..auth_priv() }), "snmp.user");
        // 11 characters, 33 bytes: the limit is in bytes, as SnmpAdminString's.
        assert_eq!(field_of(UsmCredentials { user: "€".repeat(11), ..auth_priv() }), "snmp.user");
        assert_eq!(field_of(UsmCredentials { user: "a\nb".into(), ..auth_priv() }), "snmp.user");
        assert_eq!(field_of(UsmCredentials { context_name: "c".repeat(33), ..auth_priv() }), "snmp.contextName");
        assert_eq!(field_of(UsmCredentials { context_name: "c\u{0}".into(), ..auth_priv() }), "snmp.contextName");
    }

    #[test]
    fn passwords_are_8_to_255_printable_characters() {
        let auth = |p: &str| UsmCredentials { auth_password: Some(p.into()), ..auth_priv() };
        let privacy = |p: &str| UsmCredentials { priv_password: Some(p.into()), ..auth_priv() };
        assert_eq!(validate(&Credentials::V3(auth("12345678"))), Ok(()));
        assert_eq!(validate(&Credentials::V3(privacy(&"p".repeat(255)))), Ok(()));
        assert_eq!(field_of(auth("1234567")), "snmp.authPassword");
        assert_eq!(field_of(auth(&"p".repeat(256))), "snmp.authPassword");
        assert_eq!(field_of(auth("pass\tword")), "snmp.authPassword");
        assert_eq!(field_of(privacy("short")), "snmp.privPassword");
        assert_eq!(field_of(privacy(&"p".repeat(256))), "snmp.privPassword");
    }

    #[test]
    fn the_level_requires_its_protocols_and_passwords() {
        assert_eq!(field_of(UsmCredentials { auth_protocol: None, ..auth_priv() }), "snmp.authProtocol");
        assert_eq!(field_of(UsmCredentials { auth_password: None, ..auth_priv() }), "snmp.authPassword");
        assert_eq!(field_of(UsmCredentials { priv_protocol: None, ..auth_priv() }), "snmp.privProtocol");
        assert_eq!(field_of(UsmCredentials { priv_password: None, ..auth_priv() }), "snmp.privPassword");
        let message =
            validate(&Credentials::V3(UsmCredentials { priv_password: None, ..auth_priv() })).unwrap_err().to_string();
        assert_eq!(message, "snmp.privPassword: is required at security level authPriv");
    }

    #[test]
    fn the_level_refuses_what_it_does_not_use() {
        let no_priv = UsmCredentials { level: SecurityLevel::AuthNoPriv, ..auth_priv() };
        assert_eq!(field_of(no_priv.clone()), "snmp.privProtocol");
        assert_eq!(field_of(UsmCredentials { priv_protocol: None, ..no_priv }), "snmp.privPassword");
        let no_auth = UsmCredentials {
            level: SecurityLevel::NoAuthNoPriv,
            priv_protocol: None,
            priv_password: None,
            ..auth_priv()
        };
        assert_eq!(field_of(no_auth.clone()), "snmp.authProtocol");
        let message =
            validate(&Credentials::V3(UsmCredentials { auth_protocol: None, ..no_auth })).unwrap_err().to_string();
        assert_eq!(message, "snmp.authPassword: must be omitted at security level noAuthNoPriv");
    }

    #[test]
    fn communities_follow_the_same_rules_in_v1_and_v2c() {
        for make in [|c: Secret| Credentials::V1 { community: c }, |c: Secret| Credentials::V2c { community: c }] {
            assert_eq!(validate(&make("".into())).unwrap_err().field, "snmp.community");
            assert_eq!(validate(&make("c".repeat(256).into())).unwrap_err().field, "snmp.community");
            assert_eq!(validate(&make("pub\nlic".into())).unwrap_err().field, "snmp.community");
            assert_eq!(validate(&make("c".repeat(255).into())), Ok(()));
        }
    }
}
