//! The policy core: one judgement of pod templates and CronJobs shared by every enforcement
//! point (`hunt` on audit events, `scan` on manifests, the admission webhook, live clusters).
//! It takes `serde_json::Value` objects and does no I/O.
//!
//! * [`workload`]: find the pod template in any workload kind.
//! * [`template`]: judge a pod spec (privilege, host access, identity, images, commands).
//! * [`cronjob`]: CronJob heuristics (schedule frequency, history limits, TTL, suspend).
//! * [`patch`]: apply JSON, merge, strategic-merge and apply patches to a last known object.
//! * [`pss`]: the Pod Security Standards, exactly as upstream pod-security-admission.
//!
//! Every template and CronJob check is documented in [`template::TEMPLATE_CHECKS`] and
//! [`cronjob::CRONJOB_CHECKS`]; [`check_doc`] finds one by id.
#![deny(missing_docs)]

pub mod cronjob;
pub mod patch;
pub mod pss;
pub mod template;
pub mod workload;

pub use cronjob::{CronJobFacts, CronJobPolicy, cronjob_facts, judge_cronjob, judge_cronjob_with};
pub use patch::{PatchError, PatchKind, apply_patch, apply_patch_lenient};
pub use template::{
    CheckDoc, FieldChange, TemplateFinding, TemplatePolicy, TemplateSummary, judge_object,
    judge_object_in, judge_pod_spec, judge_template, summarize_pod_spec,
};
pub use workload::{ContainerRef, PodTemplate, WorkloadError, containers, pod_template};

/// Every documented template and CronJob check, template checks first.
pub fn all_checks() -> impl Iterator<Item = &'static CheckDoc> {
    template::TEMPLATE_CHECKS
        .iter()
        .chain(cronjob::CRONJOB_CHECKS.iter())
}

/// The documentation of a template or CronJob check by id.
pub fn check_doc(id: &str) -> Option<&'static CheckDoc> {
    all_checks().find(|d| d.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    #[test]
    fn check_ids_are_unique_dotted_and_documented() {
        let mut seen = BTreeSet::new();
        for doc in all_checks() {
            assert!(seen.insert(doc.id), "duplicate check id {}", doc.id);
            assert!(
                doc.id.starts_with("template.") || doc.id.starts_with("cronjob."),
                "{}",
                doc.id
            );
            assert!(
                !doc.title.is_empty() && !doc.description.is_empty() && !doc.remediation.is_empty()
            );
            assert!(!doc.attack.is_empty(), "{} has no ATT&CK id", doc.id);
            for t in doc.attack {
                assert!(t.starts_with('T') && t.len() >= 5, "{}: {t}", doc.id);
            }
        }
        assert!(check_doc("template.privileged").is_some());
        assert!(check_doc("cronjob.history.zero").is_some());
        assert!(check_doc("nope").is_none());
    }
}
