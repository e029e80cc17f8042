//! JW-AUD-0008: anonymous requests on jobs and cronjobs.

use super::{Hit, Rule, RuleMeta, Status, detail};
use crate::analysis::Analysis;
use crate::config::Config;
use crate::identity::ActorClass;
use jobwarden_model::{Outcome, Severity};

/// See [`META`].
pub struct AnonymousBatchWrite;

/// Identity and documentation.
pub static META: RuleMeta = RuleMeta {
    id: "JW-AUD-0008",
    slug: "anonymous-batch-access",
    title: "Anonymous request on jobs or cronjobs",
    max_severity: Severity::Critical,
    attack: &["T1053.007", "T1078.001"],
    status: Status::Preview,
    since: "0.1.0",
    docs: "## What it detects
Any request on jobs or cronjobs by `system:anonymous` or the `system:unauthenticated` group:
writes allowed (`critical`), reads allowed (`high`), writes refused (`medium`), reads refused
(`low`).

## Why it matters
An apiserver that lets anonymous callers touch batch objects is an open door to run code on
every node. Even refused attempts show someone probing the API.

## Example
`curl -k -X POST https://apiserver:6443/apis/batch/v1/namespaces/default/jobs -d @job.json`
with no credentials, answered 201, gives `critical`.

## False positives
None expected for batch resources; health probes use `/livez` and `/readyz`, not jobs.

## Response
Disable anonymous auth (`--anonymous-auth=false`) or remove the RBAC grant to
`system:anonymous`/`system:unauthenticated`, then treat every object they wrote as hostile.",
};

impl Rule for AnonymousBatchWrite {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, a: &Analysis<'_>, _config: &Config) -> Option<Hit> {
        if a.identity.class != ActorClass::Anonymous {
            return None;
        }
        let write = a.action.is_write() || a.action == crate::analysis::Action::Delete;
        let allowed = a.outcome == Outcome::Allowed;
        let severity = match (write, allowed) {
            (true, true) => Severity::Critical,
            (false, true) => Severity::High,
            (true, false) => Severity::Medium,
            (false, false) => Severity::Low,
        };
        Some(Hit {
            severity,
            summary: format!(
                "anonymous {} on {} ({})",
                a.event.verb,
                a.object_label(),
                if allowed { "allowed" } else { "refused" }
            ),
            detail: vec![detail("source_ips", a.event.source_ips.clone())],
            remediation: Some(
                "Disable anonymous access to the API and review RBAC grants to system:anonymous."
                    .into(),
            ),
            dedupe_key: None,
        })
    }
}
