//! The Pod Security Admission labels of a Namespace
//! (`pod-security.kubernetes.io/<mode>` and `<mode>-version`), read the way PSA reads them.

use super::{Level, ParseError, Version};
use serde_json::Value;

/// Which PSA mode's labels to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Rejects non-compliant pods.
    Enforce,
    /// Records violations in the audit log.
    Audit,
    /// Returns warnings to the client.
    Warn,
}

impl Mode {
    fn as_str(self) -> &'static str {
        match self {
            Mode::Enforce => "enforce",
            Mode::Audit => "audit",
            Mode::Warn => "warn",
        }
    }
}

/// The policy a namespace label pair asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NamespacePolicy {
    /// `None` for `privileged` (nothing is checked).
    pub level: Option<Level>,
    /// The `<mode>-version` label, `latest` when absent (as PSA defaults it).
    pub version: Version,
}

/// Reads the `mode` labels of a Namespace object. `Ok(None)` when the level label is absent;
/// an error when a label holds a value PSA would reject.
pub fn namespace_policy(
    namespace: &Value,
    mode: Mode,
) -> Result<Option<NamespacePolicy>, ParseError> {
    let labels = namespace.get("metadata").and_then(|m| m.get("labels"));
    let label = |suffix: &str| {
        labels
            .and_then(|l| {
                l.get(format!(
                    "pod-security.kubernetes.io/{}{suffix}",
                    mode.as_str()
                ))
            })
            .and_then(Value::as_str)
    };
    let Some(level_text) = label("") else {
        return Ok(None);
    };
    let level = if level_text.trim().eq_ignore_ascii_case("privileged") {
        None
    } else {
        Some(level_text.parse::<Level>()?)
    };
    let version = match label("-version") {
        Some(v) => v.parse::<Version>()?,
        None => Version::Latest,
    };
    Ok(Some(NamespacePolicy { level, version }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_mode_labels() {
        let ns = json!({"kind": "Namespace", "metadata": {"name": "jobs", "labels": {
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/enforce-version": "v1.29",
            "pod-security.kubernetes.io/warn": "privileged",
            "pod-security.kubernetes.io/audit": "strict"}}});
        assert_eq!(
            namespace_policy(&ns, Mode::Enforce),
            Ok(Some(NamespacePolicy {
                level: Some(Level::Restricted),
                version: Version::Minor(29)
            }))
        );
        assert_eq!(
            namespace_policy(&ns, Mode::Warn),
            Ok(Some(NamespacePolicy {
                level: None,
                version: Version::Latest
            }))
        );
        assert!(namespace_policy(&ns, Mode::Audit).is_err());
        assert_eq!(
            namespace_policy(&json!({"kind": "Namespace"}), Mode::Enforce),
            Ok(None)
        );
    }
}
