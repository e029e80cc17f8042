//! JW-AUD-0012: a Job deleted by hand soon after it was created.

use super::{Hit, Rule, RuleMeta, Status, detail};
use crate::analysis::{Action, Analysis};
use crate::config::Config;
use crate::state::BatchKind;
use jobwarden_model::Severity;

/// See [`META`].
pub struct JobDeletedAfterRun;

/// Identity and documentation.
pub static META: RuleMeta = RuleMeta {
    id: "JW-AUD-0012",
    slug: "job-deleted-after-run",
    title: "Job deleted by hand shortly after it was created",
    max_severity: Severity::Medium,
    attack: &["T1053.007", "T1070"],
    status: Status::Preview,
    since: "0.1.0",
    docs: "## What it detects
A Job deleted by a person or a non-controller identity within `delete_after_run_seconds`
(default 600) of its creation, when the creation was seen. `medium` when a person or an outside
credential created it, or its template was risky; `low` when the cronjob-controller, in-cluster
automation, or a Helm/Argo CD hook with a delete policy made it.

## Why it matters
Run once, then remove the Job and its Pods: the code ran, and `kubectl get jobs` shows nothing.
The TTL controller and the garbage collector delete Jobs all the time; people rarely delete
their own Job minutes after creating it unless they are cleaning up.

## Example
`kubectl create job x --image=evil` then `kubectl delete job x` three minutes later by the same
user gives `medium`, citing both requests. Benign look-alike: `ttl-after-finished-controller`
deleting it gives nothing.

## False positives
People deleting a failed Job to retry it; the alert lists both requests so this is quick to
confirm.

## Response
Recover what the Job ran from the creation request and node logs.",
};

impl Rule for JobDeletedAfterRun {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, a: &Analysis<'_>, config: &Config) -> Option<Hit> {
        if a.kind != BatchKind::Job || a.action != Action::Delete || !a.took_effect() {
            return None;
        }
        if a.identity.class.is_expected_writer() {
            return None;
        }
        let created = a.prior_job.as_ref()?;
        let age = a.seconds_since_creation?;
        if age < 0 || age > config.thresholds.delete_after_run_seconds {
            return None;
        }
        // Operators and Helm delete the Jobs they made as a matter of course; a person or an
        // outside credential deleting its own fresh Job, or any risky Job vanishing, is not.
        let routine = created.created_by_controller
            || created.cleanup_announced
            || created.created_by_automation;
        let severity = if created.risky || !routine {
            Severity::Medium
        } else {
            Severity::Low
        };
        Some(Hit {
            severity,
            summary: format!(
                "{} deleted by {} {age}s after {} created it",
                a.object_label(),
                a.identity.class.label(),
                created.creator
            ),
            detail: vec![
                detail("created_by", created.creator.clone()),
                detail("created_audit_id", created.created_audit_id.clone()),
                detail("seconds_after_creation", age),
            ],
            remediation: None,
            dedupe_key: None,
        })
    }
}
