//! HTTPS: the rustls server configuration from a PEM certificate chain and private key
//! (`--tls-cert`, `--tls-key`), with the `ring` provider and rustls's safe default versions.

use std::io::BufReader;

use crate::app::AppError;
use crate::config::TlsConfig;

pub fn server_config(tls: &TlsConfig) -> Result<rustls::ServerConfig, AppError> {
    let open = |path: &std::path::Path| {
        std::fs::File::open(path).map(BufReader::new).map_err(|e| AppError::Tls(format!("{}: {e}", path.display())))
    };
    let certs = rustls_pemfile::certs(&mut open(&tls.cert)?)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| AppError::Tls(format!("{}: {e}", tls.cert.display())))?;
    if certs.is_empty() {
        return Err(AppError::Tls(format!("{} holds no PEM certificate", tls.cert.display())));
    }
    let key = rustls_pemfile::private_key(&mut open(&tls.key)?)
        .map_err(|e| AppError::Tls(format!("{}: {e}", tls.key.display())))?
        .ok_or_else(|| AppError::Tls(format!("{} holds no PEM private key", tls.key.display())))?;
    rustls::ServerConfig::builder_with_provider(std::sync::Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| AppError::Tls(e.to_string()))?
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .map_err(|e| AppError::Tls(format!("the certificate and key do not make a TLS identity: {e}")))
}
