//! JW-AUD-0009: batch objects written through impersonation.

use super::{Hit, Rule, RuleMeta, Status, detail};
use crate::analysis::Analysis;
use crate::config::Config;
use jobwarden_model::{Outcome, Severity};

/// See [`META`].
pub struct BatchWriteWithImpersonation;

/// Identity and documentation.
pub static META: RuleMeta = RuleMeta {
    id: "JW-AUD-0009",
    slug: "batch-write-with-impersonation",
    title: "CronJob or Job written while impersonating another identity",
    max_severity: Severity::High,
    attack: &["T1053.007", "T1078", "T1134"],
    status: Status::Preview,
    since: "0.1.0",
    docs: "## What it detects
A create, update, patch or delete of a CronJob or Job sent with impersonation headers
(`kubectl --as`, `--as-group`): the audit event carries `impersonatedUser`. Impersonating
`system:masters` or a control-plane identity is `high`.

## Why it matters
Impersonation turns the `impersonate` verb into every permission of the impersonated identity,
and hides the real actor from rules that read `user.username` only. Attackers use it to borrow
a controller's or an admin's rights to schedule code.

## Example
`kubectl --as=admin --as-group=system:masters create cronjob x --image=evil --schedule='* * * * *'`
gives `high`, naming both the real user and the impersonated one.

## False positives
Platform tooling that impersonates end users on purpose (some dashboards, kube-oidc-proxy);
they rarely write batch objects.

## Response
Check who holds the `impersonate` verb and why; treat the written object as the real user's.",
};

impl Rule for BatchWriteWithImpersonation {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, a: &Analysis<'_>, _config: &Config) -> Option<Hit> {
        if !a.identity.impersonating {
            return None;
        }
        if !(a.action.is_write() || a.action == crate::analysis::Action::Delete) {
            return None;
        }
        let mut severity = if a.identity.impersonates_privileged {
            Severity::High
        } else {
            Severity::Medium
        };
        if a.outcome != Outcome::Allowed || a.dry_run {
            severity = severity.lowered();
        }
        Some(Hit {
            severity,
            summary: format!(
                "{} {} by {} impersonating {}",
                a.object_label(),
                a.event.verb,
                a.identity.authenticated,
                a.identity.effective
            ),
            detail: vec![
                detail("impersonated_user", a.identity.effective.clone()),
                detail(
                    "impersonated_groups",
                    a.event.effective_user().groups.clone(),
                ),
            ],
            remediation: Some(
                "Review who holds the impersonate verb; revoke it where not needed.".into(),
            ),
            dedupe_key: None,
        })
    }
}
