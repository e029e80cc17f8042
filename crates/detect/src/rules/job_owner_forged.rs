//! JW-AUD-0005: a Job whose ownerReferences claim a CronJob its creator does not control.

use super::{Hit, Rule, RuleMeta, Status, detail};
use crate::analysis::{Action, Analysis, OwnerClaim};
use crate::config::Config;
use crate::identity::ActorClass;
use crate::state::BatchKind;
use jobwarden_model::{Outcome, Severity};

/// See [`META`].
pub struct JobOwnerForged;

/// Identity and documentation.
pub static META: RuleMeta = RuleMeta {
    id: "JW-AUD-0005",
    slug: "job-owner-forged",
    title: "Job claims a CronJob owner it does not belong to",
    max_severity: Severity::High,
    attack: &["T1053.007", "T1036"],
    status: Status::Preview,
    since: "0.1.0",
    docs: "## What it detects
A Job created by anyone but the cronjob-controller whose `ownerReferences` name a CronJob: with
a UID that does not match the known CronJob of that name (forged or stale), or naming a CronJob
never seen without the `cronjob.kubernetes.io/instantiate: manual` annotation that real manual
runs carry, or naming a known CronJob the creator never wrote without that annotation.

## Why it matters
`ownerReferences` are set by the client. Policies that exempt \"Jobs owned by a CronJob\" (Kyverno
`restrict-jobs`) and analysts who read ownership as provenance are both fooled by a Job that
claims a parent. The cronjob-controller is the only identity that creates scheduled Jobs.

## Example
User `dev` creates Job `backup-29301` with an ownerReference to CronJob `backup` and a UID that
is not backup's: `high`. Benign look-alike: `kubectl create job --from=cronjob/backup backup-manual`
(annotation set, UID matches) gives nothing.

## False positives
A CronJob created before the log began cannot be verified; a manual run of it is not reported.

## Response
Treat the Job as attacker-created: inspect its template and pods, and the creator's credential.",
};

impl Rule for JobOwnerForged {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, a: &Analysis<'_>, _config: &Config) -> Option<Hit> {
        if a.kind != BatchKind::Job || a.action != Action::Create || a.outcome == Outcome::Denied {
            return None;
        }
        if matches!(a.identity.class, ActorClass::Controller(_)) {
            return None;
        }
        let manual = a.manual_from.is_some();
        let (severity, why) = match &a.owner {
            OwnerClaim::None => return None,
            OwnerClaim::UidMismatch {
                name,
                claimed,
                known,
            } => (
                Severity::High,
                format!(
                    "claims CronJob {name} with uid {claimed}, but that CronJob's uid is {known}"
                ),
            ),
            OwnerClaim::Unknown { name } if !manual => (
                Severity::Medium,
                format!(
                    "claims CronJob {name}, which was never seen, without a manual-run annotation"
                ),
            ),
            OwnerClaim::Verified { name } if !manual => {
                let writer = a.parent_writers.contains(&a.identity.effective);
                if writer {
                    return None;
                }
                (
                    Severity::Medium,
                    format!(
                        "claims CronJob {name} without a manual-run annotation, and its creator never wrote that CronJob"
                    ),
                )
            }
            _ => return None,
        };
        let severity = if a.took_effect() {
            severity
        } else {
            severity.lowered()
        };
        Some(Hit {
            severity,
            summary: format!(
                "{} created by {} {why}",
                a.object_label(),
                a.identity.class.label()
            ),
            detail: vec![detail("owner_check", why)],
            remediation: Some(
                "Inspect the Job's template and pods; do not trust its ownership.".into(),
            ),
            dedupe_key: None,
        })
    }
}
