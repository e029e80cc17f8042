//! M1018 posture findings (`jobwarden.finding/v1`, category `rbac`): subjects outside an
//! authorised set of admins and controllers that can get code scheduled through Jobs and
//! CronJobs, directly or one pivot away, each with the binding that gives it.
//!
//! Check ids:
//! * `rbac.batch-writer.unauthorised`: direct create/update/patch on jobs or cronjobs.
//! * `rbac.batch-writer.wildcard`: the same, granted through a `*` (verbs, apiGroups or
//!   resources): the holder likely got far more than batch writes.
//! * `rbac.batch-writer.indirect.<path>`: one pivot away (`escalate`, `bind`, `impersonate`,
//!   `token`, `pod-with-serviceaccount`, `exec`).
//! * `rbac.admission-tamper.unauthorised`: can switch off admission controls.

use crate::access::{AccessAnswer, AccessPath};
use crate::graph::{Analysis, Grant, ObjectRef, Scope};
use crate::input::{SourcedObject, SubjectKind, SubjectRef};
use jobwarden_model::{FINDING_SCHEMA, Finding, FindingCategory, Location, ObjectId, Severity};
use std::collections::HashMap;

/// The authorised set used when none is configured: the superuser group, the controllers'
/// service accounts in `kube-system`, and the control-plane component users.
pub const DEFAULT_AUTHORISED: &[&str] = &[
    "Group:system:masters",
    "ServiceAccount:kube-system/*",
    "User:system:kube-controller-manager",
    "User:system:kube-scheduler",
];

/// One entry of the authorised set: `[Kind:]pattern`, Kind one of `User`, `Group`,
/// `ServiceAccount` (any kind when left out); a service account is named `namespace/name`;
/// `*` matches any run of characters (`ServiceAccount:kube-system/*`, `Group:admins-*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubjectPattern {
    kind: Option<SubjectKind>,
    pattern: String,
}

/// An authorised-set entry that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("authorised subject pattern {0:?} is empty")]
pub struct PatternError(pub String);

impl SubjectPattern {
    /// Reads `[Kind:]pattern`.
    pub fn parse(text: &str) -> Result<SubjectPattern, PatternError> {
        let text = text.trim();
        let (kind, pattern) = match text.split_once(':') {
            Some((k, rest)) => match k.to_ascii_lowercase().as_str() {
                "user" => (Some(SubjectKind::User), rest),
                "group" => (Some(SubjectKind::Group), rest),
                "serviceaccount" | "sa" => (Some(SubjectKind::ServiceAccount), rest),
                _ => (None, text),
            },
            None => (None, text),
        };
        if pattern.is_empty() {
            return Err(PatternError(text.to_string()));
        }
        Ok(SubjectPattern {
            kind,
            pattern: pattern.to_string(),
        })
    }

    /// Whether the subject is covered.
    pub fn matches(&self, s: &SubjectRef) -> bool {
        if self.kind.is_some_and(|k| k != s.kind) {
            return false;
        }
        match (&s.kind, &s.namespace) {
            (SubjectKind::ServiceAccount, Some(ns)) => {
                glob(&self.pattern, &format!("{ns}/{}", s.name))
                    || glob(
                        &self.pattern,
                        &format!("system:serviceaccount:{ns}:{}", s.name),
                    )
            }
            _ => glob(&self.pattern, &s.name),
        }
    }
}

/// `*` matches any run of characters; everything else literally.
fn glob(pattern: &str, text: &str) -> bool {
    let parts: Vec<&str> = pattern.split('*').collect();
    let (Some(first), Some(last)) = (parts.first(), parts.last()) else {
        return false;
    };
    if parts.len() == 1 {
        return pattern == text;
    }
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for part in &parts[1..parts.len() - 1] {
        match rest.find(part) {
            Some(i) => rest = &rest[i + part.len()..],
            None => return false,
        }
    }
    true
}

fn has_wildcard(g: &Grant) -> bool {
    let star = |v: &[String]| v.iter().any(|x| x == "*");
    star(&g.rule.verbs) || star(&g.rule.api_groups) || star(&g.rule.resources)
}

impl Analysis {
    /// M1018 findings for every subject outside `authorised` that can get code scheduled
    /// through Jobs/CronJobs (see the module docs for check ids). `system:masters` is never
    /// reported: it cannot be restricted through RBAC.
    pub fn rbac_findings(&self, authorised: &[SubjectPattern]) -> Vec<Finding> {
        let sources: HashMap<ObjectRef, (&str, u64)> = self
            .inv
            .bindings
            .iter()
            .map(|b| {
                (
                    crate::graph::binding_ref(b),
                    (b.source.file.as_str(), b.source.line),
                )
            })
            .collect();
        self.schedule_code()
            .iter()
            .filter(|a| {
                !(a.subject.kind == SubjectKind::Group && a.subject.name == "system:masters")
            })
            .filter(|a| !authorised.iter().any(|p| p.matches(&a.subject)))
            .map(|a| finding(a, &sources))
            .collect()
    }
}

/// [`Analysis::rbac_findings`] over objects; input errors are in [`Analysis::errors`] when the
/// analysis is built by the caller instead.
pub fn rbac_findings(objects: &[SourcedObject], authorised: &[SubjectPattern]) -> Vec<Finding> {
    Analysis::build(objects).rbac_findings(authorised)
}

fn finding(a: &AccessAnswer, sources: &HashMap<ObjectRef, (&str, u64)>) -> Finding {
    let binding = a.via.first().map(|g| g.binding.clone());
    let (file, line) = binding
        .as_ref()
        .and_then(|b| sources.get(b).copied())
        .unwrap_or(("", 0));
    let where_ = match &a.scope {
        Scope::All => "in every namespace".to_string(),
        Scope::Namespace(ns) => format!("in namespace {ns}"),
    };
    let chain = a
        .via
        .first()
        .map(|g| {
            let mut c = format!(
                "{} {} -> {} {}",
                g.binding.kind, g.binding.name, g.role.kind, g.role.name
            );
            for src in &g.aggregated_from {
                c.push_str(&format!(" -> {src}"));
            }
            c
        })
        .unwrap_or_default();
    let (check, severity, what) = match a.path {
        AccessPath::Direct => {
            let wildcard = a.via.iter().any(has_wildcard);
            let severity = match (&a.scope, a.names.is_some()) {
                (_, true) => Severity::Low,
                (Scope::All, false) => Severity::High,
                (Scope::Namespace(_), false) => Severity::Medium,
            };
            let check = if wildcard {
                "rbac.batch-writer.wildcard"
            } else {
                "rbac.batch-writer.unauthorised"
            };
            (
                check.to_string(),
                severity,
                format!("can {} {}", a.verb, a.resource),
            )
        }
        AccessPath::AdmissionTamper => (
            "rbac.admission-tamper.unauthorised".to_string(),
            Severity::Medium,
            format!(
                "can {} {} (weakening admission control)",
                a.verb, a.resource
            ),
        ),
        path => {
            let pivot = a.hops.first().map(|h| h.action.clone()).unwrap_or_default();
            (
                format!("rbac.batch-writer.indirect.{}", path.as_str()),
                if a.scope == Scope::All {
                    Severity::High
                } else {
                    Severity::Medium
                },
                format!("can {} {} one step away ({pivot})", a.verb, a.resource),
            )
        }
    };
    Finding {
        schema: FINDING_SCHEMA.to_string(),
        check,
        category: FindingCategory::Rbac,
        severity,
        pss: None,
        object: ObjectId {
            api_version: "rbac.authorization.k8s.io/v1".into(),
            kind: binding.as_ref().map(|b| b.kind.clone()).unwrap_or_default(),
            namespace: binding.as_ref().and_then(|b| b.namespace.clone()),
            name: binding.as_ref().map(|b| b.name.clone()),
        },
        location: Location {
            file: file.to_string(),
            line,
        },
        path: "subjects".into(),
        message: format!(
            "{} {what} {where_} via {chain}; not in the authorised set of admins and controllers",
            a.subject
        ),
        attack: vec!["T1053.007".into()],
        mitigation: Some("M1018".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_kinds_globs_and_service_account_names() {
        let p = |s: &str| SubjectPattern::parse(s).expect("pattern");
        let sa = SubjectRef::service_account("kube-system", "cronjob-controller");
        assert!(p("ServiceAccount:kube-system/*").matches(&sa));
        assert!(p("sa:kube-system/cronjob-controller").matches(&sa));
        assert!(p("system:serviceaccount:kube-system:*").matches(&sa));
        assert!(!p("User:kube-system/*").matches(&sa));
        assert!(!p("ServiceAccount:default/*").matches(&sa));
        assert!(p("Group:system:masters").matches(&SubjectRef::group("system:masters")));
        assert!(!p("Group:system:masters").matches(&SubjectRef::user("system:masters")));
        assert!(p("*-admin").matches(&SubjectRef::user("ops-admin")));
        assert!(p("a*b*c").matches(&SubjectRef::user("axxbyyc")));
        assert!(!p("a*b*c").matches(&SubjectRef::user("acb")));
        assert!(SubjectPattern::parse("User:").is_err());
    }
}
