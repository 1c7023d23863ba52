//! Reading the SNMP unions: one flat object with every field of every version, each optional,
//! then checked against its `version`, so that serde reports each mistake at its JSON path.

use serde::Deserialize;

use super::{
    CommunityVersion, SnmpCommunityInput, SnmpCommunityPatch, SnmpInput, SnmpPatch, SnmpV3Input, SnmpV3Patch,
    UsmVersion,
};
use crate::secret::Secret;
use crate::snmp::{AuthProtocol, PrivProtocol, SecurityLevel};

/// Every field of every version, each optional: what the unions are read from.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub(super) struct RawSnmp {
    version: RawVersion,
    community: Option<Secret>,
    user: Option<String>,
    security_level: Option<SecurityLevel>,
    auth_protocol: Option<AuthProtocol>,
    auth_password: Option<Secret>,
    priv_protocol: Option<PrivProtocol>,
    priv_password: Option<Secret>,
    context_name: Option<String>,
}

#[derive(Clone, Copy, Deserialize)]
#[serde(rename_all = "lowercase")]
enum RawVersion {
    V1,
    V2c,
    V3,
}

/// Why a union's fields do not fit its version. The wording is serde's, so the API's error
/// names the field's path as for any other missing or unknown field (`api/extract.rs`).
#[derive(Debug, thiserror::Error)]
pub enum ShapeError {
    #[error("missing field `{0}`")]
    Missing(&'static str),
    #[error("unknown field `{field}`: SNMP {version} has no such field")]
    NotInVersion { field: &'static str, version: &'static str },
}

impl RawSnmp {
    /// The version's fields given that `version` does not have.
    fn refuse_others(&self) -> Result<(), ShapeError> {
        let (name, community) = match self.version {
            RawVersion::V1 => ("v1", true),
            RawVersion::V2c => ("v2c", true),
            RawVersion::V3 => ("v3", false),
        };
        let given = [
            ("community", self.community.is_some(), community),
            ("user", self.user.is_some(), !community),
            ("securityLevel", self.security_level.is_some(), !community),
            ("authProtocol", self.auth_protocol.is_some(), !community),
            ("authPassword", self.auth_password.is_some(), !community),
            ("privProtocol", self.priv_protocol.is_some(), !community),
            ("privPassword", self.priv_password.is_some(), !community),
            ("contextName", self.context_name.is_some(), !community),
        ];
        match given.into_iter().find(|&(_, given, belongs)| given && !belongs) {
            Some((field, ..)) => Err(ShapeError::NotInVersion { field, version: name }),
            None => Ok(()),
        }
    }

    fn community_version(&self) -> Option<CommunityVersion> {
        match self.version {
            RawVersion::V1 => Some(CommunityVersion::V1),
            RawVersion::V2c => Some(CommunityVersion::V2c),
            RawVersion::V3 => None,
        }
    }
}

impl TryFrom<RawSnmp> for SnmpInput {
    type Error = ShapeError;

    fn try_from(raw: RawSnmp) -> Result<Self, ShapeError> {
        raw.refuse_others()?;
        if let Some(version) = raw.community_version() {
            let community = raw.community.ok_or(ShapeError::Missing("community"))?;
            return Ok(SnmpInput::Community(SnmpCommunityInput { version, community }));
        }
        Ok(SnmpInput::V3(SnmpV3Input {
            version: UsmVersion::V3,
            user: raw.user.ok_or(ShapeError::Missing("user"))?,
            security_level: raw.security_level.ok_or(ShapeError::Missing("securityLevel"))?,
            auth_protocol: raw.auth_protocol,
            auth_password: raw.auth_password,
            priv_protocol: raw.priv_protocol,
            priv_password: raw.priv_password,
            context_name: raw.context_name,
        }))
    }
}

impl TryFrom<RawSnmp> for SnmpPatch {
    type Error = ShapeError;

    fn try_from(raw: RawSnmp) -> Result<Self, ShapeError> {
        raw.refuse_others()?;
        if let Some(version) = raw.community_version() {
            return Ok(SnmpPatch::Community(SnmpCommunityPatch { version, community: raw.community }));
        }
        Ok(SnmpPatch::V3(SnmpV3Patch {
            version: UsmVersion::V3,
            user: raw.user,
            security_level: raw.security_level,
            auth_protocol: raw.auth_protocol,
            auth_password: raw.auth_password,
            priv_protocol: raw.priv_protocol,
            priv_password: raw.priv_password,
            context_name: raw.context_name,
        }))
    }
}
