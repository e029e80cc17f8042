//! What `jobwarden serve` runs with: the plain [`ServeArgs`] the CLI fills from flags, the YAML
//! config file ([`FileConfig`]), and the resolved [`ServeSettings`] (files read, policy parsed).
//!
//! Flags override the file. Without a file the default policy runs in `enforce` mode.

use crate::ServeError;
use jobwarden_policy::pss::{Level, Version};
use jobwarden_posture::PssChoice;
use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// What the admission webhook does with a failed check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// Deny the request, naming each failed check and field.
    #[default]
    Enforce,
    /// Allow it with AdmissionReview warnings (kubectl prints them).
    Warn,
    /// Allow it and record the findings as audit annotations.
    Audit,
}

impl Mode {
    /// The config and metric label spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Warn => "warn",
            Mode::Audit => "audit",
        }
    }
}

impl std::str::FromStr for Mode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "enforce" => Ok(Mode::Enforce),
            "warn" => Ok(Mode::Warn),
            "audit" => Ok(Mode::Audit),
            other => Err(format!(
                "unknown mode `{other}` (expected enforce, warn or audit)"
            )),
        }
    }
}

/// When the audit spool is flushed to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum FsyncPolicy {
    /// `fsync` every batch before answering 200 (survives power loss).
    #[default]
    Always,
    /// `fsync` on a timer; a `kill -9` loses nothing (the page cache survives), power loss may
    /// lose up to one interval.
    Interval,
    /// Leave it to the kernel.
    Never,
}

impl std::str::FromStr for FsyncPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "always" => Ok(FsyncPolicy::Always),
            "interval" => Ok(FsyncPolicy::Interval),
            "never" => Ok(FsyncPolicy::Never),
            other => Err(format!(
                "unknown fsync policy `{other}` (expected always, interval or never)"
            )),
        }
    }
}

/// Flags from the command line; every field is optional and overrides the config file.
#[derive(Debug, Clone, Default)]
pub struct ServeArgs {
    /// `--config FILE`: the YAML config ([`FileConfig`]).
    pub config: Option<PathBuf>,
    /// `--listen ADDR` (default `0.0.0.0:8443`).
    pub listen: Option<SocketAddr>,
    /// `--tls-cert FILE`: PEM certificate chain (reloaded when it changes).
    pub tls_cert: Option<PathBuf>,
    /// `--tls-key FILE`: PEM private key (reloaded when it changes).
    pub tls_key: Option<PathBuf>,
    /// `--client-ca FILE`: PEM CA bundle; clients presenting a certificate it signed are
    /// authenticated.
    pub client_ca: Option<PathBuf>,
    /// `--token-file FILE`: a bearer token clients may present instead.
    pub bearer_token_file: Option<PathBuf>,
    /// `--detect-config FILE`: the detection/policy config (`jobwarden.yaml`).
    pub detect_config: Option<PathBuf>,
    /// `--spool-dir DIR` (default `./jobwarden-spool`).
    pub spool_dir: Option<PathBuf>,
    /// `--fsync always|interval|never`.
    pub fsync: Option<FsyncPolicy>,
    /// `--mode enforce|warn|audit`.
    pub mode: Option<Mode>,
    /// `--pss LEVEL` (`privileged` turns PSS checks off).
    pub pss_level: Option<String>,
    /// `--pss-version VERSION` (`latest`, `v1.29`, ...).
    pub pss_version: Option<String>,
    /// `--alerts-stdout`: alerts as JSON lines on standard output.
    pub alerts_stdout: Option<bool>,
    /// `--alerts-file FILE`: alerts as JSON lines in a rotating file.
    pub alerts_file: Option<PathBuf>,
    /// `--alerts-webhook URL`: alerts POSTed as a JSON array (http:// or https://).
    pub alerts_webhook: Option<String>,
}

/// The config file (`jobwarden serve --config FILE`). Every field has a default.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct FileConfig {
    /// Listen address.
    pub listen: Option<SocketAddr>,
    /// TLS material.
    pub tls: TlsConfig,
    /// Client authentication.
    pub auth: AuthConfig,
    /// Admission policy.
    pub admission: AdmissionConfig,
    /// Audit webhook backend.
    pub audit: AuditConfig,
    /// Alert sinks.
    pub sinks: SinksConfig,
    /// The detection/policy config file (`jobwarden.yaml`: trusted identities, template and
    /// CronJob policy), relative to this file.
    pub detect_config: Option<PathBuf>,
    /// Request time limits.
    pub limits: LimitsConfig,
}

/// `tls:`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct TlsConfig {
    /// Certificate chain (PEM).
    pub cert: Option<PathBuf>,
    /// Private key (PEM).
    pub key: Option<PathBuf>,
    /// Seconds between checks of the files' modification times (default 10).
    pub reload_seconds: Option<u64>,
}

/// `auth:`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// CA bundle for client certificates.
    pub client_ca: Option<PathBuf>,
    /// File holding the bearer token (surrounding whitespace trimmed).
    pub bearer_token_file: Option<PathBuf>,
    /// Require authentication on `/metrics` too (default true).
    pub metrics_require_auth: Option<bool>,
}

/// `admission:`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct AdmissionConfig {
    /// enforce, warn or audit.
    pub mode: Option<Mode>,
    /// PSS level enforced on templates (default `baseline`; `privileged` disables).
    pub pss_level: Option<String>,
    /// PSS version (default `latest`).
    pub pss_version: Option<String>,
    /// Template and CronJob findings at or above this severity fail (default `medium`). PSS
    /// findings always fail.
    pub fail_severity: Option<String>,
    /// Identities (username or group patterns) whose writes pass unjudged, besides the
    /// kube-controller-manager controllers. Matched on the authenticated userInfo only.
    pub exempt: Vec<String>,
    /// M1018: who may write Jobs and CronJobs (username or group patterns). Empty: anyone RBAC
    /// lets through.
    pub batch_writers: Vec<String>,
}

/// `audit:`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct AuditConfig {
    /// Spool directory.
    pub spool_dir: Option<PathBuf>,
    /// always, interval or never.
    pub fsync: Option<FsyncPolicy>,
    /// Interval for `fsync: interval` (default 200 ms).
    pub fsync_interval_ms: Option<u64>,
    /// Bytes of unprocessed spool before `/audit` answers 429 (default 256 MiB).
    pub max_spool_bytes: Option<u64>,
    /// Largest audit batch accepted (default 32 MiB).
    pub max_body_bytes: Option<usize>,
}

/// `sinks:`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct SinksConfig {
    /// JSON lines on standard output.
    pub stdout: Option<bool>,
    /// Rotating JSON-lines file.
    pub file: Option<FileSinkConfig>,
    /// Outbound HTTP webhook.
    pub webhook: Option<WebhookSinkConfig>,
}

/// `sinks.file:`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSinkConfig {
    /// The live file; rotated copies get `.1`, `.2`, ...
    pub path: PathBuf,
    /// Rotate past this size (default 100 MiB).
    #[serde(default)]
    pub max_bytes: Option<u64>,
    /// Rotated files kept (default 5).
    #[serde(default)]
    pub keep: Option<u32>,
}

/// `sinks.webhook:`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSinkConfig {
    /// `http://host:port/path` or `https://...`.
    pub url: String,
    /// CA bundle for an https URL.
    #[serde(default)]
    pub ca_file: Option<PathBuf>,
    /// Bearer token file sent as `Authorization`.
    #[serde(default)]
    pub token_file: Option<PathBuf>,
    /// Attempts per batch (default 5), with exponential backoff from 200 ms.
    #[serde(default)]
    pub attempts: Option<u32>,
}

/// `limits:`.
#[derive(Debug, Clone, Deserialize, Default)]
#[serde(default, deny_unknown_fields)]
pub struct LimitsConfig {
    /// Per-request time limit in seconds (default 10).
    pub request_seconds: Option<u64>,
    /// Largest AdmissionReview accepted (default 8 MiB).
    pub max_review_bytes: Option<usize>,
}

/// The resolved settings [`crate::run`] serves with.
#[derive(Debug, Clone)]
pub struct ServeSettings {
    /// Listen address.
    pub listen: SocketAddr,
    /// Certificate chain file.
    pub tls_cert: PathBuf,
    /// Private key file.
    pub tls_key: PathBuf,
    /// Poll interval for certificate reloads.
    pub tls_reload: Duration,
    /// Client CA bundle file.
    pub client_ca: Option<PathBuf>,
    /// The bearer token (already read).
    pub bearer_token: Option<String>,
    /// Require authentication on `/metrics`.
    pub metrics_require_auth: bool,
    /// Admission policy.
    pub admission: AdmissionPolicy,
    /// The detection config (also the template and CronJob policy).
    pub detect: jobwarden_detect::Config,
    /// Spool directory.
    pub spool_dir: PathBuf,
    /// Spool flush policy.
    pub fsync: FsyncPolicy,
    /// Interval for [`FsyncPolicy::Interval`].
    pub fsync_interval: Duration,
    /// Unprocessed spool bytes before 429.
    pub max_spool_bytes: u64,
    /// Largest audit batch.
    pub max_audit_body: usize,
    /// Largest AdmissionReview.
    pub max_review_body: usize,
    /// Per-request time limit.
    pub request_timeout: Duration,
    /// Alerts to standard output.
    pub sink_stdout: bool,
    /// Rotating file sink.
    pub sink_file: Option<FileSinkConfig>,
    /// Outbound webhook sink.
    pub sink_webhook: Option<WebhookSink>,
}

/// The resolved webhook sink.
#[derive(Debug, Clone)]
pub struct WebhookSink {
    /// Target URL.
    pub url: String,
    /// CA bundle for https.
    pub ca_file: Option<PathBuf>,
    /// Bearer token.
    pub token: Option<String>,
    /// Attempts per batch.
    pub attempts: u32,
}

/// The admission policy, resolved.
#[derive(Debug, Clone)]
pub struct AdmissionPolicy {
    /// What a failed check does.
    pub mode: Mode,
    /// PSS level on templates (`None`: privileged, no PSS checks).
    pub pss: Option<PssChoice>,
    /// Template/CronJob findings at or above this fail.
    pub fail_severity: jobwarden_model::Severity,
    /// Exempt identities (patterns), besides the controllers.
    pub exempt: Vec<String>,
    /// M1018 allowlist of batch writers (empty: not enforced).
    pub batch_writers: Vec<String>,
}

impl Default for AdmissionPolicy {
    fn default() -> Self {
        AdmissionPolicy {
            mode: Mode::Enforce,
            pss: Some(PssChoice {
                level: Level::Baseline,
                version: Version::Latest,
            }),
            fail_severity: jobwarden_model::Severity::Medium,
            exempt: Vec::new(),
            batch_writers: Vec::new(),
        }
    }
}

fn read_text(path: &Path, what: &str) -> Result<String, ServeError> {
    std::fs::read_to_string(path).map_err(|source| ServeError::Read {
        what: what.to_string(),
        path: path.to_path_buf(),
        source,
    })
}

fn parse_pss(level: Option<&str>, version: Option<&str>) -> Result<Option<PssChoice>, ServeError> {
    if level.is_some_and(|l| l.trim().eq_ignore_ascii_case("privileged")) {
        return Ok(None);
    }
    let level: Level = match level {
        Some(l) => l
            .parse()
            .map_err(|_| ServeError::Config(format!("admission.pss_level: unknown level `{l}`")))?,
        None => Level::Baseline,
    };
    let version: Version = match version {
        Some(v) => v.parse().map_err(|_| {
            ServeError::Config(format!("admission.pss_version: unknown version `{v}`"))
        })?,
        None => Version::Latest,
    };
    Ok(Some(PssChoice { level, version }))
}

impl ServeSettings {
    /// Settings from a config file alone.
    pub fn from_config_file(path: &Path) -> Result<ServeSettings, ServeError> {
        ServeSettings::from_args(&ServeArgs {
            config: Some(path.to_path_buf()),
            ..ServeArgs::default()
        })
    }

    /// Settings from flags (and the config file they name); flags win.
    pub fn from_args(args: &ServeArgs) -> Result<ServeSettings, ServeError> {
        let (file, base) = match &args.config {
            Some(path) => {
                let text = read_text(path, "config")?;
                let file: FileConfig = serde_saphyr::from_str(&text)
                    .map_err(|e| ServeError::Config(format!("{}: {e}", path.display())))?;
                let base = path.parent().map(Path::to_path_buf).unwrap_or_default();
                (file, base)
            }
            None => (FileConfig::default(), PathBuf::new()),
        };
        let rel = |p: &Path| {
            if p.is_absolute() {
                p.to_path_buf()
            } else {
                base.join(p)
            }
        };
        let tls_cert = args
            .tls_cert
            .clone()
            .or_else(|| file.tls.cert.as_deref().map(rel))
            .ok_or_else(|| {
                ServeError::Config("no TLS certificate: pass --tls-cert or set tls.cert".into())
            })?;
        let tls_key = args
            .tls_key
            .clone()
            .or_else(|| file.tls.key.as_deref().map(rel))
            .ok_or_else(|| {
                ServeError::Config("no TLS key: pass --tls-key or set tls.key".into())
            })?;
        let client_ca = args
            .client_ca
            .clone()
            .or_else(|| file.auth.client_ca.as_deref().map(rel));
        let token_file = args
            .bearer_token_file
            .clone()
            .or_else(|| file.auth.bearer_token_file.as_deref().map(rel));
        let bearer_token = match token_file {
            Some(p) => {
                let t = read_text(&p, "bearer token")?.trim().to_string();
                if t.is_empty() {
                    return Err(ServeError::Config(format!(
                        "{}: the bearer token file is empty",
                        p.display()
                    )));
                }
                Some(t)
            }
            None => None,
        };
        let detect_path = args
            .detect_config
            .clone()
            .or_else(|| file.detect_config.as_deref().map(rel));
        let detect = match detect_path {
            Some(p) => jobwarden_detect::Config::from_file(&p)
                .map_err(|e| ServeError::Config(format!("{}: {e}", p.display())))?,
            None => jobwarden_detect::Config::from_yaml("")
                .map_err(|e| ServeError::Config(format!("default detect config: {e}")))?,
        };
        let a = &file.admission;
        let pss = parse_pss(
            args.pss_level.as_deref().or(a.pss_level.as_deref()),
            args.pss_version.as_deref().or(a.pss_version.as_deref()),
        )?;
        let fail_severity = match &a.fail_severity {
            Some(s) => s.parse().map_err(|_| {
                ServeError::Config(format!("admission.fail_severity: unknown severity `{s}`"))
            })?,
            None => jobwarden_model::Severity::Medium,
        };
        let admission = AdmissionPolicy {
            mode: args.mode.or(a.mode).unwrap_or_default(),
            pss,
            fail_severity,
            exempt: a.exempt.clone(),
            batch_writers: a.batch_writers.clone(),
        };
        let sink_webhook = match (&args.alerts_webhook, &file.sinks.webhook) {
            (Some(url), _) => Some(WebhookSink {
                url: url.clone(),
                ca_file: None,
                token: None,
                attempts: 5,
            }),
            (None, Some(w)) => Some(WebhookSink {
                url: w.url.clone(),
                ca_file: w.ca_file.as_deref().map(rel),
                token: match &w.token_file {
                    Some(p) => Some(read_text(&rel(p), "webhook token")?.trim().to_string()),
                    None => None,
                },
                attempts: w.attempts.unwrap_or(5).max(1),
            }),
            (None, None) => None,
        };
        let sink_file = match (&args.alerts_file, &file.sinks.file) {
            (Some(p), _) => Some(FileSinkConfig {
                path: p.clone(),
                max_bytes: None,
                keep: None,
            }),
            (None, Some(f)) => Some(FileSinkConfig {
                path: rel(&f.path),
                ..f.clone()
            }),
            (None, None) => None,
        };
        // With no sink configured alerts still go somewhere visible.
        let sink_stdout = args
            .alerts_stdout
            .or(file.sinks.stdout)
            .unwrap_or(sink_file.is_none() && sink_webhook.is_none());
        Ok(ServeSettings {
            listen: args
                .listen
                .or(file.listen)
                .unwrap_or_else(|| SocketAddr::from(([0, 0, 0, 0], 8443))),
            tls_cert,
            tls_key,
            tls_reload: Duration::from_secs(file.tls.reload_seconds.unwrap_or(10).max(1)),
            client_ca,
            bearer_token,
            metrics_require_auth: file.auth.metrics_require_auth.unwrap_or(true),
            admission,
            detect,
            spool_dir: args
                .spool_dir
                .clone()
                .or_else(|| file.audit.spool_dir.as_deref().map(rel))
                .unwrap_or_else(|| PathBuf::from("jobwarden-spool")),
            fsync: args.fsync.or(file.audit.fsync).unwrap_or_default(),
            fsync_interval: Duration::from_millis(
                file.audit.fsync_interval_ms.unwrap_or(200).max(1),
            ),
            max_spool_bytes: file.audit.max_spool_bytes.unwrap_or(256 << 20),
            max_audit_body: file.audit.max_body_bytes.unwrap_or(32 << 20),
            max_review_body: file.limits.max_review_bytes.unwrap_or(8 << 20),
            request_timeout: Duration::from_secs(file.limits.request_seconds.unwrap_or(10).max(1)),
            sink_stdout,
            sink_file,
            sink_webhook,
        })
    }

    /// True when neither client certificates nor a bearer token are configured.
    pub fn unauthenticated(&self) -> bool {
        self.client_ca.is_none() && self.bearer_token.is_none()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, text).expect("write");
        p
    }

    #[test]
    fn flags_alone_give_the_default_policy_in_enforce_mode() {
        let s = ServeSettings::from_args(&ServeArgs {
            tls_cert: Some("c.pem".into()),
            tls_key: Some("k.pem".into()),
            ..ServeArgs::default()
        })
        .expect("settings");
        assert_eq!(s.admission.mode, Mode::Enforce);
        assert!(s.unauthenticated());
        assert!(s.sink_stdout, "alerts go to stdout when no sink is set");
        assert_eq!(s.max_audit_body, 32 << 20);
        assert_eq!(s.admission.pss.map(|p| p.level), Some(Level::Baseline));
    }

    #[test]
    fn config_file_paths_are_relative_to_it_and_flags_win() {
        let dir = tempfile::tempdir().expect("tempdir");
        write(dir.path(), "token", "  abc \n");
        let cfg = write(
            dir.path(),
            "serve.yaml",
            "tls:\n  cert: tls/c.pem\n  key: tls/k.pem\nauth:\n  bearer_token_file: token\nadmission:\n  mode: warn\n  pss_level: restricted\n  batch_writers: [\"oidc:admins\"]\naudit:\n  fsync: interval\nsinks:\n  file:\n    path: out/alerts.jsonl\n",
        );
        let s = ServeSettings::from_config_file(&cfg).expect("settings");
        assert_eq!(s.tls_cert, dir.path().join("tls/c.pem"));
        assert_eq!(s.bearer_token.as_deref(), Some("abc"));
        assert_eq!(s.admission.mode, Mode::Warn);
        assert_eq!(s.admission.pss.map(|p| p.level), Some(Level::Restricted));
        assert_eq!(s.fsync, FsyncPolicy::Interval);
        assert!(!s.sink_stdout);
        let s = ServeSettings::from_args(&ServeArgs {
            config: Some(cfg),
            mode: Some(Mode::Audit),
            pss_level: Some("privileged".into()),
            ..ServeArgs::default()
        })
        .expect("settings");
        assert_eq!(s.admission.mode, Mode::Audit);
        assert_eq!(s.admission.pss, None);
    }

    #[test]
    fn unknown_fields_and_values_name_the_problem() {
        let dir = tempfile::tempdir().expect("tempdir");
        let cfg = write(
            dir.path(),
            "a.yaml",
            "tls:\n  cert: c\n  key: k\nadmision: {}\n",
        );
        let e = ServeSettings::from_config_file(&cfg).expect_err("typo");
        assert!(e.to_string().contains("admision"), "{e}");
        let cfg = write(
            dir.path(),
            "b.yaml",
            "tls:\n  cert: c\n  key: k\nadmission:\n  pss_level: strict\n",
        );
        let e = ServeSettings::from_config_file(&cfg).expect_err("bad level");
        assert!(e.to_string().contains("pss_level"), "{e}");
        let e = ServeSettings::from_args(&ServeArgs::default()).expect_err("no cert");
        assert!(e.to_string().contains("--tls-cert"), "{e}");
    }

    #[test]
    fn the_shipped_deploy_config_parses() {
        #[derive(Deserialize)]
        struct ConfigMap {
            data: std::collections::BTreeMap<String, String>,
        }
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../deploy/configmap.yaml");
        let text = std::fs::read_to_string(&path).expect("deploy/configmap.yaml");
        let cm: ConfigMap = serde_saphyr::from_str(&text).expect("configmap");
        let dir = tempfile::tempdir().expect("tempdir");
        for (name, body) in &cm.data {
            write(dir.path(), name, body);
        }
        let s =
            ServeSettings::from_config_file(&dir.path().join("serve.yaml")).expect("serve.yaml");
        assert_eq!(s.admission.mode, Mode::Enforce);
        assert_eq!(s.admission.pss.map(|p| p.level), Some(Level::Restricted));
        assert!(
            s.client_ca.is_some(),
            "the deployment authenticates the apiserver"
        );
        assert_eq!(s.fsync, FsyncPolicy::Always);
    }
}
