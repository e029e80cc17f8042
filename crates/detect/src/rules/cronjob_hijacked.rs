//! JW-AUD-0003: an existing CronJob changed to run other code, as someone else, or re-armed.

use super::{Hit, Rule, RuleMeta, Status, detail};
use crate::analysis::{Action, Analysis};
use crate::config::Config;
use crate::facts::ChangeKind;
use crate::identity::{ActorClass, ClientKind};
use crate::state::BatchKind;
use jobwarden_model::Severity;

/// See [`META`].
pub struct CronJobHijacked;

/// Identity and documentation.
pub static META: RuleMeta = RuleMeta {
    id: "JW-AUD-0003",
    slug: "cronjob-hijacked",
    title: "Existing CronJob changed to run different code or re-armed",
    max_severity: Severity::High,
    attack: &["T1053.007", "T1525"],
    status: Status::Preview,
    since: "0.1.0",
    docs: "## What it detects
An update or patch of an existing CronJob that changes what it runs (image, command, args,
environment, privileges, containers), as whom (service account), where (hostPath, host
namespaces, node), when (schedule), or that sets `suspend` from true back to false. Changes are
found by comparing with the last known version, or, when the CronJob predates the log, from the
fields the patch body sets.

## Why it matters
Hijacking a trusted, long-lived CronJob is quieter than creating a new one: the name, owner and
history look legitimate while the code is the attacker's. Public rules never diff state, so a
patch that swaps the image goes unseen.

## Example
`kubectl patch cronjob nightly-report -p '{\"spec\":{\"jobTemplate\":{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"report\",\"image\":\"attacker/img\"}]}}}}}}'`
by an identity that did not write the CronJob before gives `medium`; from a pod token or a
scripted client, `high`. Benign look-alike: the same SRE who created the CronJob bumping its image
tag with `kubectl apply` (`low`).

## False positives
Routine image bumps by GitOps controllers are `low` when the controller is trusted in the
config. Humans maintaining their own CronJobs are `low`.

## Response
Compare the old and new templates in the alert, restore the known-good version, and find how
the writer obtained patch rights on the CronJob.",
};

impl Rule for CronJobHijacked {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, a: &Analysis<'_>, _config: &Config) -> Option<Hit> {
        if a.kind != BatchKind::CronJob
            || !matches!(a.action, Action::Update | Action::Patch)
            || !a.took_effect()
        {
            return None;
        }
        let kinds: Vec<ChangeKind> = if a.prior_cronjob.is_some() && a.facts.is_some() {
            a.changes.iter().map(|c| c.kind).collect()
        } else {
            a.patch_touches.clone()
        };
        if kinds.is_empty() || kinds.iter().all(|k| *k == ChangeKind::ContainerRemoved) {
            return None;
        }
        let code_change = kinds.iter().any(|k| k.changes_code());
        let resumed = kinds.contains(&ChangeKind::Resumed);
        let prior_writers: Vec<&str> = a
            .prior_cronjob
            .iter()
            .flat_map(|p| [p.creator.as_deref(), Some(p.last_writer.as_str())])
            .flatten()
            .collect();
        let same_writer = prior_writers.contains(&a.identity.effective.as_str());
        let declarative = a
            .event
            .query_param("fieldManager")
            .is_some_and(|m| m.contains("apply"))
            || a.event
                .request_object
                .as_ref()
                .and_then(|p| p.pointer("/metadata/annotations"))
                .and_then(|ann| ann.get("kubectl.kubernetes.io/last-applied-configuration"))
                .is_some();
        let untrusted_client = matches!(
            a.identity.class,
            ActorClass::PodServiceAccount { .. } | ActorClass::Anonymous
        ) || a.identity.client == ClientKind::Scripted;
        let severity = match &a.identity.class {
            ActorClass::TrustedAutomation(_) => Severity::Low,
            ActorClass::Controller(_) => Severity::Medium,
            _ if untrusted_client && (code_change || resumed) => Severity::High,
            _ if same_writer => Severity::Low,
            _ if a.prior_cronjob.is_some() && (code_change || resumed) => Severity::Medium,
            _ if a.prior_cronjob.is_none() && resumed => Severity::Medium,
            _ if a.prior_cronjob.is_none() && code_change && !declarative => Severity::Medium,
            _ => Severity::Low,
        };
        let described: Vec<String> = if a.changes.is_empty() {
            kinds
                .iter()
                .map(|k| format!("{} set by patch", k.as_str()))
                .collect()
        } else {
            a.changes.iter().map(|c| c.describe()).collect()
        };
        Some(Hit {
            severity,
            summary: format!(
                "{} changed by {}: {}",
                a.object_label(),
                a.identity.class.label(),
                described.join("; ")
            ),
            detail: vec![
                detail("changes", described),
                detail(
                    "previous_writers",
                    prior_writers
                        .iter()
                        .map(|w| w.to_string())
                        .collect::<Vec<_>>(),
                ),
                detail(
                    "compared_with",
                    if a.prior_cronjob.is_some() {
                        "last known version"
                    } else {
                        "patch body"
                    },
                ),
            ],
            remediation: Some(
                "Restore the known-good template and review who can patch this CronJob.".into(),
            ),
            dedupe_key: None,
        })
    }
}
