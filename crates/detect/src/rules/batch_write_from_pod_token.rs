//! JW-AUD-0006: a service-account token from inside a pod writing batch objects.

use super::{Hit, Rule, RuleMeta, Status, detail};
use crate::analysis::Analysis;
use crate::config::Config;
use crate::identity::{ActorClass, ClientKind};
use jobwarden_model::Severity;

/// See [`META`].
pub struct BatchWriteFromPodToken;

/// Identity and documentation.
pub static META: RuleMeta = RuleMeta {
    id: "JW-AUD-0006",
    slug: "batch-write-from-pod-token",
    title: "CronJob or Job written with a pod's service-account token",
    max_severity: Severity::High,
    attack: &["T1053.007", "T1528", "T1078.004"],
    status: Status::Preview,
    since: "0.1.0",
    docs: "## What it detects
A create, update, patch or delete of a CronJob or Job that took effect, authenticated with a
bound service-account token presented from inside a pod (`user.extra` carries
`authentication.kubernetes.io/pod-name`), by a service account that is neither a
control-plane controller nor configured trusted automation.

## Why it matters
The classic path from a compromised workload to persistence: read
`/var/run/secrets/kubernetes.io/serviceaccount/token`, then create a CronJob. The alert names
the pod (and node) the token came from, which is where the intrusion is.

## Example
`system:serviceaccount:web:frontend` from pod `frontend-7d9f` creating a Job with
`python-requests/2.31` gives `high` (scripted client); with no user agent or a `medium` template, `medium`.
With `kubectl`, Helm or an SDK client and a clean template it is `low`: CI runners and
in-cluster schedulers do this routinely. Benign look-alike: Argo CD's application controller
(trusted by default) syncing a CronJob gives nothing.

## False positives
In-cluster operators that manage Jobs (custom controllers, CI runners): add their service
accounts to `trusted_automation`.

## Response
Isolate the named pod, rotate its service account's tokens, and review the RBAC that lets it
write batch objects.",
};

impl Rule for BatchWriteFromPodToken {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, a: &Analysis<'_>, _config: &Config) -> Option<Hit> {
        let ActorClass::PodServiceAccount { pod, node, .. } = &a.identity.class else {
            return None;
        };
        if !(a.action.is_write() || a.action == crate::analysis::Action::Delete) || !a.took_effect()
        {
            return None;
        }
        let worst = a
            .findings
            .iter()
            .filter(|f| f.check.starts_with("template."))
            .map(|f| f.severity)
            .max()
            .unwrap_or(Severity::Info);
        // In-cluster automation (CI runners, schedulers, operators) writes Jobs with pod tokens
        // all day; what sets an intruder apart is the client and the template.
        let severity = match a.identity.client {
            ClientKind::Scripted => Severity::High,
            _ if worst >= Severity::High => Severity::High,
            ClientKind::Missing => Severity::Medium,
            _ if worst >= Severity::Medium => Severity::Medium,
            _ => Severity::Low,
        };
        Some(Hit {
            severity,
            summary: format!(
                "{} {} by {} ({} client)",
                a.object_label(),
                a.past_tense(),
                a.identity.class.label(),
                a.identity.client.as_str()
            ),
            detail: vec![
                detail("pod", pod.clone()),
                detail("node", node.clone().unwrap_or_default()),
                detail("client", a.identity.client.as_str()),
            ],
            remediation: Some(format!(
                "Isolate pod {pod}, rotate the service account's tokens and remove its batch write permissions."
            )),
            dedupe_key: None,
        })
    }
}
