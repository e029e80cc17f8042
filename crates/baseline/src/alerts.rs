//! The baseline's alert rules, `JW-BASE-0001`.. (one per [`AnomalyKind`]), documented in the
//! same style as the built-in audit rules, and [`to_alerts`], which turns one observation's
//! anomalies into `jobwarden.alert/v1` alerts with severity blended with the template verdict.

use crate::anomaly::{Anomaly, AnomalyKind};
use crate::observation::{Observation, hour_of_week_label};
use jobwarden_model::{
    ALERT_SCHEMA, Actor, Alert, Evidence, EvidenceKind, RuleRef, Severity, Subject,
};
use serde::Serialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// A baseline rule's identity and documentation (the fields of the audit rules' `RuleMeta`).
#[derive(Debug, Serialize)]
pub struct BaselineRuleMeta {
    /// Stable id, never reused (`JW-BASE-0001`).
    pub id: &'static str,
    /// Names the anomaly (`first-seen-batch-creator`).
    pub slug: &'static str,
    /// Title for alerts.
    pub title: &'static str,
    /// The anomaly kind it reports.
    pub kind: AnomalyKind,
    /// The highest severity the rule can give.
    pub max_severity: Severity,
    /// MITRE ATT&CK technique ids.
    pub attack: &'static [&'static str],
    /// Maturity: `preview` or `stable`.
    pub status: &'static str,
    /// First version with the rule.
    pub since: &'static str,
    /// Markdown with `## What it detects`, `## Why it matters`, `## Example`,
    /// `## False positives` and `## Response`.
    pub docs: &'static str,
}

/// Every baseline rule, in id order (the order of [`AnomalyKind::ALL`]).
pub static RULES: [BaselineRuleMeta; 7] = [
    BaselineRuleMeta {
        id: "JW-BASE-0001",
        slug: "first-seen-batch-creator",
        title: "First-seen creator of Jobs or CronJobs in a namespace",
        kind: AnomalyKind::Creator,
        max_severity: Severity::High,
        attack: &["T1053.007", "T1078"],
        status: "preview",
        since: "0.1.0",
        docs: "## What it detects
A create, update or patch of a Job or CronJob that took effect, made after the learning window by
an identity that had never written batch objects in that namespace before. The alert quotes the
namespace's known creators with their counts.

## Why it matters
What is normal differs per cluster: in one, Argo CD creates every CronJob; in another, three
SREs do by hand. A stolen kubeconfig or token shows up as a writer the namespace has never had,
even when its group (often `system:masters`) would pass every static rule.

## Example
For months only `system:serviceaccount:argocd:argocd-application-controller` created CronJobs in
`payments`; then `dev-laptop-admin` creates `payments/cleanup` with `kubectl`: `medium`, and
`high` when the template is risky. Benign look-alike: Argo CD syncing a new app into an existing
namespace it already writes to gives nothing.

## False positives
New team members, new namespaces, a new CI identity. Severity is `low` when a known controller
writes a clean template. The creator is learned after one alert.

## Response
Ask whether the writer is expected in that namespace; read the template (JW-AUD-0002) and the
source network; revoke the credential if not.",
    },
    BaselineRuleMeta {
        id: "JW-BASE-0002",
        slug: "first-seen-image-registry",
        title: "Job or CronJob uses an image registry never seen in the cluster",
        kind: AnomalyKind::Registry,
        max_severity: Severity::High,
        attack: &["T1053.007", "T1610"],
        status: "preview",
        since: "0.1.0",
        docs: "## What it detects
A batch write whose template pulls an image from a registry no Job or CronJob of the cluster used
before (after the learning window). The alert quotes the registries in use.

## Why it matters
Clusters pull from a handful of registries (a corporate mirror, ghcr.io, registry.k8s.io). Images
from a registry nobody uses, an IP address or a personal Docker Hub account, are how miners and
implants arrive in scheduled jobs.

## Example
Every batch image came from `registry.corp.example`; a CronJob now runs
`45.9.148.1:5000/m:latest`: `medium` (`high` with a risky template).

## False positives
A new vendor or a registry migration: one alert per registry, after which it is known.

## Response
Check who wrote the object and where the image comes from; pull it in a sandbox before trusting
it; add the registry to the trusted list if it is legitimate.",
    },
    BaselineRuleMeta {
        id: "JW-BASE-0003",
        slug: "first-seen-image-repository",
        title: "Job or CronJob uses an image repository never seen in the cluster",
        kind: AnomalyKind::Repository,
        max_severity: Severity::Medium,
        attack: &["T1053.007", "T1610"],
        status: "preview",
        since: "0.1.0",
        docs: "## What it detects
A batch write whose template uses an image repository (registry and path, without tag) that no
Job or CronJob of the cluster used before, from a registry that is known (a new registry is
reported by JW-BASE-0002 instead).

## Why it matters
Attackers who can write CronJobs often reuse a trusted registry that hosts anything
(Docker Hub) with their own repository, e.g. `docker.io/someone/tools`.

## Example
Batch images were `docker.io/library/postgres` and `docker.io/bitnami/kubectl`; a Job now runs
`docker.io/xmrig/xmrig`: `low` (`medium` with a risky template).

## False positives
Every new application image; the repository is learned after one alert.

## Response
Identify the image's owner and the writer; compare with the application's release process.",
    },
    BaselineRuleMeta {
        id: "JW-BASE-0004",
        slug: "first-seen-client-for-identity",
        title: "Identity writes batch objects with a client it never used",
        kind: AnomalyKind::Client,
        max_severity: Severity::Medium,
        attack: &["T1053.007", "T1078"],
        status: "preview",
        since: "0.1.0",
        docs: "## What it detects
A batch write by a known identity whose user-agent program (kubectl, Helm, python-requests,
Go-http-client, ...) it never used for batch writes before.

## Why it matters
People and automation have habits: a GitOps controller always identifies as itself, an SRE uses
kubectl. The same identity suddenly using curl or python-requests suggests its token is being
used by someone else's tooling.

## Example
`ci-deployer` always used `helm/3.14`; now `python-requests/2.31` creates a Job: `low`
(`medium` with a risky template).

## False positives
Tool changes; the user agent is chosen by the client, so this only raises suspicion. The client
is learned after one alert.

## Response
Check the source network and the request's other fields; ask the identity's owner.",
    },
    BaselineRuleMeta {
        id: "JW-BASE-0005",
        slug: "first-seen-network-for-identity",
        title: "Identity writes batch objects from a network it never used",
        kind: AnomalyKind::Network,
        max_severity: Severity::Medium,
        attack: &["T1053.007", "T1078"],
        status: "preview",
        since: "0.1.0",
        docs: "## What it detects
A batch write by a known identity from a source network (the /24 of an IPv4 address, the /64
of an IPv6 one, of the first `sourceIPs` entry) it never wrote batch objects from before.

## Why it matters
Automation runs from fixed networks and people from a few. A known token used from a new
network is a classic sign of credential theft.

## Example
`alice` always came from `10.20.0.0/24` (VPN); now `198.51.100.0/24` creates a CronJob: `low`
(`medium` with a risky template).

## False positives
VPN pool changes, travel, CI runners with changing addresses. The network is learned after one
alert.

## Response
Confirm with the identity's owner; check the other requests from that address.",
    },
    BaselineRuleMeta {
        id: "JW-BASE-0006",
        slug: "batch-write-outside-usual-hours",
        title: "Identity writes batch objects far outside its usual hours",
        kind: AnomalyKind::Hours,
        max_severity: Severity::Medium,
        attack: &["T1053.007", "T1078"],
        status: "preview",
        since: "0.1.0",
        docs: "## What it detects
A batch write by an identity with enough history (`min_identity_observations`) at an hour of the
week (UTC) further than `hour_distance` hours from every hour it was active in before.

## Why it matters
Intruders work when defenders sleep; a person's token creating a CronJob at 03:00 on a Sunday,
when it only ever did so on weekdays in office hours, deserves a look.

## Example
`bob` wrote batch objects Monday to Friday between 08:00 and 18:00 UTC; on Saturday 03:00 UTC
he creates a CronJob: `low` (`medium` with a risky template).

## False positives
On-call work, time-zone moves. The hour is learned after one alert.

## Response
Ask the identity's owner; check the template and the source network.",
    },
    BaselineRuleMeta {
        id: "JW-BASE-0007",
        slug: "first-seen-schedule-shape",
        title: "CronJob schedule shape never seen in the namespace",
        kind: AnomalyKind::Schedule,
        max_severity: Severity::Medium,
        attack: &["T1053.007"],
        status: "preview",
        since: "0.1.0",
        docs: "## What it detects
A CronJob written with a schedule shape (every minute, sub-hourly, hourly, daily, weekly or
rarer, never, invalid) that no CronJob of the namespace had before. Off by default
(`alert_on`).

## Why it matters
Persistence and mining CronJobs tend to run every minute or every few minutes; a namespace whose
jobs run nightly rarely needs that.

## Example
`reports` only had daily CronJobs; one now runs `* * * * *`: `low` (`medium` with a risky
template).

## False positives
Legitimate frequent jobs (queue pollers). The shape is learned after one alert.

## Response
Read the CronJob's template and ask its owner why it runs so often.",
    },
];

/// The rule for an anomaly kind.
pub fn rule_for(kind: AnomalyKind) -> &'static BaselineRuleMeta {
    match kind {
        AnomalyKind::Creator => &RULES[0],
        AnomalyKind::Registry => &RULES[1],
        AnomalyKind::Repository => &RULES[2],
        AnomalyKind::Client => &RULES[3],
        AnomalyKind::Network => &RULES[4],
        AnomalyKind::Hours => &RULES[5],
        AnomalyKind::Schedule => &RULES[6],
    }
}

/// A rule by id (case-insensitive) or slug.
pub fn find_rule(key: &str) -> Option<&'static BaselineRuleMeta> {
    RULES
        .iter()
        .find(|r| r.id.eq_ignore_ascii_case(key) || r.slug == key)
}

/// The template judgement the baseline's severity blends with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TemplateVerdict {
    /// The worst severity the template checks gave this object (`Info` when clean or not
    /// judged).
    pub worst_template_severity: Severity,
    /// True when the writer is a control-plane controller or configured trusted automation.
    pub actor_is_known_controller: bool,
}

/// The severity of an anomaly given the template verdict:
///
/// | kind | risky template (≥ medium) | known controller, clean (≤ low) | otherwise |
/// |---|---|---|---|
/// | creator, registry | high | low | medium |
/// | repository, client, network, hours, schedule | medium | low (repository: info) | low |
pub fn blended_severity(kind: AnomalyKind, verdict: TemplateVerdict) -> Severity {
    let risky = verdict.worst_template_severity >= Severity::Medium;
    let clean_controller =
        verdict.actor_is_known_controller && verdict.worst_template_severity <= Severity::Low;
    match kind {
        AnomalyKind::Creator | AnomalyKind::Registry => {
            if risky {
                Severity::High
            } else if clean_controller {
                Severity::Low
            } else {
                Severity::Medium
            }
        }
        AnomalyKind::Repository => {
            if risky {
                Severity::Medium
            } else if clean_controller {
                Severity::Info
            } else {
                Severity::Low
            }
        }
        AnomalyKind::Client | AnomalyKind::Network | AnomalyKind::Hours | AnomalyKind::Schedule => {
            if risky {
                Severity::Medium
            } else {
                Severity::Low
            }
        }
    }
}

fn object_label(obs: &Observation) -> String {
    format!(
        "{} {}/{}",
        obs.kind,
        if obs.namespace.is_empty() {
            "-"
        } else {
            &obs.namespace
        },
        obs.name.as_deref().unwrap_or("(unnamed)")
    )
}

fn past_tense(verb: &str) -> &str {
    match verb {
        "create" => "created",
        "update" => "updated",
        "patch" => "patched",
        other => other,
    }
}

fn known_list(anomalies: &[&Anomaly]) -> String {
    let Some(first) = anomalies.first() else {
        return String::new();
    };
    if first.known.is_empty() {
        return "none known before".to_string();
    }
    let shown: Vec<String> = first
        .known
        .iter()
        .take(3)
        .map(|k| format!("{} ({})", k.value, k.count))
        .collect();
    let more = first.known_distinct.saturating_sub(shown.len() as u64);
    if more > 0 {
        format!("known: {} and {more} more", shown.join(", "))
    } else {
        format!("known: {}", shown.join(", "))
    }
}

fn summary_line(kind: AnomalyKind, obs: &Observation, group: &[&Anomaly]) -> String {
    let what = object_label(obs);
    let verb = past_tense(&obs.verb);
    let values = group
        .iter()
        .map(|a| a.value.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let known = known_list(group);
    match kind {
        AnomalyKind::Creator => format!(
            "{what} {verb} by {}, who never wrote batch objects in namespace {} before ({known})",
            obs.identity,
            if obs.namespace.is_empty() {
                "-"
            } else {
                &obs.namespace
            }
        ),
        AnomalyKind::Registry => {
            format!(
                "{what} {verb} by {} uses first-seen image registry {values} ({known})",
                obs.identity
            )
        }
        AnomalyKind::Repository => {
            format!(
                "{what} {verb} by {} uses first-seen image repository {values} ({known})",
                obs.identity
            )
        }
        AnomalyKind::Client => format!(
            "{what} {verb} by {} with {}, a client it never used for batch writes ({known})",
            obs.identity,
            obs.client.label()
        ),
        AnomalyKind::Network => format!(
            "{what} {verb} by {} from {values}, a network it never wrote batch objects from ({known})",
            obs.identity
        ),
        AnomalyKind::Hours => {
            let (distance, usual) = group
                .first()
                .and_then(|a| a.hours.as_ref())
                .map(|h| {
                    let usual = h
                        .usual
                        .iter()
                        .take(3)
                        .map(|(hour, n)| format!("{} ({n})", hour_of_week_label(*hour)))
                        .collect::<Vec<_>>()
                        .join(", ");
                    (h.distance_hours, usual)
                })
                .unwrap_or_default();
            format!(
                "{what} {verb} by {} at {values}, {distance} h from any hour it was active in (busiest: {usual})",
                obs.identity
            )
        }
        AnomalyKind::Schedule => format!(
            "{what} {verb} by {} with schedule shape {values}, new in namespace {} ({known})",
            obs.identity, obs.namespace
        ),
    }
}

fn remediation(kind: AnomalyKind) -> &'static str {
    match kind {
        AnomalyKind::Creator => {
            "Confirm the writer is expected to manage batch workloads in this namespace; if not, suspend the object and revoke the credential."
        }
        AnomalyKind::Registry | AnomalyKind::Repository => {
            "Verify the image's origin before it runs (suspend the CronJob or delete the Job if unsure); trust the registry in the config if legitimate."
        }
        AnomalyKind::Client | AnomalyKind::Network | AnomalyKind::Hours => {
            "Confirm with the identity's owner that they made this request; if not, revoke the credential and review its other requests."
        }
        AnomalyKind::Schedule => {
            "Ask the owner why the job runs this often; check the template for mining or persistence."
        }
    }
}

/// Turn one observation's anomalies into alerts: one alert per anomaly kind (several first-seen
/// registries of one object make one alert), with the known values as evidence and the
/// severity of [`blended_severity`]. Kinds not in the config's `alert_on` never reach here: the
/// baseline does not report them.
pub fn to_alerts(obs: &Observation, anomalies: &[Anomaly], verdict: TemplateVerdict) -> Vec<Alert> {
    let mut out = Vec::new();
    for kind in AnomalyKind::ALL {
        let group: Vec<&Anomaly> = anomalies.iter().filter(|a| a.kind == kind).collect();
        if group.is_empty() {
            continue;
        }
        let meta = rule_for(kind);
        let mut detail: BTreeMap<String, Value> = BTreeMap::new();
        detail.insert("verb".into(), obs.verb.clone().into());
        detail.insert(
            "resource".into(),
            if obs.kind == "CronJob" {
                "cronjobs"
            } else {
                "jobs"
            }
            .into(),
        );
        detail.insert("anomaly".into(), kind.as_str().into());
        detail.insert(
            "scope".into(),
            group
                .first()
                .map(|a| a.scope.clone())
                .unwrap_or_default()
                .into(),
        );
        detail.insert(
            "first_seen".into(),
            json!(group.iter().map(|a| a.value.as_str()).collect::<Vec<_>>()),
        );
        if let Some(first) = group.first() {
            detail.insert("known".into(), json!(first.known));
            detail.insert("known_distinct".into(), first.known_distinct.into());
            if let Some(h) = &first.hours {
                detail.insert("hours".into(), json!(h));
            }
        }
        detail.insert("client".into(), obs.client.label().into());
        detail.insert("network".into(), obs.network.clone().into());
        detail.insert(
            "template_severity".into(),
            verdict.worst_template_severity.as_str().into(),
        );
        detail.insert(
            "actor_is_known_controller".into(),
            verdict.actor_is_known_controller.into(),
        );
        let evidence = vec![Evidence {
            source: obs.source.clone(),
            kind: EvidenceKind::K8sAudit,
            audit_id: (!obs.audit_id.is_empty()).then(|| obs.audit_id.clone()),
            detail,
        }];
        out.push(Alert {
            schema: ALERT_SCHEMA.to_string(),
            id: Alert::stable_id(meta.id, &evidence),
            rule: RuleRef {
                id: meta.id.to_string(),
                title: meta.title.to_string(),
                origin: "builtin".to_string(),
                attack: meta.attack.iter().map(|s| s.to_string()).collect(),
            },
            severity: blended_severity(kind, verdict),
            time: obs.time_text.clone(),
            summary: summary_line(kind, obs, &group),
            subject: Subject {
                kind: obs.kind.to_string(),
                namespace: (!obs.namespace.is_empty()).then(|| obs.namespace.clone()),
                name: obs.name.clone(),
                cluster: (!obs.cluster.is_empty()).then(|| obs.cluster.clone()),
            },
            actor: Actor {
                username: obs.identity.clone(),
                groups: obs.groups.clone(),
                impersonated_by: obs.impersonated_by.clone(),
                source_ips: obs.source_ips.clone(),
                user_agent: obs.user_agent.clone(),
                host: None,
            },
            evidence,
            provenance: Vec::new(),
            remediation: Some(remediation(kind).to_string()),
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules_are_unique_ordered_and_documented() {
        for (rule, kind) in RULES.iter().zip(AnomalyKind::ALL) {
            assert_eq!(rule.kind, kind, "{}", rule.id);
            assert!(std::ptr::eq(rule_for(kind), rule));
            assert!(
                rule.id.starts_with("JW-BASE-") && rule.id.len() == 12,
                "{}",
                rule.id
            );
            assert!(rule.attack.contains(&"T1053.007"));
            for section in [
                "## What it detects",
                "## Why it matters",
                "## Example",
                "## False positives",
                "## Response",
            ] {
                assert!(rule.docs.contains(section), "{} lacks {section}", rule.id);
            }
            assert!(find_rule(rule.slug).is_some() && find_rule(&rule.id.to_lowercase()).is_some());
        }
        let mut ids: Vec<_> = RULES.iter().map(|r| r.id).collect();
        ids.dedup();
        assert_eq!(ids.len(), RULES.len());
        // max_severity is the blend's ceiling.
        for rule in &RULES {
            let risky = TemplateVerdict {
                worst_template_severity: Severity::Critical,
                actor_is_known_controller: false,
            };
            assert_eq!(
                blended_severity(rule.kind, risky),
                rule.max_severity,
                "{}",
                rule.id
            );
        }
    }

    #[test]
    fn severity_blends_with_the_template() {
        let v = |s, c| TemplateVerdict {
            worst_template_severity: s,
            actor_is_known_controller: c,
        };
        assert_eq!(
            blended_severity(AnomalyKind::Creator, v(Severity::Medium, false)),
            Severity::High
        );
        assert_eq!(
            blended_severity(AnomalyKind::Creator, v(Severity::High, true)),
            Severity::High
        );
        assert_eq!(
            blended_severity(AnomalyKind::Creator, v(Severity::Info, true)),
            Severity::Low
        );
        assert_eq!(
            blended_severity(AnomalyKind::Creator, v(Severity::Low, false)),
            Severity::Medium
        );
        assert_eq!(
            blended_severity(AnomalyKind::Registry, v(Severity::Info, false)),
            Severity::Medium
        );
        assert_eq!(
            blended_severity(AnomalyKind::Hours, v(Severity::Info, false)),
            Severity::Low
        );
        assert_eq!(
            blended_severity(AnomalyKind::Client, v(Severity::Info, false)),
            Severity::Low
        );
        assert_eq!(
            blended_severity(AnomalyKind::Client, v(Severity::High, false)),
            Severity::Medium
        );
    }
}
