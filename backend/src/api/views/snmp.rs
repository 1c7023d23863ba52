//! A device's SNMP credentials on the wire: a union tagged by `version` (`v1` and `v2c` carry a
//! community, `v3` a USM user), as given to add a device, as given to change one, and as shown.
//! Secrets are write-only: inputs carry them as [`Secret`]s, views only say whether one is set.
//!
//! Each union is read through [`raw::RawSnmp`], one flat object with every field optional, so that a
//! mistake is reported at its JSON path (`snmp.authProtocol`), which serde's own tagged enums
//! cannot do; the schema is the union (`oneOf` + `discriminator` on `version`).

mod merge;
mod raw;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::secret::Secret;
use crate::snmp::{AuthProtocol, Credentials, PrivProtocol, SecurityLevel, UsmCredentials};

/// The SNMP versions that authenticate with a community.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
#[schema(example = "v2c")]
pub enum CommunityVersion {
    V1,
    V2c,
}

/// SNMPv3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum UsmVersion {
    V3,
}

/// SNMPv1 or SNMPv2c credentials: a community.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SnmpCommunityInput {
    pub version: CommunityVersion,
    /// The community string: 1 to 255 printable characters. Write-only: never returned.
    #[schema(value_type = String, write_only, example = "public", min_length = 1, max_length = 255, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub community: Secret,
}

/// SNMPv3 credentials: a USM user. The protocols and passwords the security level uses are
/// required, the others must be omitted. Passwords are write-only: never returned.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SnmpV3Input {
    pub version: UsmVersion,
    /// The USM user (securityName): 1 to 32 bytes.
    #[schema(example = "monitor", min_length = 1, max_length = 32)]
    pub user: String,
    pub security_level: SecurityLevel,
    /// Required for authNoPriv and authPriv.
    pub auth_protocol: Option<AuthProtocol>,
    /// 8 to 255 characters (RFC 3414); required for authNoPriv and authPriv.
    #[schema(value_type = Option<String>, write_only, min_length = 8, max_length = 255)]
    pub auth_password: Option<Secret>,
    /// Required for authPriv.
    pub priv_protocol: Option<PrivProtocol>,
    /// 8 to 255 characters (RFC 3414); required for authPriv.
    #[schema(value_type = Option<String>, write_only, min_length = 8, max_length = 255)]
    pub priv_password: Option<Secret>,
    /// The SNMPv3 context; empty (the default context) when omitted.
    #[schema(max_length = 32)]
    pub context_name: Option<String>,
}

/// SNMP credentials as given when adding a device: `version` says which fields follow.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged, try_from = "raw::RawSnmp")]
#[schema(discriminator(property_name = "version", mapping(
    ("v1" = "#/components/schemas/SnmpCommunityInput"),
    ("v2c" = "#/components/schemas/SnmpCommunityInput"),
    ("v3" = "#/components/schemas/SnmpV3Input"),
)))]
pub enum SnmpInput {
    Community(SnmpCommunityInput),
    V3(SnmpV3Input),
}

/// A change of SNMPv1 or SNMPv2c credentials: give `community` to change it, omit it to keep
/// it. Changing the version needs the community again.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SnmpCommunityPatch {
    pub version: CommunityVersion,
    /// New community string: 1 to 255 printable characters (write-only).
    #[schema(value_type = Option<String>, write_only, example = "s3cret", min_length = 1, max_length = 255, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub community: Option<Secret>,
}

/// A change of SNMPv3 credentials. From another version, give the complete credentials. From
/// v3, give what changes: an omitted field keeps its value, except that lowering the security
/// level drops the protocols and passwords the new level does not use, and changing a protocol
/// needs its password again.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SnmpV3Patch {
    pub version: UsmVersion,
    /// The USM user (securityName): 1 to 32 bytes. Changing it keeps the passwords.
    #[schema(example = "monitor", min_length = 1, max_length = 32)]
    pub user: Option<String>,
    pub security_level: Option<SecurityLevel>,
    /// A new authentication protocol needs `authPassword` in the same change.
    pub auth_protocol: Option<AuthProtocol>,
    /// 8 to 255 characters (RFC 3414); write-only.
    #[schema(value_type = Option<String>, write_only, min_length = 8, max_length = 255)]
    pub auth_password: Option<Secret>,
    /// A new privacy protocol needs `privPassword` in the same change.
    pub priv_protocol: Option<PrivProtocol>,
    /// 8 to 255 characters (RFC 3414); write-only.
    #[schema(value_type = Option<String>, write_only, min_length = 8, max_length = 255)]
    pub priv_password: Option<Secret>,
    /// The SNMPv3 context; "" for the default context.
    #[schema(max_length = 32)]
    pub context_name: Option<String>,
}

/// A change of SNMP credentials: `version` says which fields follow.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged, try_from = "raw::RawSnmp")]
#[schema(discriminator(property_name = "version", mapping(
    ("v1" = "#/components/schemas/SnmpCommunityPatch"),
    ("v2c" = "#/components/schemas/SnmpCommunityPatch"),
    ("v3" = "#/components/schemas/SnmpV3Patch"),
)))]
pub enum SnmpPatch {
    Community(SnmpCommunityPatch),
    V3(SnmpV3Patch),
}

/// SNMPv1 or SNMPv2c settings as shown: whether a community is set, never the community.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SnmpCommunityView {
    pub version: CommunityVersion,
    /// Whether a community is stored (it is never returned).
    #[schema(example = true)]
    pub community_set: bool,
}

/// SNMPv3 settings as shown: the user, level and protocols, whether each password is set,
/// never a password.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SnmpV3View {
    pub version: UsmVersion,
    #[schema(example = "monitor")]
    pub user: String,
    pub security_level: SecurityLevel,
    /// Null at noAuthNoPriv.
    #[schema(required = true)]
    pub auth_protocol: Option<AuthProtocol>,
    /// Whether an authentication password is stored (it is never returned).
    pub auth_password_set: bool,
    /// Null unless authPriv.
    #[schema(required = true)]
    pub priv_protocol: Option<PrivProtocol>,
    /// Whether a privacy password is stored (it is never returned).
    pub priv_password_set: bool,
    /// "" for the default context.
    #[schema(example = "")]
    pub context_name: String,
}

/// SNMP settings as the API shows them: `version` says which fields follow. Secrets are never
/// shown.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
#[schema(discriminator(property_name = "version", mapping(
    ("v1" = "#/components/schemas/SnmpCommunityView"),
    ("v2c" = "#/components/schemas/SnmpCommunityView"),
    ("v3" = "#/components/schemas/SnmpV3View"),
)))]
pub enum SnmpView {
    Community(SnmpCommunityView),
    V3(SnmpV3View),
}

impl From<SnmpInput> for Credentials {
    fn from(input: SnmpInput) -> Credentials {
        match input {
            SnmpInput::Community(c) => community(c.version, c.community),
            SnmpInput::V3(v3) => Credentials::V3(UsmCredentials {
                user: v3.user,
                level: v3.security_level,
                auth_protocol: v3.auth_protocol,
                auth_password: v3.auth_password,
                priv_protocol: v3.priv_protocol,
                priv_password: v3.priv_password,
                context_name: v3.context_name.unwrap_or_default(),
            }),
        }
    }
}

fn community(version: CommunityVersion, community: Secret) -> Credentials {
    match version {
        CommunityVersion::V1 => Credentials::V1 { community },
        CommunityVersion::V2c => Credentials::V2c { community },
    }
}

impl From<&Credentials> for SnmpView {
    fn from(credentials: &Credentials) -> Self {
        match credentials {
            Credentials::V1 { community } => SnmpView::Community(SnmpCommunityView {
                version: CommunityVersion::V1,
                community_set: !community.is_empty(),
            }),
            Credentials::V2c { community } => SnmpView::Community(SnmpCommunityView {
                version: CommunityVersion::V2c,
                community_set: !community.is_empty(),
            }),
            Credentials::V3(usm) => SnmpView::V3(SnmpV3View {
                version: UsmVersion::V3,
                user: usm.user.clone(),
                security_level: usm.level,
                auth_protocol: usm.auth_protocol,
                auth_password_set: usm.auth_password.is_some(),
                priv_protocol: usm.priv_protocol,
                priv_password_set: usm.priv_password.is_some(),
                context_name: usm.context_name.clone(),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const AUTH_PASSWORD: &str = "auth-Pa55word";
    const PRIV_PASSWORD: &str = "priv-Pa55word";

    fn v3_input() -> String {
        format!(
            r#"{{"version":"v3","user":"monitor","securityLevel":"authPriv","authProtocol":"sha256",
                "authPassword":"{AUTH_PASSWORD}","privProtocol":"aes","privPassword":"{PRIV_PASSWORD}"}}"#
        )
    }

    #[test]
    fn a_v3_view_shows_the_user_and_never_a_password() {
        let input: SnmpInput = serde_json::from_str(&v3_input()).unwrap();
        let credentials = Credentials::from(input);
        let view = serde_json::to_value(SnmpView::from(&credentials)).unwrap();
        let expected = serde_json::json!({
            "version": "v3", "user": "monitor", "securityLevel": "authPriv",
            "authProtocol": "sha256", "authPasswordSet": true,
            "privProtocol": "aes", "privPasswordSet": true, "contextName": "",
        });
        assert_eq!(view, expected);
        let text = format!("{view} {credentials:?}");
        assert!(!text.contains(AUTH_PASSWORD) && !text.contains(PRIV_PASSWORD), "{text}");
    }

    #[test]
    fn community_views_say_only_whether_one_is_set() {
        let v1 = Credentials::V1 { community: "s3cret-v1".into() };
        let view = serde_json::to_string(&SnmpView::from(&v1)).unwrap();
        assert_eq!(view, r#"{"version":"v1","communitySet":true}"#);
        let view = serde_json::to_string(&SnmpView::from(&Credentials::V2c { community: "s3cret".into() })).unwrap();
        assert_eq!(view, r#"{"version":"v2c","communitySet":true}"#);
    }

    #[test]
    fn inputs_read_each_version_with_its_own_fields() {
        let v1: SnmpInput = serde_json::from_str(r#"{"community":"public","version":"v1"}"#).unwrap();
        assert_eq!(Credentials::from(v1), Credentials::V1 { community: "public".into() });
        let none: SnmpInput =
            serde_json::from_str(r#"{"version":"v3","user":"u","securityLevel":"noAuthNoPriv","contextName":"c"}"#)
                .unwrap();
        let Credentials::V3(usm) = Credentials::from(none) else { panic!("v3") };
        assert_eq!((usm.user.as_str(), usm.context_name.as_str(), usm.auth_password), ("u", "c", None));
        // A field of another version is refused, never ignored.
        for body in [
            r#"{"version":"v2c","community":"c","authPassword":"12345678"}"#,
            r#"{"version":"v3","user":"u","securityLevel":"noAuthNoPriv","community":"c"}"#,
        ] {
            assert!(serde_json::from_str::<SnmpInput>(body).is_err(), "{body}");
            assert!(serde_json::from_str::<SnmpPatch>(body).is_err(), "{body}");
        }
    }

    /// The variants derive `Deserialize` for their schema's `additionalProperties: false`; the
    /// unions read through `raw`. Both must accept and refuse the same bodies.
    #[test]
    fn the_union_reads_as_its_variants_do() {
        let v3 = v3_input();
        let bodies = [
            (v3.as_str(), true),
            (r#"{"version":"v2c","community":"c"}"#, true),
            (r#"{"version":"v2c"}"#, false),
            (r#"{"version":"v3","user":"u"}"#, false),
            (r#"{"version":"v2c","community":"c","extra":1}"#, false),
        ];
        for (body, ok) in bodies {
            let union = serde_json::from_str::<SnmpInput>(body).is_ok();
            let variant = serde_json::from_str::<SnmpCommunityInput>(body).is_ok()
                || serde_json::from_str::<SnmpV3Input>(body).is_ok();
            assert_eq!((union, variant), (ok, ok), "{body}");
        }
    }
}
