//! The host detector's configuration. Every field has a default, so an empty section is valid.

use jobwarden_model::Severity;
use serde::Deserialize;
use std::collections::BTreeMap;

/// Host rule settings (the `host:` section of `jobwarden.yaml`, when the lead wires it).
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HostConfig {
    /// Users who administer batch workloads from hosts (patterns, `*` wildcard). When set,
    /// kubectl batch writes by other users on hosts are raised one step.
    pub admins: Vec<String>,
    /// Hosts where administration is expected (bastions, patterns). When set, kubectl batch
    /// writes from other hosts (outside containers) are raised one step.
    pub admin_hosts: Vec<String>,
    /// Rules to switch off, by id or slug.
    pub disabled_rules: Vec<String>,
    /// Per-rule severity overrides, by id or slug.
    pub severity_overrides: BTreeMap<String, Severity>,
    /// How long a batch read by a host and user counts as reconnaissance before a write.
    pub recon_window_secs: i64,
    /// Most batch intents kept for correlation (oldest dropped first).
    pub max_intents: usize,
    /// Host name → the addresses its API requests reach the apiserver from (as audit
    /// `sourceIPs` shows them). When a host is listed, its commands only join audit requests
    /// from those addresses; otherwise the client's user agent and the time window decide.
    pub addresses: BTreeMap<String, Vec<String>>,
}

impl Default for HostConfig {
    fn default() -> Self {
        Self {
            admins: Vec::new(),
            admin_hosts: Vec::new(),
            disabled_rules: Vec::new(),
            severity_overrides: BTreeMap::new(),
            recon_window_secs: 900,
            max_intents: 100_000,
            addresses: BTreeMap::new(),
        }
    }
}

impl HostConfig {
    /// True when the rule is switched off.
    pub fn is_disabled(&self, id: &str, slug: &str) -> bool {
        self.disabled_rules
            .iter()
            .any(|d| d.eq_ignore_ascii_case(id) || d == slug)
    }

    /// The configured severity for a rule, if overridden.
    pub fn severity_override(&self, id: &str, slug: &str) -> Option<Severity> {
        self.severity_overrides
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(id) || *k == slug)
            .map(|(_, s)| *s)
    }
}

pub use jobwarden_model::glob_match;

/// True when any pattern matches.
pub fn matches_any(patterns: &[String], text: &str) -> bool {
    patterns.iter().any(|p| glob_match(p, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn globs() {
        assert!(glob_match("bastion-*", "bastion-1"));
        assert!(glob_match("*", "x"));
        assert!(glob_match("a*c*e", "abcde"));
        assert!(!glob_match("a*c", "abd"));
        assert!(!glob_match("root", "rooty"));
    }

    #[test]
    fn empty_config_is_valid() {
        let c: HostConfig = serde_json::from_str("{}").expect("empty is fine");
        assert_eq!(c.recon_window_secs, 900);
        assert!(serde_json::from_str::<HostConfig>("{\"nope\":1}").is_err());
    }
}
