//! JW-AUD-0015: the cronjob-controller creating Jobs (inventory), and when that looks wrong.

use super::{Hit, Rule, RuleMeta, Status, detail};
use crate::analysis::{Action, Analysis, OwnerClaim};
use crate::config::Config;
use crate::identity::ActorClass;
use crate::state::BatchKind;
use jobwarden_model::Severity;

/// See [`META`].
pub struct ControllerBatchChurn;

/// Identity and documentation.
pub static META: RuleMeta = RuleMeta {
    id: "JW-AUD-0015",
    slug: "controller-job-unowned",
    title: "Scheduled Job created by the cronjob-controller",
    max_severity: Severity::Medium,
    attack: &["T1053.007"],
    status: Status::Preview,
    since: "0.1.0",
    docs: "## What it detects
Jobs created by the kube-controller-manager. A Job owned by a CronJob whose UID matches (or
whose CronJob predates the log) is a scheduled run: `info`, inventory only. A Job created with
controller credentials but owned by no CronJob, or by a CronJob with another UID, is `medium`:
the controller's credentials are being used for something else.

## Why it matters
Every public rule that includes `jobs` fires on each schedule tick. Recognising the controller by
principal *and* ownership keeps the pack quiet on churn while noticing stolen controller
credentials.

## Example
`system:serviceaccount:kube-system:cronjob-controller` creating `backup-28453140` owned by
CronJob `backup` with backup's UID: `info`.

## False positives
None known for the `medium` case.

## Response
For `medium`: check where the controller-manager credentials are used from (source IP).",
};

impl Rule for ControllerBatchChurn {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, a: &Analysis<'_>, _config: &Config) -> Option<Hit> {
        if a.kind != BatchKind::Job || a.action != Action::Create || !a.took_effect() {
            return None;
        }
        let ActorClass::Controller(controller) = &a.identity.class else {
            return None;
        };
        let (severity, why) = match &a.owner {
            OwnerClaim::Verified { name } => {
                (Severity::Info, format!("scheduled run of CronJob {name}"))
            }
            OwnerClaim::Unknown { name } => (
                Severity::Info,
                format!("scheduled run of CronJob {name} (created before this log)"),
            ),
            OwnerClaim::UidMismatch {
                name,
                claimed,
                known,
            } => (
                Severity::Medium,
                format!("owned by CronJob {name} uid {claimed}, but that CronJob's uid is {known}"),
            ),
            // Without a body (Metadata-level logging) ownership cannot be read.
            OwnerClaim::None if a.object.is_none() => (
                Severity::Info,
                "body not logged; ownership unknown".to_string(),
            ),
            OwnerClaim::None => (Severity::Medium, "not owned by any CronJob".to_string()),
        };
        Some(Hit {
            severity,
            summary: format!("{} created by {controller}: {why}", a.object_label()),
            detail: vec![detail("ownership", why)],
            remediation: None,
            dedupe_key: None,
        })
    }
}
