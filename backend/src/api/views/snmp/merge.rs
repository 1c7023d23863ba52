//! PATCH of SNMP credentials: what a change keeps of the stored credentials and what it must
//! give again.

use super::{community, CommunityVersion, SnmpInput, SnmpPatch, SnmpV3Input, SnmpV3Patch, UsmVersion};
use crate::device::InvalidField;
use crate::snmp::{Credentials, UsmCredentials};

fn required_for_new_version(field: &'static str) -> InvalidField {
    InvalidField { field, reason: "is required when the SNMP version changes".into() }
}

impl SnmpPatch {
    /// `current` with this change applied (not yet validated). A change of version needs the
    /// new version's complete credentials; within a version, omitted fields keep their value.
    pub fn apply(self, current: Credentials) -> Result<Credentials, InvalidField> {
        match (self, current) {
            (SnmpPatch::Community(patch), current) => {
                let kept = match current {
                    Credentials::V1 { community } if patch.version == CommunityVersion::V1 => Some(community),
                    Credentials::V2c { community } if patch.version == CommunityVersion::V2c => Some(community),
                    _ => None,
                };
                let given = patch.community.or(kept).ok_or_else(|| required_for_new_version("snmp.community"))?;
                Ok(community(patch.version, given))
            }
            (SnmpPatch::V3(patch), Credentials::V3(current)) => patch.merge(current).map(Credentials::V3),
            (SnmpPatch::V3(patch), _) => {
                let input = SnmpV3Input {
                    version: UsmVersion::V3,
                    user: patch.user.ok_or_else(|| required_for_new_version("snmp.user"))?,
                    security_level: patch
                        .security_level
                        .ok_or_else(|| required_for_new_version("snmp.securityLevel"))?,
                    auth_protocol: patch.auth_protocol,
                    auth_password: patch.auth_password,
                    priv_protocol: patch.priv_protocol,
                    priv_password: patch.priv_password,
                    context_name: patch.context_name,
                };
                Ok(Credentials::from(SnmpInput::V3(input)))
            }
        }
    }
}

impl SnmpV3Patch {
    /// Merges into the stored user. A stored protocol or password the (new) level does not use
    /// is dropped; one given that it does not use is kept, for validation to refuse. A protocol
    /// that changes needs its password in the same change: the localised key depends on both,
    /// and an agent's user is (re)created with both together.
    fn merge(self, current: UsmCredentials) -> Result<UsmCredentials, InvalidField> {
        if changes(self.auth_protocol, current.auth_protocol) && self.auth_password.is_none() {
            return Err(password_again("snmp.authPassword", "authProtocol"));
        }
        if changes(self.priv_protocol, current.priv_protocol) && self.priv_password.is_none() {
            return Err(password_again("snmp.privPassword", "privProtocol"));
        }
        let level = self.security_level.unwrap_or(current.level);
        let (auth, privacy) = (level.authenticates(), level.encrypts());
        Ok(UsmCredentials {
            user: self.user.unwrap_or(current.user),
            level,
            auth_protocol: pick(self.auth_protocol, current.auth_protocol, auth),
            auth_password: pick(self.auth_password, current.auth_password, auth),
            priv_protocol: pick(self.priv_protocol, current.priv_protocol, privacy),
            priv_password: pick(self.priv_password, current.priv_password, privacy),
            context_name: self.context_name.unwrap_or(current.context_name),
        })
    }
}

/// The given value, else the stored one if the level uses it.
fn pick<T>(given: Option<T>, stored: Option<T>, used: bool) -> Option<T> {
    given.or(stored.filter(|_| used))
}

/// Whether a protocol is given that differs from the stored one.
fn changes<T: PartialEq>(given: Option<T>, stored: Option<T>) -> bool {
    matches!((given, stored), (Some(given), Some(stored)) if given != stored)
}

fn password_again(field: &'static str, protocol: &str) -> InvalidField {
    InvalidField { field, reason: format!("must be given again when {protocol} changes") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::DeviceConfig;
    use crate::snmp::{AuthProtocol, PrivProtocol, SecurityLevel};

    fn auth_priv() -> Credentials {
        Credentials::V3(UsmCredentials {
            user: "monitor".into(),
            level: SecurityLevel::AuthPriv,
            auth_protocol: Some(AuthProtocol::Sha256),
            auth_password: Some("auth-pass-1".into()),
            priv_protocol: Some(PrivProtocol::Aes),
            priv_password: Some("priv-pass-1".into()),
            context_name: "ctx".into(),
        })
    }

    fn v2c() -> Credentials {
        Credentials::V2c { community: "public".into() }
    }

    /// `current` changed by the PATCH `snmp` object `json`, then validated as the API does.
    fn patched(current: Credentials, json: &str) -> Result<Credentials, InvalidField> {
        let patch: SnmpPatch = serde_json::from_str(json).expect("a well-formed patch");
        let credentials = patch.apply(current)?;
        DeviceConfig { credentials: credentials.clone(), ..DeviceConfig::v2c("sw", "192.0.2.1", 161, "x") }
            .validate()
            .map(|()| credentials)
    }

    fn usm(credentials: Credentials) -> UsmCredentials {
        match credentials {
            Credentials::V3(usm) => usm,
            other => panic!("not v3: {other:?}"),
        }
    }

    fn refused(current: Credentials, json: &str) -> (&'static str, String) {
        let error = patched(current, json).expect_err("refused");
        (error.field, error.reason)
    }

    #[test]
    fn a_community_is_kept_when_omitted_and_replaced_when_given() {
        assert_eq!(patched(v2c(), r#"{"version":"v2c"}"#), Ok(v2c()));
        let changed = patched(v2c(), r#"{"version":"v2c","community":"s3cret"}"#);
        assert_eq!(changed, Ok(Credentials::V2c { community: "s3cret".into() }));
    }

    #[test]
    fn a_version_change_needs_the_new_versions_complete_credentials() {
        let to_v1 = refused(v2c(), r#"{"version":"v1"}"#);
        assert_eq!(to_v1, ("snmp.community", "is required when the SNMP version changes".into()));
        assert_eq!(
            patched(v2c(), r#"{"version":"v1","community":"old"}"#),
            Ok(Credentials::V1 { community: "old".into() })
        );
        assert_eq!(refused(auth_priv(), r#"{"version":"v2c"}"#).0, "snmp.community");
        assert_eq!(refused(v2c(), r#"{"version":"v3","securityLevel":"noAuthNoPriv"}"#).0, "snmp.user");
        assert_eq!(refused(v2c(), r#"{"version":"v3","user":"u"}"#).0, "snmp.securityLevel");
        let half =
            r#"{"version":"v3","user":"u","securityLevel":"authPriv","authProtocol":"sha","authPassword":"12345678"}"#;
        assert_eq!(refused(v2c(), half), ("snmp.privProtocol", "is required at security level authPriv".into()));
        let whole = r#"{"version":"v3","user":"u","securityLevel":"authNoPriv","authProtocol":"md5","authPassword":"12345678"}"#;
        let v3 = usm(patched(v2c(), whole).unwrap());
        assert_eq!(
            (v3.user.as_str(), v3.level, v3.auth_protocol),
            ("u", SecurityLevel::AuthNoPriv, Some(AuthProtocol::Md5))
        );
        assert_eq!((v3.priv_protocol, v3.context_name.as_str()), (None, ""));
    }

    #[test]
    fn within_v3_omitted_fields_keep_their_value() {
        assert_eq!(patched(auth_priv(), r#"{"version":"v3"}"#), Ok(auth_priv()));
        let renamed = usm(patched(auth_priv(), r#"{"version":"v3","user":"poller","contextName":""}"#).unwrap());
        assert_eq!(renamed, UsmCredentials { user: "poller".into(), context_name: "".into(), ..usm(auth_priv()) });
        let new_password = usm(patched(auth_priv(), r#"{"version":"v3","privPassword":"another-one"}"#).unwrap());
        assert_eq!(new_password, UsmCredentials { priv_password: Some("another-one".into()), ..usm(auth_priv()) });
    }

    #[test]
    fn a_new_protocol_needs_its_password_in_the_same_change() {
        let (field, reason) = refused(auth_priv(), r#"{"version":"v3","authProtocol":"sha512"}"#);
        assert_eq!((field, reason.as_str()), ("snmp.authPassword", "must be given again when authProtocol changes"));
        assert_eq!(refused(auth_priv(), r#"{"version":"v3","privProtocol":"aes256"}"#).0, "snmp.privPassword");
        // The same protocol again is no change; a new auth protocol keeps the priv password.
        assert_eq!(patched(auth_priv(), r#"{"version":"v3","authProtocol":"sha256"}"#), Ok(auth_priv()));
        let changed =
            usm(patched(auth_priv(), r#"{"version":"v3","authProtocol":"sha","authPassword":"new-auth-1"}"#).unwrap());
        let expected = UsmCredentials {
            auth_protocol: Some(AuthProtocol::Sha),
            auth_password: Some("new-auth-1".into()),
            ..usm(auth_priv())
        };
        assert_eq!(changed, expected);
    }

    #[test]
    fn lowering_the_level_drops_what_it_no_longer_uses_and_raising_it_needs_the_rest() {
        let lowered = usm(patched(auth_priv(), r#"{"version":"v3","securityLevel":"authNoPriv"}"#).unwrap());
        assert_eq!((lowered.priv_protocol, lowered.priv_password.clone()), (None, None));
        assert_eq!(lowered.auth_password, Some("auth-pass-1".into()));
        let none = usm(patched(auth_priv(), r#"{"version":"v3","securityLevel":"noAuthNoPriv"}"#).unwrap());
        assert_eq!((none.auth_protocol, none.auth_password, none.priv_password), (None, None, None));
        // Given with a level that does not use it: refused, not silently dropped.
        let given = r#"{"version":"v3","securityLevel":"authNoPriv","privPassword":"priv-pass-2"}"#;
        let (field, reason) = refused(auth_priv(), given);
        assert_eq!((field, reason.as_str()), ("snmp.privPassword", "must be omitted at security level authNoPriv"));
        let raised = Credentials::V3(lowered);
        assert_eq!(refused(raised.clone(), r#"{"version":"v3","securityLevel":"authPriv"}"#).0, "snmp.privProtocol");
        let complete =
            r#"{"version":"v3","securityLevel":"authPriv","privProtocol":"des","privPassword":"priv-pass-3"}"#;
        assert_eq!(usm(patched(raised, complete).unwrap()).priv_protocol, Some(PrivProtocol::Des));
    }
}
