//! TLS: the server certificate and key from PEM files, re-read when their modification times
//! change, and optional client-certificate verification against a CA bundle.

use crate::ServeError;
use rustls::RootCertStore;
use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Once, RwLock};
use std::time::SystemTime;

/// Install the ring crypto provider once per process.
pub fn install_provider() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // Another part of the process may have installed one already; that is fine.
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

fn provider() -> Arc<rustls::crypto::CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Load a PEM certificate chain.
pub fn load_certs(path: &Path) -> Result<Vec<CertificateDer<'static>>, ServeError> {
    let certs: Vec<_> = CertificateDer::pem_file_iter(path)
        .map_err(|e| ServeError::Tls(format!("{}: {e}", path.display())))?
        .collect::<Result<_, _>>()
        .map_err(|e| ServeError::Tls(format!("{}: {e}", path.display())))?;
    if certs.is_empty() {
        return Err(ServeError::Tls(format!(
            "{}: no CERTIFICATE block",
            path.display()
        )));
    }
    Ok(certs)
}

/// Load a CA bundle as trust roots.
pub fn load_roots(path: &Path) -> Result<RootCertStore, ServeError> {
    let mut roots = RootCertStore::empty();
    for cert in load_certs(path)? {
        roots
            .add(cert)
            .map_err(|e| ServeError::Tls(format!("{}: {e}", path.display())))?;
    }
    Ok(roots)
}

fn load_key(cert: &Path, key: &Path) -> Result<CertifiedKey, ServeError> {
    let chain = load_certs(cert)?;
    let der = PrivateKeyDer::from_pem_file(key)
        .map_err(|e| ServeError::Tls(format!("{}: {e}", key.display())))?;
    CertifiedKey::from_der(chain, der, &provider())
        .map_err(|e| ServeError::Tls(format!("{} / {}: {e}", cert.display(), key.display())))
}

/// Modification times of the certificate and key files.
type Stamp = (Option<SystemTime>, Option<SystemTime>);

fn mtimes(cert: &Path, key: &Path) -> Stamp {
    let m = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    (m(cert), m(key))
}

/// A certificate resolver that re-reads the files when they change.
#[derive(Debug)]
pub struct ReloadingCert {
    cert_path: PathBuf,
    key_path: PathBuf,
    current: RwLock<(Arc<CertifiedKey>, Stamp)>,
}

impl ReloadingCert {
    /// Load the pair now (an error here stops start-up).
    pub fn new(cert: &Path, key: &Path) -> Result<Arc<ReloadingCert>, ServeError> {
        let stamp = mtimes(cert, key);
        let loaded = load_key(cert, key)?;
        Ok(Arc::new(ReloadingCert {
            cert_path: cert.to_path_buf(),
            key_path: key.to_path_buf(),
            current: RwLock::new((Arc::new(loaded), stamp)),
        }))
    }

    /// Re-read the files if their modification times changed; a bad pair keeps the old one.
    /// Returns true when a new pair was installed.
    pub fn reload_if_changed(&self) -> bool {
        let stamp = mtimes(&self.cert_path, &self.key_path);
        let same = self.current.read().map(|c| c.1 == stamp).unwrap_or(false);
        if same {
            return false;
        }
        match load_key(&self.cert_path, &self.key_path) {
            Ok(k) => {
                if let Ok(mut c) = self.current.write() {
                    *c = (Arc::new(k), stamp);
                }
                tracing::info!(cert = %self.cert_path.display(), "TLS certificate reloaded");
                true
            }
            Err(e) => {
                // Half-written files during a rotation: try again next tick.
                tracing::warn!(error = %e, "TLS certificate reload failed; keeping the old one");
                false
            }
        }
    }
}

impl ResolvesServerCert for ReloadingCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        self.current.read().ok().map(|c| c.0.clone())
    }
}

/// The server's TLS config: HTTP/1.1 by ALPN; client certificates verified against
/// `client_ca` when given (optional when a bearer token may be used instead).
pub fn server_config(
    resolver: Arc<ReloadingCert>,
    client_ca: Option<&Path>,
    certificate_required: bool,
) -> Result<rustls::ServerConfig, ServeError> {
    install_provider();
    let builder = rustls::ServerConfig::builder_with_provider(provider())
        .with_safe_default_protocol_versions()
        .map_err(|e| ServeError::Tls(e.to_string()))?;
    let builder = match client_ca {
        Some(ca) => {
            let roots = Arc::new(load_roots(ca)?);
            let v = WebPkiClientVerifier::builder_with_provider(roots, provider());
            let v = if certificate_required {
                v
            } else {
                v.allow_unauthenticated()
            };
            let verifier = v
                .build()
                .map_err(|e| ServeError::Tls(format!("{}: {e}", ca.display())))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_cert_resolver(resolver);
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}
