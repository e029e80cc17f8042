//! JW-AUD-0004: `kubectl create job --from=cronjob/X` whose template is not X's.

use super::{Hit, Rule, RuleMeta, Status, detail};
use crate::analysis::{Action, Analysis};
use crate::config::Config;
use crate::state::BatchKind;
use jobwarden_model::Severity;

/// See [`META`].
pub struct ManualJobTemplateDiffers;

/// Identity and documentation.
pub static META: RuleMeta = RuleMeta {
    id: "JW-AUD-0004",
    slug: "manual-job-template-differs",
    title: "Manually instantiated Job differs from its CronJob",
    max_severity: Severity::High,
    attack: &["T1053.007", "T1036"],
    status: Status::Preview,
    since: "0.1.0",
    docs: "## What it detects
A Job carrying `cronjob.kubernetes.io/instantiate: manual` — what `kubectl create job
--from=cronjob/X` and Argo CD's \"create job\" action set — whose pod template differs from the
CronJob X it claims to come from: another image, command, arguments, environment, service
account or host access.

## Why it matters
A manual run of a known CronJob looks routine in every log. Editing the template on the way
(`kubectl create job --from=cronjob/X --dry-run=client -o yaml`, edit, `kubectl create -f -`)
runs arbitrary code under the CronJob's name and service account.

## Example
Job `nightly-report-manual-1` annotated `instantiate: manual`, owned by CronJob
`nightly-report`, whose container runs `sh -c 'cat /var/run/secrets/...'` instead of
`report --daily` gives `high`. Benign look-alike: the same command run with an unchanged
template gives nothing.

## False positives
Operators sometimes re-run a CronJob with a fixed image by hand; the alert shows the exact
differences so that is quick to confirm.

## Response
Compare the differences, check what the Job's pods did, and ask the creator.",
};

impl Rule for ManualJobTemplateDiffers {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, a: &Analysis<'_>, _config: &Config) -> Option<Hit> {
        if a.kind != BatchKind::Job || a.action != Action::Create {
            return None;
        }
        let manual = a.manual_from.as_ref()?;
        let differences = manual.differences.as_ref()?;
        let code: Vec<_> = differences
            .iter()
            .filter(|c| c.kind.changes_code())
            .collect();
        if code.is_empty() {
            return None;
        }
        let severity = if a.took_effect() {
            Severity::High
        } else {
            Severity::Low
        };
        let described: Vec<String> = code.iter().map(|c| c.describe()).collect();
        Some(Hit {
            severity,
            summary: format!(
                "{} created by {} as a manual run of CronJob {}, but its template differs: {}",
                a.object_label(),
                a.identity.class.label(),
                manual.parent,
                described.join("; ")
            ),
            detail: vec![
                detail("parent_cronjob", manual.parent.clone()),
                detail("differences", described),
            ],
            remediation: Some("Delete the Job if unexpected and review its pods' activity.".into()),
            dedupe_key: None,
        })
    }
}
