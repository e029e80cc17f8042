//! The `sigma:` section of the jobwarden config file: rule paths loaded on every run, values
//! for the `expand` modifier's `%placeholders%`, and field mappings laid over the defaults.
//!
//! ```yaml
//! sigma:
//!   rules: [rules/sigma/, /etc/jobwarden/extra.yml]   # relative to the config file
//!   placeholders:
//!     batch_admins: [alice, "oidc:sre-*"]
//!   field_mappings:
//!     kubernetes_audit:
//!       paths: {user: [user.username]}
//!     process_creation:
//!       paths: {Image: [process.executable]}
//!   sigmahq_fields: false
//! ```
//!
//! Mappings are *added* in front of the defaults (configured paths are tried first); they never
//! remove a default path, so a mapping cannot silently blind a shipped rule.

use crate::engine::EngineOptions;
use crate::event::FieldMap;
use crate::load::LoadOptions;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The `sigma:` section.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SigmaConfig {
    /// Rule files and directories loaded on every run, next to any `--sigma` given on the
    /// command line. Relative paths are relative to the config file.
    pub rules: Vec<PathBuf>,
    /// Values of the `expand` modifier's `%name%` placeholders.
    pub placeholders: HashMap<String, Vec<String>>,
    /// Field mappings per log source, added in front of the defaults.
    pub field_mappings: FieldMappings,
    /// Map SigmaHQ's abstract Kubernetes audit field names (as `--sigma-sigmahq-fields`).
    pub sigmahq_fields: bool,
}

/// Field mappings per log source (see [`FieldMap`]).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FieldMappings {
    /// `product: kubernetes, service: audit`.
    pub kubernetes_audit: FieldMap,
    /// `product: linux, category: process_creation`.
    pub process_creation: FieldMap,
    /// `product: linux, category: file_event`.
    pub file_event: FieldMap,
    /// JSON documents that are neither audit nor host events.
    pub generic: FieldMap,
}

impl SigmaConfig {
    /// The loader options: the placeholders.
    pub fn load_options(&self) -> LoadOptions {
        LoadOptions {
            placeholders: self.placeholders.clone(),
        }
    }

    /// Lay the configured mappings over `options`' maps.
    pub fn apply_field_mappings(&self, options: &mut EngineOptions) {
        let m = &self.field_mappings;
        let merge = |base: &mut FieldMap, extra: &FieldMap| {
            if *extra != FieldMap::default() {
                *base = std::mem::take(base).merge(extra.clone());
            }
        };
        merge(&mut options.k8s_audit, &m.kubernetes_audit);
        merge(&mut options.host_process, &m.process_creation);
        merge(&mut options.host_file, &m.file_event);
        merge(&mut options.generic, &m.generic);
    }

    /// Make relative rule paths relative to `config_dir` (the config file's directory).
    pub fn resolve_paths(&mut self, config_dir: &Path) {
        for path in &mut self.rules {
            if path.is_relative() {
                *path = config_dir.join(&*path);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_merges_in_front_of_the_defaults() {
        let cfg: SigmaConfig = serde_saphyr::from_str(
            "rules: [r/]\nplaceholders: {admins: [alice]}\nfield_mappings:\n  process_creation:\n    paths: {Image: [proc.exe]}\n",
        )
        .expect("parses");
        assert_eq!(cfg.load_options().placeholders["admins"], ["alice"]);
        let mut options = EngineOptions::default();
        let before = options
            .host_process
            .paths
            .get("Image")
            .cloned()
            .unwrap_or_default();
        cfg.apply_field_mappings(&mut options);
        let after = &options.host_process.paths["Image"];
        assert_eq!(after.first().map(String::as_str), Some("proc.exe"));
        assert!(before.iter().all(|p| after.contains(p)), "defaults kept");
        // Untouched maps stay as they were.
        assert_eq!(options.k8s_audit, EngineOptions::default().k8s_audit);

        let mut cfg = cfg;
        cfg.resolve_paths(Path::new("/etc/jobwarden"));
        assert_eq!(cfg.rules, [PathBuf::from("/etc/jobwarden/r/")]);
    }

    #[test]
    fn unknown_keys_are_errors() {
        assert!(serde_saphyr::from_str::<SigmaConfig>("rule: [x]\n").is_err());
        assert!(
            serde_saphyr::from_str::<SigmaConfig>("field_mappings: {kubernetes: {}}\n").is_err()
        );
    }
}
