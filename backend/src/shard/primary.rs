//! A poller's HTTP link to its primary: one client (no redirects, so the token never follows
//! one elsewhere; a bound on connecting, each request setting its own deadline; the system's
//! roots plus `--registry-ca`'s certificates) and the poller routes' URLs, each request carrying
//! the poller token.

use std::path::Path;
use std::time::Duration;

use reqwest::header::AUTHORIZATION;

use crate::config::cluster::PollerSettings;

#[derive(Clone)]
pub struct Primary {
    client: reqwest::Client,
    base: String,
    bearer: String,
}

impl Primary {
    pub fn new(settings: &PollerSettings) -> Result<Primary, String> {
        let mut builder = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Vigie-poller/", env!("CARGO_PKG_VERSION")));
        if let Some(path) = &settings.registry_ca {
            for certificate in read_roots(path)? {
                builder = builder.add_root_certificate(certificate);
            }
        }
        let client = builder.build().map_err(|e| e.to_string())?;
        Ok(Primary {
            client,
            base: format!("{}/api/v1/poller", settings.registry.as_str().trim_end_matches('/')),
            bearer: format!("Bearer {}", settings.token.expose()),
        })
    }

    /// `<registry>/api/v1/poller/<path>`, for messages.
    pub fn url(&self, path: &str) -> String {
        format!("{}/{path}", self.base)
    }

    /// `GET <registry>/api/v1/poller/<path>` with the token.
    pub fn get(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.get(self.url(path)).header(AUTHORIZATION, &self.bearer)
    }

    /// `POST <registry>/api/v1/poller/<path>` with the token.
    pub fn post(&self, path: &str) -> reqwest::RequestBuilder {
        self.client.post(self.url(path)).header(AUTHORIZATION, &self.bearer)
    }
}

/// The CA certificates of a PEM file (`--registry-ca`): at least one, or why not.
pub fn read_roots(path: &Path) -> Result<Vec<reqwest::Certificate>, String> {
    let pem = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let certificates = reqwest::Certificate::from_pem_bundle(&pem)
        .map_err(|e| format!("{}: not PEM certificates ({e})", path.display()))?;
    if certificates.is_empty() {
        return Err(format!("{}: no PEM certificate in it", path.display()));
    }
    Ok(certificates)
}

/// An error with its causes: reqwest says "error sending request" and leaves the why (a refused
/// connection, a certificate of an unknown issuer) to its sources.
pub fn why(error: &dyn std::error::Error) -> String {
    let mut reason = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        reason = format!("{reason}: {cause}");
        source = cause.source();
    }
    reason
}

/// Never shows the token.
impl std::fmt::Debug for Primary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Primary").field("base", &self.base).finish_non_exhaustive()
    }
}
