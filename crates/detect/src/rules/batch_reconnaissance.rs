//! JW-AUD-0014: listing jobs and cronjobs across all namespaces.

use super::{Hit, Rule, RuleMeta, Status, detail};
use crate::analysis::{Action, Analysis};
use crate::config::Config;
use crate::identity::{ActorClass, ClientKind, matches_any};
use jobwarden_model::Severity;

/// See [`META`].
pub struct BatchReconnaissance;

/// Identity and documentation.
pub static META: RuleMeta = RuleMeta {
    id: "JW-AUD-0014",
    slug: "batch-reconnaissance",
    title: "Jobs or CronJobs listed across all namespaces",
    max_severity: Severity::Medium,
    attack: &["T1613", "T1053.007"],
    status: Status::Preview,
    since: "0.1.0",
    docs: "## What it detects
A list or watch of jobs or cronjobs across all namespaces (no namespace in the request) by an
identity that is not a controller, a node, trusted automation or a configured monitor
(kube-state-metrics, Prometheus, ... by default). People are `low`; service-account tokens
used with kubectl, curl-like clients or no user agent, and scripted clients, are `medium`.

## Why it matters
`kubectl get cronjobs -A` is how an intruder finds a CronJob to hijack or learns what runs where
(MITRE's detection guidance names `kubectl get jobs`). From a pod's token it is rarely benign.

## Example
`system:serviceaccount:web:frontend` from a pod listing `/apis/batch/v1/cronjobs` with curl:
`medium`. Benign look-alike: kube-state-metrics watching jobs cluster-wide gives nothing.

## False positives
Dashboards and monitoring not in the `monitors` list; add them.

## Response
Look for a follow-up write (hijack, create) from the same identity.",
};

impl Rule for BatchReconnaissance {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, a: &Analysis<'_>, config: &Config) -> Option<Hit> {
        if a.action != Action::List || a.namespace.is_some() {
            return None;
        }
        if a.identity.class.is_expected_writer()
            || a.identity.class == ActorClass::Anonymous
            || matches_any(&config.monitors, a.event.effective_user())
        {
            return None;
        }
        // Exporters and dashboards list batch objects with their own SDK clients; kubectl or
        // curl inside a pod is a person (or an intruder) at a shell.
        let interactive = matches!(
            a.identity.client,
            ClientKind::Kubectl | ClientKind::Scripted | ClientKind::Missing
        );
        let severity = match a.identity.class {
            ActorClass::PodServiceAccount { .. } if interactive => Severity::Medium,
            ActorClass::ServiceAccount { .. } if interactive => Severity::Medium,
            _ if a.identity.client == ClientKind::Scripted => Severity::Medium,
            _ => Severity::Low,
        };
        Some(Hit {
            severity,
            summary: format!(
                "{}s {} across all namespaces by {}",
                a.kind.as_str(),
                a.past_tense(),
                a.identity.class.label()
            ),
            detail: vec![detail("client", a.identity.client.as_str())],
            remediation: None,
            dedupe_key: None,
        })
    }
}
