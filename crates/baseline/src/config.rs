//! The baseline's settings (a `baseline:` section of `jobwarden.yaml`, or a file of its own):
//! where the state lives, how long only learning happens, the thresholds of the judgements and
//! which anomaly kinds alert. Every field has a default, so an empty section is valid.

use crate::anomaly::AnomalyKind;
use jiff::Timestamp;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// Baseline settings.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BaselineConfig {
    /// The state file. Default: [`default_path`] (`$XDG_STATE_HOME/jobwarden/baseline.redb` or
    /// `~/.local/state/jobwarden/baseline.redb`).
    pub path: Option<PathBuf>,
    /// Events before this RFC 3339 time only teach the baseline; they never alert.
    pub learning_until: Option<String>,
    /// The first this-many days of each cluster's observed data only teach the baseline
    /// (counted from the cluster's first observation). 0 disables this window.
    pub learning_days: u32,
    /// An identity's hours are judged only once it has made this many batch writes.
    pub min_identity_observations: u64,
    /// Activity is "far outside usual hours" when the nearest hour of the week in which the
    /// identity was active before is more than this many hours away.
    pub hour_distance: u32,
    /// The anomaly kinds that alert. Default: all but `schedule`.
    pub alert_on: Vec<AnomalyKind>,
    /// Identities (username or group `*` globs) that are learned but never judged as
    /// creators, clients, networks or hours: the controllers that create a Job for every
    /// CronJob run. Their images are still judged.
    pub quiet_identities: Vec<String>,
    /// Commit (visible to readers, made durable with the next fsynced commit) after this many
    /// observations.
    pub commit_every: u32,
    /// Commit durably (fsync) when the last durable commit is older than this many seconds
    /// (checked on each observation), and always on [`crate::Baseline::flush`] and
    /// [`crate::Baseline::finish`]. A crash loses at most this much learning.
    pub commit_interval_seconds: u64,
    /// At most this many known values are quoted as evidence of what was normal.
    pub evidence_limit: usize,
}

impl Default for BaselineConfig {
    fn default() -> Self {
        BaselineConfig {
            path: None,
            learning_until: None,
            learning_days: 7,
            min_identity_observations: 20,
            hour_distance: 3,
            alert_on: AnomalyKind::ALL
                .into_iter()
                .filter(|k| *k != AnomalyKind::Schedule)
                .collect(),
            quiet_identities: [
                "system:serviceaccount:kube-system:cronjob-controller",
                "system:serviceaccount:kube-system:job-controller",
                "system:serviceaccount:kube-system:ttl-after-finished-controller",
                "system:serviceaccount:kube-system:generic-garbage-collector",
                "system:kube-controller-manager",
            ]
            .into_iter()
            .map(String::from)
            .collect(),
            commit_every: 1000,
            commit_interval_seconds: 5,
            evidence_limit: 10,
        }
    }
}

/// The config is not valid.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// Not valid YAML, or a field is unknown or has the wrong type.
    #[error("invalid baseline config: {0}")]
    Invalid(String),
    /// A field has a value of the right type that cannot be used.
    #[error("invalid baseline config: field {field}: {reason}")]
    BadValue {
        /// The field, e.g. `learning_until`.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
}

impl BaselineConfig {
    /// Parse YAML (the `baseline:` section's content). Unknown fields are errors.
    pub fn from_yaml(text: &str) -> Result<BaselineConfig, ConfigError> {
        let config: BaselineConfig = if text.trim().is_empty() {
            BaselineConfig::default()
        } else {
            serde_saphyr::from_str(text).map_err(|e| ConfigError::Invalid(e.to_string()))?
        };
        config.validate()?;
        Ok(config)
    }

    /// Check values serde cannot: the learning time parses, the batch size is not zero.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.learning_until_time()?;
        if self.commit_every == 0 {
            return Err(ConfigError::BadValue {
                field: "commit_every",
                reason: "must be at least 1".to_string(),
            });
        }
        if self.hour_distance > 84 {
            return Err(ConfigError::BadValue {
                field: "hour_distance",
                reason: format!(
                    "{} hours can never be exceeded on a 168-hour week (at most 84)",
                    self.hour_distance
                ),
            });
        }
        Ok(())
    }

    /// `learning_until`, parsed.
    pub fn learning_until_time(&self) -> Result<Option<Timestamp>, ConfigError> {
        self.learning_until
            .as_deref()
            .map(|t| {
                t.parse::<Timestamp>().map_err(|e| ConfigError::BadValue {
                    field: "learning_until",
                    reason: format!("{t:?} is not an RFC 3339 time ({e})"),
                })
            })
            .transpose()
    }

    /// The state file: `path` when set, else [`default_path`].
    pub fn state_path(&self) -> Option<PathBuf> {
        self.path.clone().or_else(default_path)
    }

    /// True when `kind` alerts.
    pub fn alerts_on(&self, kind: AnomalyKind) -> bool {
        self.alert_on.contains(&kind)
    }

    /// True when `identity` (or one of its groups) is a quiet identity.
    pub fn is_quiet(&self, identity: &str, groups: &[String]) -> bool {
        use jobwarden_policy::template::glob_match;
        self.quiet_identities
            .iter()
            .any(|p| glob_match(p, identity) || groups.iter().any(|g| glob_match(p, g)))
    }
}

/// The per-user default state file: `$XDG_STATE_HOME/jobwarden/baseline.redb`, else
/// `$HOME/.local/state/jobwarden/baseline.redb`; None when neither variable is set.
pub fn default_path() -> Option<PathBuf> {
    default_path_from(|name| std::env::var_os(name).map(PathBuf::from))
}

/// [`default_path`] with the environment given as a lookup (for tests and embedding).
pub fn default_path_from(env: impl Fn(&str) -> Option<PathBuf>) -> Option<PathBuf> {
    let absolute = |p: PathBuf| p.is_absolute().then_some(p);
    // The XDG spec says relative values are invalid and must be ignored.
    let state_home = env("XDG_STATE_HOME").and_then(absolute).or_else(|| {
        env("HOME")
            .and_then(absolute)
            .map(|h| h.join(".local").join("state"))
    })?;
    Some(
        Path::new(&state_home)
            .join("jobwarden")
            .join("baseline.redb"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_typos() {
        let c = BaselineConfig::from_yaml("").expect("empty is valid");
        assert_eq!(c, BaselineConfig::default());
        assert!(!c.alerts_on(AnomalyKind::Schedule) && c.alerts_on(AnomalyKind::Creator));
        let c = BaselineConfig::from_yaml(
            "learning_days: 0\nalert_on: [creator, hours]\nlearning_until: 2024-02-01T00:00:00Z\n",
        )
        .expect("valid");
        assert_eq!(c.learning_days, 0);
        assert_eq!(c.alert_on, vec![AnomalyKind::Creator, AnomalyKind::Hours]);
        assert!(c.learning_until_time().expect("parses").is_some());
        assert!(BaselineConfig::from_yaml("learning_day: 3\n").is_err());
        assert!(BaselineConfig::from_yaml("alert_on: [creators]\n").is_err());
        let err = BaselineConfig::from_yaml("learning_until: tomorrow\n").expect_err("bad time");
        assert!(err.to_string().contains("learning_until"), "{err}");
        assert!(BaselineConfig::from_yaml("commit_every: 0\n").is_err());
    }

    #[test]
    fn quiet_identities_match_users_and_groups() {
        let c = BaselineConfig::default();
        assert!(c.is_quiet("system:serviceaccount:kube-system:cronjob-controller", &[]));
        assert!(!c.is_quiet("system:serviceaccount:default:cronjob-controller", &[]));
    }

    #[test]
    fn default_path_follows_xdg() {
        let p = default_path_from(|n| (n == "XDG_STATE_HOME").then(|| PathBuf::from("/s")));
        assert_eq!(p, Some(PathBuf::from("/s/jobwarden/baseline.redb")));
        let p = default_path_from(|n| match n {
            "XDG_STATE_HOME" => Some(PathBuf::from("relative")),
            "HOME" => Some(PathBuf::from("/home/u")),
            _ => None,
        });
        assert_eq!(
            p,
            Some(PathBuf::from(
                "/home/u/.local/state/jobwarden/baseline.redb"
            ))
        );
        assert_eq!(default_path_from(|_| None), None);
    }
}
