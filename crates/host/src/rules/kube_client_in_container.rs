//! JW-HOST-0004: a Kubernetes API client (kubectl or a raw HTTP call) run inside a container.

use super::{Facts, Hit, Rule, RuleMeta, Status, detail};
use crate::config::HostConfig;
use crate::context::ExecContext;
use crate::event::HostRecord;
use crate::kubectl::Action;
use jobwarden_model::{Severity, Subject};

/// See [`META`].
pub struct KubeClientInContainer;

/// Identity and documentation.
pub static META: RuleMeta = RuleMeta {
    id: "JW-HOST-0004",
    slug: "kube-client-in-container",
    title: "Kubernetes API client run inside a container",
    max_severity: Severity::Medium,
    attack: &["T1613", "T1609", "T1053.007"],
    status: Status::Preview,
    since: "0.1.0",
    docs: "## What it detects
kubectl/oc, or curl/wget/python calling `/api/...` or `/apis/...`, started inside a container
(pod identity, or a runtime shim among the ancestors) or by a web server, when the command
does not touch Jobs or CronJobs (those are JW-HOST-0001..0003). Exec probes are ignored.

## Why it matters
The step before batch persistence: an intruder with a pod's token checks what it may do
(`auth can-i --list`), reads secrets or lists pods. Falco's \"Kubernetes Client Tool Launched in
Container\" covers the binary; this rule also covers raw calls. `low`, `medium` with the
service-account token, an explicit `--token` or from a web server.

## Example
`kubectl auth can-i --list` in pod `web-7f9`: `low`; `curl -k -H \"Authorization: Bearer
$(cat /var/run/secrets/kubernetes.io/serviceaccount/token)\" https://10.96.0.1/api/v1/secrets`:
`medium`. Benign look-alike: `kubectl version --client` in a CI image: nothing.

## False positives
Operators and CI runners that call the API from pods by design; toolbox pods.

## Response
Identify the workload and who can exec into it; check its service account's permissions.",
};

impl Rule for KubeClientInContainer {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, facts: &Facts<'_>, _config: &HostConfig) -> Option<Hit> {
        let context = facts.context.as_ref()?;
        if !matches!(
            context,
            ExecContext::Container { .. } | ExecContext::WebServer { .. }
        ) {
            return None;
        }
        if let HostRecord::Process(p) = facts.record
            && p.container.exec_probe
        {
            return None;
        }
        // Batch reads and writes have rules of their own.
        if facts
            .kubectl
            .iter()
            .any(|k| k.touches_batch() || k.writes_manifests())
            || facts.raw_api.iter().any(|c| c.target.is_batch())
        {
            return None;
        }
        let kubectl = facts.kubectl.iter().find(|k| {
            !matches!(
                k.verb.as_str(),
                "" | "version" | "completion" | "help" | "config" | "options"
            )
        });
        let raw = facts.raw_api.first();
        if kubectl.is_none() && raw.is_none() {
            return None;
        }
        let token = facts.service_account_token
            || kubectl.is_some_and(|k| k.token_flag_present)
            || raw.is_some_and(|r| r.service_account_token || r.bearer);
        let severity = if token
            || matches!(context, ExecContext::WebServer { .. })
            || kubectl.is_some_and(|k| k.action() == Action::Exec)
        {
            Severity::Medium
        } else {
            Severity::Low
        };
        let what = match (kubectl, raw) {
            (Some(k), _) => format!("`{}`", k.describe()),
            (None, Some(r)) => format!("{} {} via {}", r.method, r.url, r.tool),
            (None, None) => String::new(),
        };
        let (namespace, pod) = match context {
            ExecContext::Container { pod, namespace, .. } => (namespace.clone(), pod.clone()),
            _ => (None, None),
        };
        Some(Hit {
            severity,
            summary: format!("{what} in {}", context.label()),
            subject: Subject {
                kind: "Pod".into(),
                namespace,
                name: pod,
                cluster: None,
            },
            detail: vec![
                detail("context_kind", context.label()),
                detail("token", token),
            ],
            remediation: None,
        })
    }
}
