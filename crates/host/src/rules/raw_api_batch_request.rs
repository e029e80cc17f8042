//! JW-HOST-0003: curl, wget, httpie or Python calling the batch API directly.

use super::{Facts, Hit, Rule, RuleMeta, Status, detail, raise};
use crate::config::HostConfig;
use crate::context::ExecContext;
use jobwarden_model::{Severity, Subject};

/// See [`META`].
pub struct RawApiBatchRequest;

/// Identity and documentation.
pub static META: RuleMeta = RuleMeta {
    id: "JW-HOST-0003",
    slug: "raw-api-batch-request",
    title: "Raw HTTP client calls the Kubernetes batch API",
    max_severity: Severity::Critical,
    attack: &["T1053.007", "T1528", "T1059"],
    status: Status::Preview,
    since: "0.1.0",
    docs: "## What it detects
A process whose command line sends a request to `/apis/batch/v1[beta1]/.../cronjobs|jobs` with
curl, wget, httpie/xh or a Python one-liner, noting the method (`-X POST`, `--data @file`,
`--post-file`, `requests.post(...)`), a bearer token (`Authorization: Bearer`, `-H @file`,
`--oauth2-bearer`), the pod's service-account token or CA
(`/var/run/secrets/kubernetes.io/serviceaccount/...`, also read earlier on the same command
line into a variable) and `-k`.

## Why it matters
Tooling such as CDK's `k8s-cronjob` and Peirates create CronJobs exactly like this from a
compromised pod: kubectl is rarely present, the token is. A write is `medium` anywhere, `high`
with a service-account token or from a container, `critical` with both from a container; a
read is `low`, `medium` from a container or with a token.

## Example
`curl -sk -X POST -H \"Authorization: Bearer $(cat /var/run/secrets/kubernetes.io/serviceaccount/token)\"
--data @cj.json https://kubernetes.default.svc/apis/batch/v1/namespaces/kube-system/cronjobs`
from a pod: `critical`. Benign look-alike: `curl https://example.com/apis/batch/docs.html` gives
nothing (not an API path).

## False positives
Health checks and exporters written as shell scripts that list jobs with curl; in-cluster
automation using Python clients (`create_namespaced_job`) from a known pod.

## Response
Isolate the pod (or host), rotate the service account's token, and read the object the call
wrote from the audit log.",
};

impl Rule for RawApiBatchRequest {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, facts: &Facts<'_>, _config: &HostConfig) -> Option<Hit> {
        let call = facts
            .raw_api
            .iter()
            .filter(|c| c.target.is_batch())
            .max_by_key(|c| c.is_write())?;
        let context = facts.context.as_ref()?;
        let in_workload = matches!(
            context,
            ExecContext::Container { .. } | ExecContext::WebServer { .. }
        );
        let token = call.service_account_token || facts.service_account_token;
        let steps = usize::from(in_workload) + usize::from(token);
        let severity = if call.is_write() {
            raise(Severity::Medium, steps, Severity::Critical)
        } else {
            raise(Severity::Low, steps.min(1), Severity::Medium)
        };
        let mut reasons = Vec::new();
        if in_workload {
            reasons.push(format!("from {}", context.label()));
        }
        if token {
            reasons.push("with the pod's service-account token".to_string());
        } else if call.bearer {
            reasons.push("with a bearer token".to_string());
        }
        if call.insecure {
            reasons.push("TLS verification off".to_string());
        }
        Some(Hit {
            severity,
            summary: format!(
                "{} {} {} via {}{}",
                call.method,
                call.target.kind.as_deref().unwrap_or("batch"),
                call.url,
                call.tool,
                if reasons.is_empty() { String::new() } else { format!(" ({})", reasons.join(", ")) }
            ),
            subject: Subject {
                kind: call.target.kind.clone().unwrap_or_else(|| "CronJob".into()),
                namespace: call.target.namespace.clone(),
                name: call.target.name.clone(),
                cluster: None,
            },
            detail: vec![detail("reasons", reasons), detail("context_kind", context.label())],
            remediation: call.is_write().then(|| {
                "Isolate the workload that made the call, rotate its service-account token and review what it created.".to_string()
            }),
        })
    }
}
