//! JW-AUD-0010: RBAC refused a write of a CronJob or Job.

use super::{Hit, Rule, RuleMeta, Status, detail};
use crate::analysis::{Action, Analysis};
use crate::config::Config;
use crate::identity::ActorClass;
use jobwarden_model::{Outcome, Severity};

/// See [`META`].
pub struct BatchWriteDenied;

/// Identity and documentation.
pub static META: RuleMeta = RuleMeta {
    id: "JW-AUD-0010",
    slug: "batch-write-denied",
    title: "Attempt to write a CronJob or Job refused by RBAC",
    max_severity: Severity::Medium,
    attack: &["T1053.007"],
    status: Status::Preview,
    since: "0.1.0",
    docs: "## What it detects
A create, update, patch or delete of a CronJob or Job answered 403 by the authorizer
(`authorization.k8s.io/decision: forbid`): a failed attempt. Service accounts (from pods or
not), controllers and nodes are `medium`; people are `low`.

## Why it matters
Attackers holding a stolen token try what it can do; the refused CronJob create is often the
first trace of an intrusion, and it shows M1018 working. Public rules either ignore response
codes (and alert as if it succeeded) or drop failures entirely.

## Example
The EKS event in the corpus: `kubectl create job` answered 403 for a service account gives
`medium`. Benign look-alike: a developer without batch rights in production gets `low`.

## False positives
Misconfigured automation retrying without permissions; the alert repeats per request.

## Response
Find where the credential is used from (source IP, pod) and whether its owner meant to.",
};

impl Rule for BatchWriteDenied {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, a: &Analysis<'_>, _config: &Config) -> Option<Hit> {
        if a.outcome != Outcome::Denied || !(a.action.is_write() || a.action == Action::Delete) {
            return None;
        }
        let severity = match a.identity.class {
            // JW-AUD-0008 reports anonymous attempts.
            ActorClass::Anonymous => return None,
            ActorClass::Human(_) | ActorClass::TrustedAutomation(_) => Severity::Low,
            _ => Severity::Medium,
        };
        Some(Hit {
            severity,
            summary: format!(
                "{} of {} refused for {}",
                a.event.verb,
                a.object_label(),
                a.identity.class.label()
            ),
            detail: vec![
                detail("code", a.event.status_code().unwrap_or_default()),
                detail(
                    "reason",
                    a.event
                        .annotations
                        .get("authorization.k8s.io/reason")
                        .cloned()
                        .unwrap_or_default(),
                ),
            ],
            remediation: Some(
                "Find where this credential is used from and whether the attempt was expected."
                    .into(),
            ),
            dedupe_key: None,
        })
    }
}
