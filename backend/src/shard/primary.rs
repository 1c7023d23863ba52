//! A poller's HTTP link to its primary: one client (no redirects, so the token never follows
//! one elsewhere; a bound on connecting, each request setting its own deadline) and the poller
//! routes' URLs, each request carrying the poller token.

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
        let client = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Vigie-poller/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| e.to_string())?;
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

/// Never shows the token.
impl std::fmt::Debug for Primary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Primary").field("base", &self.base).finish_non_exhaustive()
    }
}
