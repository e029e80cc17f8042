//! JW-HOST-0007: a container started for a Job or CronJob run (and privileged containers).

use super::{Facts, Hit, Rule, RuleMeta, Status, detail, suspicious_payload};
use crate::config::HostConfig;
use crate::context::batch_owner;
use crate::event::{ContainerContext, ContainerEvent, HostRecord};
use jobwarden_model::{Severity, Subject};

/// See [`META`].
pub struct BatchPodContainerStart;

/// Identity and documentation.
pub static META: RuleMeta = RuleMeta {
    id: "JW-HOST-0007",
    slug: "batch-pod-container-start",
    title: "Container started for a Job or CronJob run",
    max_severity: Severity::High,
    attack: &["T1053.007", "T1610", "T1611"],
    status: Status::Preview,
    since: "0.1.0",
    docs: "## What it detects
A container start (Tetragon first process in a container, Falco container events, ECS
container events) whose pod belongs to a Job or CronJob: `job-name` or
`batch.kubernetes.io/job-name` labels, a `Job`/`CronJob` workload, or a pod name
`<cronjob>-<scheduled minutes>-<5 chars>`. Also any privileged container start, and a new
`/var/log/pods/<namespace>_<pod>_<uid>/` directory of a batch pod (what logging agents on the
node see when a Job's pod starts).

## Why it matters
MITRE's data component Container Creation (DS0032): the place where a CronJob's payload
meets a node. A batch container start is `info` (inventory the correlation joins to the
CronJob and its creator), `high` when privileged or when its first command downloads and
runs code, mines or escapes; a privileged container outside batch workloads is `low`
(CNI and monitoring DaemonSets are privileged all the time).

## Example
Pod `backup-29000000-x7k2p` (CronJob `backup`) starting a privileged container: `high`.
Benign look-alike: the same CronJob's unprivileged container running `pg_dump`: `info`.

## False positives
Node maintenance CronJobs that need privilege (kube-bench, log rotation on the host).

## Response
Follow the pod to its Job and CronJob and to who created them (the audit alert), then
suspend the CronJob if unexpected.",
};

/// `/var/log/pods/<namespace>_<pod>_<uid>/`: the kubelet creates it when a pod starts, and
/// logging agents on the node see it. Files inside it are not new pods.
fn pod_log_dir(
    path: &str,
    host: Option<String>,
    time: Option<jiff::Timestamp>,
) -> Option<ContainerEvent> {
    let rest = path.strip_prefix("/var/log/pods/")?.trim_end_matches('/');
    if rest.contains('/') {
        return None;
    }
    let mut parts = rest.splitn(3, '_');
    let (namespace, pod, uid) = (parts.next()?, parts.next()?, parts.next()?);
    if namespace.is_empty() || pod.is_empty() || uid.len() < 8 {
        return None;
    }
    let container = ContainerContext {
        pod: Some(pod.to_string()),
        namespace: Some(namespace.to_string()),
        ..ContainerContext::default()
    };
    // Only batch pods are worth an inventory record here.
    batch_owner(&container)?;
    Some(ContainerEvent {
        time,
        host,
        container,
        command_line: None,
    })
}

impl Rule for BatchPodContainerStart {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, facts: &Facts<'_>, _config: &HostConfig) -> Option<Hit> {
        let c = match facts.record {
            HostRecord::Container(c) => c.clone(),
            HostRecord::File(f) => pod_log_dir(&f.path, f.host.clone(), f.time)?,
            _ => return None,
        };
        let c = &c;
        let owner = batch_owner(&c.container);
        let privileged = c.container.privileged == Some(true);
        let payload = c.command_line.as_deref().and_then(suspicious_payload);
        let severity = match (&owner, privileged, payload) {
            (Some(_), true, _) | (Some(_), _, Some(_)) => Severity::High,
            (Some(_), false, None) => Severity::Info,
            (None, true, _) => Severity::Low,
            (None, false, _) => return None,
        };
        let (kind, name) = match &owner {
            Some(o) => match (&o.cronjob, &o.job) {
                (Some(cj), _) => ("CronJob", Some(cj.clone())),
                (None, job) => ("Job", job.clone()),
            },
            None => ("Pod", c.container.pod.clone()),
        };
        let mut what = Vec::new();
        if privileged {
            what.push("privileged".to_string());
        }
        if let Some(p) = payload {
            what.push(p.to_string());
        }
        Some(Hit {
            severity,
            summary: format!(
                "{}container {} started in pod {}{}",
                if privileged { "privileged " } else { "" },
                c.container.image.as_deref().unwrap_or("?"),
                c.container.pod.as_deref().unwrap_or("?"),
                match &owner {
                    Some(o) => format!(" of {kind} {}", name.clone().unwrap_or_default()) + if o.evidence == "pod name" { " (by pod name)" } else { "" },
                    None => String::new(),
                }
            ),
            subject: Subject {
                kind: kind.into(),
                namespace: c.container.namespace.clone(),
                name,
                cluster: None,
            },
            detail: vec![
                detail("batch_owner", serde_json::to_value(&owner).unwrap_or_default()),
                detail("findings", what),
            ],
            remediation: (severity >= Severity::Medium).then(|| "Find the CronJob/Job behind this pod and who created it; suspend it if unexpected.".to_string()),
        })
    }
}
