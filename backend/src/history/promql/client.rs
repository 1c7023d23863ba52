//! The HTTP side of the PromQL backend: one `reqwest` client with the configured timeout and
//! credentials, GET requests to the TSDB's Prometheus API, and bodies read up to a bound. Every
//! failure is a typed [`HistoryError`] naming the TSDB's host, never its credentials.

use std::time::Duration;

use url::Url;

use super::answer;
use super::{PromqlAuth, PromqlSettings};
use crate::history::HistoryError;

/// Bytes of an error answer read for its message.
const ERROR_BODY_BYTES: usize = 64 * 1024;

pub struct Client {
    http: reqwest::Client,
    base: String,
    /// host:port, for messages.
    host: String,
    auth: Option<PromqlAuth>,
    timeout: Duration,
    max_bytes: usize,
}

impl Client {
    pub fn new(settings: &PromqlSettings) -> Result<Client, String> {
        let http = reqwest::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.timeout)
            // A TSDB does not redirect; following one could send the credentials elsewhere.
            .redirect(reqwest::redirect::Policy::none())
            .default_headers(settings.headers.clone())
            .build()
            .map_err(|e| format!("cannot build the HTTP client: {e}"))?;
        Ok(Client {
            http,
            base: settings.url.as_str().trim_end_matches('/').to_string(),
            host: host_of(&settings.url),
            auth: settings.auth.clone(),
            timeout: settings.timeout,
            max_bytes: settings.max_response_bytes,
        })
    }

    /// GET `path` (e.g. `/api/v1/query`) with `params`; the body of a 2xx answer.
    pub async fn get(&self, path: &str, params: &[(&str, String)]) -> Result<Vec<u8>, HistoryError> {
        let mut url = Url::parse(&format!("{}{path}", self.base)).map_err(|e| self.bad(e.to_string()))?;
        url.query_pairs_mut().extend_pairs(params.iter().map(|(k, v)| (*k, v.as_str())));
        let mut request = self.http.get(url);
        request = match &self.auth {
            Some(PromqlAuth::Basic { username, password }) => request.basic_auth(username, Some(password.expose())),
            Some(PromqlAuth::Bearer(token)) => request.bearer_auth(token.expose()),
            None => request,
        };
        let response = request.send().await.map_err(|e| self.failed(e))?;
        let status = response.status();
        if status.is_success() {
            return self.read(response, self.max_bytes).await;
        }
        // An error answer's message, if it has a readable one.
        let body = self.read(response, ERROR_BODY_BYTES).await.unwrap_or_default();
        let message = answer::error_message(&body)
            .unwrap_or_else(|| answer::shorten(&String::from_utf8_lossy(&body)).replace(['\n', '\r'], " "));
        Err(HistoryError::Refused { host: self.host.clone(), status: status.as_u16(), message })
    }

    /// The body, refused past `limit` bytes (by its length if announced, else as it arrives).
    async fn read(&self, mut response: reqwest::Response, limit: usize) -> Result<Vec<u8>, HistoryError> {
        let too_large = || HistoryError::TooLarge { host: self.host.clone(), limit_bytes: limit };
        if response.content_length().is_some_and(|len| len > limit as u64) {
            return Err(too_large());
        }
        let mut body = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|e| self.failed(e))? {
            if body.len() + chunk.len() > limit {
                return Err(too_large());
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    pub fn bad(&self, reason: String) -> HistoryError {
        HistoryError::BadAnswer { host: self.host.clone(), reason }
    }

    fn failed(&self, e: reqwest::Error) -> HistoryError {
        if e.is_timeout() {
            return HistoryError::Timeout { host: self.host.clone(), after_ms: self.timeout.as_millis() as u64 };
        }
        // The URL (with the query) is left out; the causes say what failed.
        let causes = causes(&e);
        let reason = format!("{}{causes}", e.without_url());
        HistoryError::Unreachable { host: self.host.clone(), reason }
    }
}

/// `: client error (Connect): tcp connect error: Connection refused (os error 111)`.
fn causes(e: &reqwest::Error) -> String {
    let mut text = String::new();
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}

/// `host:port` of the TSDB's URL.
fn host_of(url: &Url) -> String {
    match (url.host_str(), url.port_or_known_default()) {
        (Some(host), Some(port)) => format!("{host}:{port}"),
        (Some(host), None) => host.to_string(),
        _ => url.scheme().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_configured_headers_go_with_each_query() {
        let (base, server) = crate::export::capture::one_request().await;
        let file: crate::config::FileConfig = toml::from_str(&format!(
            "[history]\nurl = \"{base}/prometheus\"\nheaders = {{ \"X-Scope-OrgID\" = \"lyon\" }}\n"
        ))
        .unwrap();
        let mut problems = Vec::new();
        let settings = crate::config::history::load(&file.history, None, &mut problems).unwrap();
        assert!(problems.is_empty(), "{problems:?}");
        assert!(!format!("{settings:?}").contains("lyon"), "header values are not shown");
        let client = Client::new(&settings).unwrap();
        assert_eq!(client.get("/api/v1/query", &[("query", "up".into())]).await.unwrap(), b"");
        let head = server.await.unwrap();
        assert!(head.starts_with("get /prometheus/api/v1/query?query=up "), "{head}");
        assert!(head.contains("x-scope-orgid: lyon\r\n"), "{head}");
    }
}
