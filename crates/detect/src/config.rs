//! The detection config (`jobwarden.yaml`): who is trusted to write batch objects, which
//! registries are trusted, which identities may list jobs cluster-wide, severity overrides and
//! disabled rules. Every field has a default, so an empty file (or none) is a valid config.
//!
//! Identities are matched by username and group patterns, never by user agent or annotations:
//! both are set by the client and an attacker sets them too.

use jobwarden_model::Severity;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The whole config file.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Automation trusted to create and change Jobs and CronJobs (GitOps, CI, backup, workflow
    /// engines). Their writes with clean templates are `info`.
    pub trusted_automation: Vec<TrustedIdentity>,
    /// Identities allowed to list and watch jobs and cronjobs across namespaces (monitoring).
    pub monitors: Vec<String>,
    /// Humans or groups who administer batch workloads (an M1018 allowlist). When empty, every
    /// authenticated human is treated the same; when set, others writing batch objects are
    /// raised one step.
    pub batch_admins: Vec<String>,
    /// M1018 for `scan` over RBAC manifests: subjects authorised to write batch objects, as
    /// `[Kind:]glob` (`Group:system:masters`, `ServiceAccount:kube-system/*`, `User:alice`).
    /// Empty: system:masters, kube-system service accounts and the control-plane users.
    pub authorised_batch_writers: Vec<String>,
    /// The policy core's template checks: trusted registries, sensitive host paths, dangerous
    /// capabilities, privileged service accounts, trusted download hosts.
    pub template: jobwarden_policy::TemplatePolicy,
    /// The policy core's CronJob checks: frequency and TTL thresholds.
    pub cronjob: jobwarden_policy::CronJobPolicy,
    /// The baseline of normal batch activity (`hunt --baseline`, `jobwarden baseline`): state
    /// path, learning window, thresholds, anomaly kinds that alert.
    pub baseline: jobwarden_baseline::BaselineConfig,
    /// Host and node events (kubectl on hosts, raw API calls, node file writes, proxy logs):
    /// admins, admin hosts, disabled host rules, severity overrides.
    pub host: jobwarden_host::HostConfig,
    /// Sigma rules loaded on every run (next to `--sigma`), `expand` placeholders and field
    /// mappings laid over the defaults.
    pub sigma: jobwarden_sigma::SigmaConfig,
    /// Images trusted to need host access (node security scanners, collectors): on objects
    /// whose every container uses one of them, privilege and host-access findings are capped
    /// at `low`. Command findings (download-and-run, reverse shells, ...) are never capped.
    pub trusted_images: Vec<TrustedImage>,
    /// Per-rule severity overrides, by rule id or slug.
    pub severity_overrides: BTreeMap<String, Severity>,
    /// Rules to switch off, by id or slug.
    pub disabled_rules: Vec<String>,
    /// Bounds on the state kept while streaming.
    pub limits: Limits,
    /// Thresholds of the heuristics.
    pub thresholds: Thresholds,
}

/// A named piece of trusted automation.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedIdentity {
    /// What it is, for people reading alerts ("Argo CD").
    pub name: String,
    /// Username patterns (`*` matches any run of characters).
    #[serde(default)]
    pub users: Vec<String>,
    /// Group patterns.
    #[serde(default)]
    pub groups: Vec<String>,
}

/// An image trusted to need host access, optionally only in some namespaces.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrustedImage {
    /// Image repository prefix, matched on whole path components
    /// (`docker.io/aquasec/kube-bench` matches `docker.io/aquasec/kube-bench:v0.7.1`).
    pub image: String,
    /// Namespace patterns where the trust holds; empty: everywhere.
    #[serde(default)]
    pub namespaces: Vec<String>,
}

impl TrustedImage {
    /// True when `image` in `namespace` is covered.
    pub fn covers(&self, image: &str, namespace: &str) -> bool {
        let ns_ok =
            self.namespaces.is_empty() || self.namespaces.iter().any(|p| glob_match(p, namespace));
        ns_ok && image_has_prefix(image, &self.image)
    }
}

/// `image` starts with the repository `prefix` on a path-component boundary; `docker.io/` and
/// `docker.io/library/` may be left out on either side.
pub fn image_has_prefix(image: &str, prefix: &str) -> bool {
    fn canonical(s: &str) -> String {
        let first = s.split('/').next().unwrap_or("");
        let has_registry =
            s.contains('/') && (first.contains('.') || first.contains(':') || first == "localhost");
        let s = if has_registry {
            s.to_string()
        } else if s.contains('/') {
            format!("docker.io/{s}")
        } else {
            format!("docker.io/library/{s}")
        };
        s.replace("index.docker.io/", "docker.io/")
    }
    let image = canonical(image);
    let prefix = canonical(prefix.trim_end_matches('/'));
    match image.strip_prefix(&prefix) {
        Some(rest) => rest.is_empty() || rest.starts_with([':', '@', '/']),
        None => false,
    }
}

/// Memory bounds.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// Most Jobs/CronJobs whose last state is kept; the least recently used is evicted.
    pub max_objects: usize,
    /// Most requests waiting for their ResponseComplete stage.
    pub max_pending_requests: usize,
    /// Most completed auditIDs remembered to drop duplicate stage records.
    pub max_seen_requests: usize,
}

/// Heuristic thresholds.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Thresholds {
    /// A Job deleted by a non-controller within this many seconds of its creation is evidence
    /// hiding.
    pub delete_after_run_seconds: i64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_objects: 100_000,
            max_pending_requests: 50_000,
            max_seen_requests: 200_000,
        }
    }
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds {
            delete_after_run_seconds: 600,
        }
    }
}

fn trusted(name: &str, users: &[&str]) -> TrustedIdentity {
    TrustedIdentity {
        name: name.to_string(),
        users: users.iter().map(|u| u.to_string()).collect(),
        groups: Vec::new(),
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            trusted_automation: vec![
                trusted(
                    "Argo CD",
                    &[
                        "system:serviceaccount:argocd:argocd-application-controller",
                        "system:serviceaccount:argocd:argocd-server",
                        "system:serviceaccount:argo-cd:argocd-application-controller",
                    ],
                ),
                trusted(
                    "Flux",
                    &[
                        "system:serviceaccount:flux-system:kustomize-controller",
                        "system:serviceaccount:flux-system:helm-controller",
                    ],
                ),
                trusted(
                    "Velero",
                    &[
                        "system:serviceaccount:velero:velero",
                        "system:serviceaccount:velero:velero-server",
                    ],
                ),
                trusted(
                    "Argo Workflows",
                    &[
                        "system:serviceaccount:argo:argo-workflow-controller",
                        "system:serviceaccount:argo:argo-server",
                        "system:serviceaccount:argo:argo",
                    ],
                ),
                trusted(
                    "Airflow",
                    &[
                        "system:serviceaccount:airflow:airflow-scheduler",
                        "system:serviceaccount:airflow:airflow-worker",
                        "system:serviceaccount:airflow:airflow-triggerer",
                    ],
                ),
                trusted(
                    "Tekton",
                    &["system:serviceaccount:tekton-pipelines:tekton-pipelines-controller"],
                ),
                trusted(
                    "Spark operator",
                    &["system:serviceaccount:spark-operator:spark-operator*"],
                ),
                trusted(
                    "Kubeflow training operator",
                    &["system:serviceaccount:kubeflow:training-operator"],
                ),
            ],
            monitors: [
                "system:serviceaccount:*:kube-state-metrics",
                "system:serviceaccount:*:prometheus*",
                "system:serviceaccount:*:datadog*",
                "system:serviceaccount:*:metrics-server",
                "system:serviceaccount:*:opentelemetry-collector*",
                "system:serviceaccount:*:otel-collector*",
                "system:serviceaccount:*:kubecost*",
                "system:serviceaccount:*:velero",
                "system:serviceaccount:argocd:argocd-application-controller",
                "system:serviceaccount:flux-system:*",
                "system:serviceaccount:*:trivy-operator",
                "system:serviceaccount:*:kyverno*",
                "system:serviceaccount:*:gatekeeper*",
                "system:serviceaccount:*:falco*",
                "system:serviceaccount:*:jobwarden",
            ]
            .into_iter()
            .map(String::from)
            .collect(),
            batch_admins: Vec::new(),
            authorised_batch_writers: Vec::new(),
            template: jobwarden_policy::TemplatePolicy::default(),
            cronjob: jobwarden_policy::CronJobPolicy::default(),
            host: jobwarden_host::HostConfig::default(),
            baseline: jobwarden_baseline::BaselineConfig::default(),
            sigma: jobwarden_sigma::SigmaConfig::default(),
            trusted_images: Vec::new(),
            severity_overrides: BTreeMap::new(),
            disabled_rules: Vec::new(),
            limits: Limits::default(),
            thresholds: Thresholds::default(),
        }
    }
}

/// The config could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Not valid YAML, or a field is unknown or has the wrong type.
    #[error("invalid config: {0}")]
    Invalid(String),
    /// The file could not be read.
    #[error("cannot read config {path}: {source}")]
    Read {
        /// The file.
        path: std::path::PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
}

impl Config {
    /// Parse a YAML config. Unknown fields are errors (a typo must not silently disable trust
    /// or a rule); missing sections keep their defaults. Lists given in the file *replace* the
    /// default lists.
    pub fn from_yaml(text: &str) -> Result<Config, ConfigError> {
        if text.trim().is_empty() {
            return Ok(Config::default());
        }
        serde_saphyr::from_str(text).map_err(|e| ConfigError::Invalid(e.to_string()))
    }

    /// Read and parse a config file; paths inside it (Sigma rule paths) are taken relative to
    /// the file's directory.
    pub fn from_file(path: &std::path::Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let mut config = Config::from_yaml(&text)?;
        let dir = path.parent().unwrap_or(std::path::Path::new("."));
        config.sigma.resolve_paths(dir);
        Ok(config)
    }

    /// True when `rule` (id or slug) is disabled.
    pub fn is_disabled(&self, id: &str, slug: &str) -> bool {
        self.disabled_rules
            .iter()
            .any(|r| r.eq_ignore_ascii_case(id) || r == slug)
    }

    /// The configured severity for a rule, if overridden.
    pub fn severity_override(&self, id: &str, slug: &str) -> Option<Severity> {
        self.severity_overrides
            .get(id)
            .or_else(|| self.severity_overrides.get(slug))
            .copied()
    }
}

/// `*` globs, the same matcher the policy core uses for its patterns.
pub use jobwarden_model::glob_match;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match(
            "system:serviceaccount:*:prometheus*",
            "system:serviceaccount:mon:prometheus-k8s"
        ));
        assert!(!glob_match(
            "system:serviceaccount:*:prometheus*",
            "system:serviceaccount:mon:evil"
        ));
        assert!(glob_match("alice", "alice"));
        assert!(!glob_match("alice", "alice2"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a*b*c", "a--b--c"));
        assert!(!glob_match("a*b*c", "a--c--b"));
    }

    #[test]
    fn shipped_example_config_is_valid() {
        let text = include_str!("../../../examples/jobwarden.yaml");
        let cfg = Config::from_yaml(text).expect("examples/jobwarden.yaml parses");
        assert!(cfg.trusted_automation.iter().any(|t| t.name == "Argo CD"));
        assert_eq!(cfg.trusted_images.len(), 2);
    }

    #[test]
    fn image_prefixes() {
        assert!(image_has_prefix(
            "aquasec/kube-bench:v0.7.1",
            "docker.io/aquasec/kube-bench"
        ));
        assert!(image_has_prefix(
            "docker.io/aquasec/kube-bench@sha256:ab",
            "aquasec/kube-bench"
        ));
        assert!(!image_has_prefix(
            "docker.io/aquasec/kube-bench-evil:1",
            "aquasec/kube-bench"
        ));
        assert!(image_has_prefix(
            "ghcr.io/aquasecurity/node-collector:0.3",
            "ghcr.io/aquasecurity/"
        ));
        assert!(!image_has_prefix(
            "ghcr.io/aquasecurity2/x",
            "ghcr.io/aquasecurity"
        ));
        let t = TrustedImage {
            image: "aquasec/kube-bench".into(),
            namespaces: vec!["security".into()],
        };
        assert!(t.covers("aquasec/kube-bench:v1", "security"));
        assert!(!t.covers("aquasec/kube-bench:v1", "default"));
    }

    #[test]
    fn config_parses_and_rejects_typos() {
        let cfg = Config::from_yaml("template:\n  trusted_registries: [registry.corp.example]\ndisabled_rules: [JW-AUD-0014]\n")
            .expect("valid config");
        assert_eq!(
            cfg.template.trusted_registries,
            vec!["registry.corp.example"]
        );
        assert!(cfg.is_disabled("JW-AUD-0014", "x"));
        assert!(
            !cfg.trusted_automation.is_empty(),
            "defaults kept for sections not given"
        );
        assert!(Config::from_yaml("trusted_registry: [x]\n").is_err());
        assert!(Config::from_yaml("").is_ok());
    }
}
