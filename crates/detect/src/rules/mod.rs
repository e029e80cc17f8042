//! The built-in rule pack: one rule per file, each with a stable id, a slug naming the bad
//! thing, its ATT&CK ids and its documentation. Rules are pure functions of an [`Analysis`]
//! (the request already judged and compared with the last known state); they neither do I/O
//! nor decide whether they are enabled — the [`crate::Detector`] does.

use crate::analysis::Analysis;
use crate::config::Config;
use jobwarden_model::Severity;
use serde_json::Value;

mod anonymous_batch_write;
mod batch_object_masquerading;
mod batch_reconnaissance;
mod batch_write_by_unexpected_identity;
mod batch_write_denied;
mod batch_write_from_pod_token;
mod batch_write_with_impersonation;
mod controller_batch_churn;
mod cronjob_evidence_hiding;
mod cronjob_hijacked;
mod job_deleted_after_run;
mod job_owner_forged;
mod manual_job_template_differs;
mod risky_job_template;
mod scripted_client_batch_write;

pub use jobwarden_model::{RuleMeta, RuleStatus as Status};

/// A rule's verdict on one request.
#[derive(Debug, Clone)]
pub struct Hit {
    /// Severity before config overrides.
    pub severity: Severity,
    /// One line a person can act on.
    pub summary: String,
    /// What matched, field by field.
    pub detail: Vec<(&'static str, Value)>,
    /// What to do now.
    pub remediation: Option<String>,
    /// When set, the rule fires once per key: later hits with the same key are dropped.
    pub dedupe_key: Option<String>,
}

/// A built-in rule.
pub trait Rule: Send + Sync {
    /// Identity and docs.
    fn meta(&self) -> &'static RuleMeta;
    /// Judge one analysed request.
    fn check(&self, analysis: &Analysis<'_>, config: &Config) -> Option<Hit>;
}

/// Every built-in rule, in id order.
pub fn builtin() -> Vec<Box<dyn Rule>> {
    let mut rules: Vec<Box<dyn Rule>> = vec![
        Box::new(batch_write_by_unexpected_identity::BatchWriteByUnexpectedIdentity),
        Box::new(risky_job_template::RiskyJobTemplate),
        Box::new(cronjob_hijacked::CronJobHijacked),
        Box::new(manual_job_template_differs::ManualJobTemplateDiffers),
        Box::new(job_owner_forged::JobOwnerForged),
        Box::new(batch_write_from_pod_token::BatchWriteFromPodToken),
        Box::new(scripted_client_batch_write::ScriptedClientBatchWrite),
        Box::new(anonymous_batch_write::AnonymousBatchWrite),
        Box::new(batch_write_with_impersonation::BatchWriteWithImpersonation),
        Box::new(batch_write_denied::BatchWriteDenied),
        Box::new(cronjob_evidence_hiding::CronJobEvidenceHiding),
        Box::new(job_deleted_after_run::JobDeletedAfterRun),
        Box::new(batch_object_masquerading::BatchObjectMasquerading),
        Box::new(batch_reconnaissance::BatchReconnaissance),
        Box::new(controller_batch_churn::ControllerBatchChurn),
    ];
    rules.sort_by_key(|r| r.meta().id);
    rules
}

/// Find a rule by id (case-insensitive) or slug.
pub fn find<'a>(rules: &'a [Box<dyn Rule>], key: &str) -> Option<&'a dyn Rule> {
    rules
        .iter()
        .find(|r| r.meta().id.eq_ignore_ascii_case(key) || r.meta().slug == key)
        .map(|r| r.as_ref())
}

/// Shorthand for detail entries.
pub(crate) fn detail(key: &'static str, value: impl Into<Value>) -> (&'static str, Value) {
    (key, value.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_docs_complete() {
        let rules = builtin();
        let mut ids: Vec<_> = rules.iter().map(|r| r.meta().id).collect();
        ids.dedup();
        assert_eq!(ids.len(), rules.len(), "duplicate rule id");
        let mut slugs: Vec<_> = rules.iter().map(|r| r.meta().slug).collect();
        slugs.sort();
        slugs.dedup();
        assert_eq!(slugs.len(), rules.len(), "duplicate slug");
        for r in &rules {
            let m = r.meta();
            assert!(m.id.starts_with("JW-AUD-") && m.id.len() == 11, "{}", m.id);
            for section in jobwarden_model::RULE_DOC_SECTIONS {
                assert!(m.docs.contains(section), "{} lacks {section}", m.id);
            }
            assert!(
                m.attack.contains(&"T1053.007") || m.id == "JW-AUD-0014",
                "{} lacks T1053.007",
                m.id
            );
        }
    }
}
