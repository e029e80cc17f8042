//! JW-AUD-0011: CronJobs and Jobs configured to leave no trace.

use super::{Hit, Rule, RuleMeta, Status, detail};
use crate::analysis::Analysis;
use crate::config::Config;
use crate::identity::ActorClass;
use jobwarden_model::Severity;

/// See [`META`].
pub struct CronJobEvidenceHiding;

/// Identity and documentation.
pub static META: RuleMeta = RuleMeta {
    id: "JW-AUD-0011",
    slug: "cronjob-evidence-hiding",
    title: "CronJob or Job set up to erase its own history",
    max_severity: Severity::Medium,
    attack: &["T1053.007", "T1070"],
    status: Status::Preview,
    since: "0.1.0",
    docs: "## What it detects
A CronJob or Job written with settings that erase the evidence of its runs: history limits of
0 (`successfulJobsHistoryLimit`, `failedJobsHistoryLimit`), a tiny `ttlSecondsAfterFinished`.
Alone it is `low`; zero history plus a tiny TTL on a CronJob, a risky template alongside, or
an unusual client (scripted HTTP client, anonymous) make it `medium`.

## Why it matters
Finished Jobs and their Pods are where responders find what ran. An attacker's CronJob that
keeps no history and deletes its Jobs seconds after they finish leaves only the audit log.

## Example
A CronJob with `successfulJobsHistoryLimit: 0`, `failedJobsHistoryLimit: 0` and
`ttlSecondsAfterFinished: 5` gives `medium`. Benign look-alike: `ttlSecondsAfterFinished: 3600`
on a batch platform's Jobs gives nothing.

## False positives
Batch platforms that clean up aggressively; trust their identity in the config.

## Response
Read the template and what its pods did from node and container logs before they rotate.",
};

impl Rule for CronJobEvidenceHiding {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, a: &Analysis<'_>, _config: &Config) -> Option<Hit> {
        if !a.action.is_write() || !a.took_effect() {
            return None;
        }
        let hiding: Vec<_> = a
            .findings
            .iter()
            .filter(|f| {
                f.check.starts_with("cronjob.history") || f.check.starts_with("cronjob.ttl")
            })
            .collect();
        if hiding.is_empty() || a.identity.class.is_system() {
            return None;
        }
        // Both together only on CronJobs: tiny TTLs alone are routine on Helm hook Jobs.
        let both = a.kind == crate::state::BatchKind::CronJob
            && hiding
                .iter()
                .any(|f| f.check.starts_with("cronjob.history"))
            && hiding.iter().any(|f| f.check.starts_with("cronjob.ttl"));
        let risky = a
            .findings
            .iter()
            .any(|f| f.check.starts_with("template.") && f.severity >= Severity::Medium);
        let unusual = a.identity.class == ActorClass::Anonymous
            || a.identity.client == crate::identity::ClientKind::Scripted;
        let severity = match &a.identity.class {
            ActorClass::TrustedAutomation(_) => Severity::Info,
            _ if both || risky || unusual => Severity::Medium,
            _ => Severity::Low,
        };
        Some(Hit {
            severity,
            summary: format!(
                "{} by {} erases its history: {}",
                a.object_label(),
                a.identity.class.label(),
                hiding
                    .iter()
                    .map(|f| f.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
            detail: vec![detail(
                "settings",
                hiding
                    .iter()
                    .map(|f| serde_json::json!({"check": f.check, "path": f.path}))
                    .collect::<Vec<_>>(),
            )],
            remediation: None,
            dedupe_key: None,
        })
    }
}
