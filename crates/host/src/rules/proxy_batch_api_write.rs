//! JW-HOST-0008: a proxy log showing a write to the batch API.

use super::{Facts, Hit, Rule, RuleMeta, Status, detail};
use crate::config::HostConfig;
use crate::event::HostRecord;
use crate::rawapi::api_target;
use jobwarden_model::{Severity, Subject};

/// See [`META`].
pub struct ProxyBatchApiWrite;

/// Identity and documentation.
pub static META: RuleMeta = RuleMeta {
    id: "JW-HOST-0008",
    slug: "proxy-batch-api-write",
    title: "Proxy log shows a write to the batch API",
    max_severity: Severity::High,
    attack: &["T1053.007"],
    status: Status::Preview,
    since: "0.1.0",
    docs: "## What it detects
An Envoy/Istio access-log line (sidecar, egress gateway, or a proxy in front of the API
server) for `POST`, `PUT`, `PATCH` or `DELETE` on `/apis/batch/v1[beta1]/.../cronjobs|jobs`.

## Why it matters
MITRE lists sidecar-proxy logs among T1053.007's data sources: a workload whose proxy shows
batch writes is creating Jobs or CronJobs itself. `medium` when the write succeeded (2xx or no
status), `high` from a scripted client (curl, wget, python-requests, Go-http-client) or with
no user agent, `low` when it failed.

## Example
`\"POST /apis/batch/v1/namespaces/default/cronjobs HTTP/1.1\" 201 ... \"curl/8.5.0\"` in the
sidecar log of pod `web-7f9`: `high`. Benign look-alike: `GET /apis/batch/v1/namespaces/x/jobs`
by a dashboard: nothing.

## False positives
In-mesh operators and CI runners that manage Jobs through the mesh.

## Response
Identify the downstream workload (address, request id) and correlate with the audit log.",
};

const SCRIPTED: &[&str] = &[
    "curl/",
    "wget/",
    "python-requests/",
    "python-urllib",
    "go-http-client/",
    "httpie/",
    "aiohttp/",
    "okhttp/",
    "libwww-perl",
];

impl Rule for ProxyBatchApiWrite {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, facts: &Facts<'_>, _config: &HostConfig) -> Option<Hit> {
        let HostRecord::Proxy(p) = facts.record else {
            return None;
        };
        let method = p.method.to_ascii_uppercase();
        if !matches!(method.as_str(), "POST" | "PUT" | "PATCH" | "DELETE") {
            return None;
        }
        let target = api_target(&p.path).filter(|t| t.is_batch())?;
        let ua = p
            .user_agent
            .as_deref()
            .unwrap_or_default()
            .to_ascii_lowercase();
        let scripted = ua.is_empty() || SCRIPTED.iter().any(|s| ua.starts_with(s));
        let ok = p.status == 0 || (200..300).contains(&p.status);
        let severity = match (ok, scripted) {
            (false, _) => Severity::Low,
            (true, true) => Severity::High,
            (true, false) => Severity::Medium,
        };
        Some(Hit {
            severity,
            summary: format!(
                "{method} {} ({}) through proxy{}",
                p.path,
                p.status,
                p.user_agent
                    .as_deref()
                    .map(|u| format!(" by {u}"))
                    .unwrap_or_default()
            ),
            subject: Subject {
                kind: target.kind.clone().unwrap_or_else(|| "CronJob".into()),
                namespace: target.namespace.clone(),
                name: target.name.clone(),
                cluster: None,
            },
            detail: vec![detail("scripted_client", scripted), detail("succeeded", ok)],
            remediation: ok.then(|| {
                "Find the workload behind the downstream address and check the object it wrote."
                    .to_string()
            }),
        })
    }
}
