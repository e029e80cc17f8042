//! JW-AUD-0001: a CronJob or Job written by someone other than the controller that does it.

use super::{Hit, Rule, RuleMeta, Status, detail};
use crate::analysis::Analysis;
use crate::config::Config;
use crate::identity::{ActorClass, matches_any};
use crate::state::BatchKind;
use jobwarden_model::Severity;

/// See [`META`].
pub struct BatchWriteByUnexpectedIdentity;

/// Identity and documentation.
pub static META: RuleMeta = RuleMeta {
    id: "JW-AUD-0001",
    slug: "batch-write-by-unexpected-identity",
    title: "CronJob or Job written by an identity other than its controller",
    max_severity: Severity::High,
    attack: &["T1053.007"],
    status: Status::Preview,
    since: "0.1.0",
    docs: "## What it detects
A create, update or patch of a CronJob or Job that took effect, made by a person, a service
account used from outside the cluster, configured automation, or a node — anyone but the
kube-controller-manager controllers that create Jobs for their CronJobs. It is the attribution
record: who scheduled code to run.

## Why it matters
T1053.007 starts with an identity that can write batch objects. Knowing exactly who created or
changed every CronJob and Job is the inventory responders start from, and M1018 asks that only
authorised administrators do it. A node (kubelet credentials) writing batch objects is never
legitimate and is raised to high.

## Example
`kubectl create cronjob report --image=busybox --schedule='0 3 * * *'` by `alice` gives a `low`
alert naming alice. Benign look-alike: the cronjob-controller creating `report-28453140` from
that CronJob gives nothing here (see JW-AUD-0015).

## False positives
Every legitimate human write shows up as `low`. Configured trusted automation (Argo CD, Flux,
Velero, ...) is `info`. With `batch_admins` set in the config, writers outside that list are
raised to `medium`.

## Response
Confirm the writer is expected to manage batch workloads in that namespace; if not, read the
template (JW-AUD-0002) and revoke the credential.",
};

impl Rule for BatchWriteByUnexpectedIdentity {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, a: &Analysis<'_>, config: &Config) -> Option<Hit> {
        if !a.action.is_write() || !a.took_effect() {
            return None;
        }
        let severity = match &a.identity.class {
            ActorClass::Controller(_) => {
                // Controllers legitimately create Jobs (cronjob-controller); a controller
                // creating a CronJob has no reason to.
                if a.kind == BatchKind::CronJob {
                    Severity::Medium
                } else {
                    return None;
                }
            }
            ActorClass::Node(_) => Severity::High,
            ActorClass::TrustedAutomation(_) => Severity::Info,
            // Dedicated rules (JW-AUD-0006, JW-AUD-0008) cover these.
            ActorClass::PodServiceAccount { .. } | ActorClass::Anonymous => return None,
            ActorClass::ServiceAccount { .. } | ActorClass::Human(_) => {
                if !config.batch_admins.is_empty()
                    && !matches_any(&config.batch_admins, a.event.effective_user())
                {
                    Severity::Medium
                } else {
                    Severity::Low
                }
            }
        };
        Some(Hit {
            severity,
            summary: format!(
                "{} {} by {}",
                a.object_label(),
                a.past_tense(),
                a.identity.class.label()
            ),
            detail: vec![
                detail("actor_class", a.identity.class.label()),
                detail("client", a.identity.client.as_str()),
            ],
            remediation: None,
            dedupe_key: None,
        })
    }
}
