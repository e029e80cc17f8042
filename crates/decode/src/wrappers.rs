//! Managed-cloud wrappers around audit events, turned into plain [`AuditEvent`]s so rules never
//! see where an event came from.
//!
//! * GKE: Cloud Logging entries whose `protoPayload` is a `google.cloud.audit.AuditLog` for
//!   service `k8s.io`. The verb, group, version, resource and subresource come from
//!   `methodName` (`io.k8s.batch.v1.cronjobs.create`) and `resourceName`
//!   (`batch/v1/namespaces/default/cronjobs/x`); the gRPC `status.code` becomes an HTTP code.
//! * AKS: diagnostic records (`kube-audit`, `kube-audit-admin`) holding the event in
//!   `properties.log`, as a JSON string or object; the cluster comes from `resourceId`.
//! * EKS: CloudWatch records holding the event in `message` (or Logs Insights `@message`); the
//!   cluster comes from the `/aws/eks/<cluster>/cluster` log group.
//! * Elastic: ECS documents holding the event in `kubernetes.audit` (dots in annotation keys
//!   were rewritten to `_` at ingestion and are restored here).

use crate::error::ErrorCode;
use crate::record::{RecordError, classify, looks_like_event, parse_event, parse_with_path};
use jobwarden_model::{AuditEvent, ObjectRef, ResponseStatus, Stage, UserInfo};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;
use std::collections::BTreeMap;

/// The audit event held by a wrapper field, given as a JSON string or as an object.
fn inner_event(raw: &RawValue, field: &str) -> Result<AuditEvent, RecordError> {
    let text = raw.get();
    let event = if text.starts_with('"') {
        let unescaped: String =
            serde_json::from_str(text).map_err(|e| classify(&e, None).inside(field, true))?;
        parse_event(unescaped.as_bytes()).map_err(|e| e.inside(field, true))?
    } else if text.starts_with('{') {
        parse_event(text.as_bytes()).map_err(|e| e.inside(field, true))?
    } else {
        return Err(RecordError::new(
            ErrorCode::NotAnAuditEvent,
            "expected an audit event as a JSON object or string",
        )
        .field(field));
    };
    if looks_like_event(&event) {
        Ok(event)
    } else {
        Err(RecordError::new(
            ErrorCode::NotAnAuditEvent,
            "the wrapped JSON is not an audit event (no auditID or verb)",
        )
        .field(field))
    }
}

// ---------------------------------------------------------------------------------------------
// GKE

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GkeEntry {
    proto_payload: GkePayload,
    #[serde(default)]
    insert_id: Option<String>,
    #[serde(default)]
    timestamp: Option<String>,
    #[serde(default)]
    resource: Option<GkeResource>,
    #[serde(default)]
    labels: BTreeMap<String, Value>,
    #[serde(default)]
    operation: Option<GkeOperation>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GkePayload {
    #[serde(default)]
    method_name: String,
    #[serde(default)]
    resource_name: Option<String>,
    #[serde(default)]
    service_name: Option<String>,
    #[serde(default)]
    authentication_info: Option<GkeAuthentication>,
    #[serde(default)]
    request_metadata: Option<GkeRequestMetadata>,
    #[serde(default)]
    status: Option<GkeStatus>,
    #[serde(default)]
    request: Option<Value>,
    #[serde(default)]
    response: Option<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GkeAuthentication {
    #[serde(default)]
    principal_email: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct GkeRequestMetadata {
    #[serde(default)]
    caller_ip: Option<String>,
    #[serde(default)]
    caller_supplied_user_agent: Option<String>,
}

#[derive(Deserialize)]
struct GkeStatus {
    #[serde(default)]
    code: Option<i64>,
    #[serde(default)]
    message: Option<String>,
}

#[derive(Deserialize)]
struct GkeResource {
    #[serde(default)]
    labels: BTreeMap<String, Value>,
}

#[derive(Deserialize)]
struct GkeOperation {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    first: Option<bool>,
    #[serde(default)]
    last: Option<bool>,
}

/// What a GKE method name and resource name say about the request.
#[derive(Debug, Default, PartialEq, Eq)]
struct GkeTarget {
    verb: String,
    object_ref: Option<ObjectRef>,
    request_uri: String,
}

/// Kubernetes API groups whose names have no `.k8s.io` suffix (GKE writes them as
/// `io.k8s.<group>`); `core` is the empty group.
const UNSUFFIXED_GROUPS: [&str; 6] = [
    "core",
    "apps",
    "batch",
    "autoscaling",
    "policy",
    "extensions",
];

fn is_version(segment: &str) -> bool {
    let Some(rest) = segment.strip_prefix('v') else {
        return false;
    };
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let tail = rest.get(digits..).unwrap_or_default();
    digits > 0
        && (tail.is_empty()
            || ["alpha", "beta"].iter().any(|kind| {
                tail.strip_prefix(kind)
                    .is_some_and(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
            }))
}

/// The API group named by the segments of a method name before the version, in reversed domain
/// order (`io.k8s.authorization.rbac` → `rbac.authorization.k8s.io`, `io.k8s.batch` → `batch`).
fn group_from_method(segments: &[&str]) -> String {
    let domain: Vec<&str> = segments.iter().rev().copied().collect();
    let domain = domain.join(".");
    match domain.strip_suffix(".k8s.io") {
        Some("core") => String::new(),
        Some(short) if UNSUFFIXED_GROUPS.contains(&short) => short.to_string(),
        _ => domain,
    }
}

fn gke_target(method: &str, resource_name: Option<&str>) -> GkeTarget {
    let segments: Vec<&str> = method.split('.').collect();
    let verb = segments.last().copied().unwrap_or_default().to_string();
    let version_at = segments
        .iter()
        .take(segments.len().saturating_sub(1))
        .position(|s| is_version(s));
    let method_parts = version_at.map(|at| {
        let group = group_from_method(segments.get(..at).unwrap_or_default());
        let version = segments.get(at).copied().unwrap_or_default().to_string();
        let resource: Vec<&str> = segments
            .get(at + 1..segments.len().saturating_sub(1))
            .unwrap_or_default()
            .to_vec();
        (group, version, resource)
    });
    let method_resource = method_parts
        .as_ref()
        .and_then(|(_, _, r)| r.first().copied())
        .unwrap_or_default()
        .to_string();

    // resourceName: `<group>/<version>/[namespaces/<ns>/]<resource>[/<name>[/<subresource>]]`,
    // group `core` for the core API; some producers prefix `apis/` or `api/`.
    let name_parts = resource_name.and_then(|name| {
        let mut segs: Vec<&str> = name.trim_matches('/').split('/').collect();
        if segs.first() == Some(&"apis") {
            segs.remove(0);
        } else if let Some(first) = segs.first_mut().filter(|first| **first == "api") {
            *first = "core";
        }
        let (group, version) = (*segs.first()?, *segs.get(1)?);
        if !is_version(version) {
            return None;
        }
        let mut rest = segs.get(2..)?.to_vec();
        let mut namespace = None;
        if rest.first() == Some(&"namespaces") && rest.len() >= 3 && method_resource != "namespaces"
        {
            namespace = rest.get(1).map(|s| s.to_string());
            rest.drain(..2);
        }
        let group = if group == "core" { "" } else { group };
        Some((group.to_string(), version.to_string(), namespace, rest))
    });

    let (object_ref, request_uri) = match (name_parts, method_parts) {
        (Some((group, version, namespace, rest)), method) => {
            let resource = rest
                .first()
                .map(|s| s.to_string())
                .or_else(|| (!method_resource.is_empty()).then(|| method_resource.clone()))
                .unwrap_or_default();
            let subresource = rest.get(2).map(|s| s.to_string()).or_else(|| {
                method
                    .as_ref()
                    .and_then(|(_, _, r)| r.get(1).map(|s| s.to_string()))
            });
            let name = rest.get(1).map(|s| s.to_string());
            let uri = request_uri(
                &group,
                &version,
                namespace.as_deref(),
                &resource,
                name.as_deref(),
                subresource.as_deref(),
                &verb,
            );
            let object_ref = ObjectRef {
                resource,
                subresource,
                namespace,
                name,
                api_group: Some(group),
                api_version: Some(version),
                ..ObjectRef::default()
            };
            (Some(object_ref), uri)
        }
        (None, Some((group, version, resource))) if !resource.is_empty() => {
            let resource_plural = resource.first().map(|s| s.to_string()).unwrap_or_default();
            let subresource = resource.get(1).map(|s| s.to_string());
            let uri = request_uri(
                &group,
                &version,
                None,
                &resource_plural,
                None,
                subresource.as_deref(),
                &verb,
            );
            let object_ref = ObjectRef {
                resource: resource_plural,
                subresource,
                api_group: Some(group),
                api_version: Some(version),
                ..ObjectRef::default()
            };
            (Some(object_ref), uri)
        }
        // A non-resource URL (`/readyz`, `/version`).
        _ => (
            None,
            format!(
                "/{}",
                resource_name.unwrap_or_default().trim_start_matches('/')
            ),
        ),
    };
    GkeTarget {
        verb,
        object_ref,
        request_uri,
    }
}

/// The request path the apiserver would have logged (the name is left out of creates, as in
/// real audit logs).
fn request_uri(
    group: &str,
    version: &str,
    namespace: Option<&str>,
    resource: &str,
    name: Option<&str>,
    subresource: Option<&str>,
    verb: &str,
) -> String {
    let mut uri = if group.is_empty() {
        format!("/api/{version}")
    } else {
        format!("/apis/{group}/{version}")
    };
    if let Some(ns) = namespace {
        uri.push_str("/namespaces/");
        uri.push_str(ns);
    }
    if !resource.is_empty() {
        uri.push('/');
        uri.push_str(resource);
    }
    let creating = verb == "create" && subresource.is_none();
    if let Some(name) = name.filter(|_| !creating) {
        uri.push('/');
        uri.push_str(name);
        if let Some(sub) = subresource {
            uri.push('/');
            uri.push_str(sub);
        }
    }
    uri
}

/// The HTTP status matching a gRPC status code, with the Kubernetes reason for failures.
fn grpc_to_http(code: i64) -> (i64, Option<&'static str>) {
    match code {
        0 => (200, None),
        1 => (499, Some("Canceled")),
        3 | 9 | 11 => (400, Some("BadRequest")),
        4 => (504, Some("Timeout")),
        5 => (404, Some("NotFound")),
        6 => (409, Some("AlreadyExists")),
        7 => (403, Some("Forbidden")),
        8 => (429, Some("TooManyRequests")),
        10 => (409, Some("Conflict")),
        12 => (501, Some("NotImplemented")),
        14 => (503, Some("ServiceUnavailable")),
        16 => (401, Some("Unauthorized")),
        _ => (500, Some("InternalError")),
    }
}

fn without_type_tag(value: Option<Value>) -> Option<Value> {
    value.map(|mut v| {
        if let Some(obj) = v.as_object_mut() {
            obj.remove("@type");
        }
        v
    })
}

/// Decode a GKE Cloud Logging entry.
pub(crate) fn gke(bytes: &[u8]) -> Result<AuditEvent, RecordError> {
    let entry: GkeEntry = parse_with_path(bytes)?;
    let payload = entry.proto_payload;
    let is_k8s = payload.service_name.as_deref() == Some("k8s.io")
        || payload.method_name.starts_with("io.k8s.");
    if !is_k8s || payload.method_name.is_empty() {
        return Err(RecordError::new(
            ErrorCode::NotAnAuditEvent,
            "a Cloud Logging entry that is not a Kubernetes audit entry (serviceName is not k8s.io)",
        )
        .field("protoPayload.methodName"));
    }
    let target = gke_target(&payload.method_name, payload.resource_name.as_deref());
    let response_status = payload.status.map(|status| {
        // Proto3 leaves out zero values: a status without a code is OK (0).
        let (code, reason) = grpc_to_http(status.code.unwrap_or(0));
        ResponseStatus {
            code: Some(code),
            status: Some(if code < 400 { "Success" } else { "Failure" }.to_string()),
            reason: reason.map(str::to_string),
            message: status.message.filter(|m| !m.is_empty()),
        }
    });
    let request_object = without_type_tag(payload.request);
    let response_object = without_type_tag(payload.response);
    let level = if response_object.is_some() {
        "RequestResponse"
    } else if request_object.is_some() {
        "Request"
    } else {
        "Metadata"
    };
    let stage = match &entry.operation {
        Some(GkeOperation {
            first: Some(true),
            last: Some(false),
            ..
        }) => Stage::RequestReceived,
        _ => Stage::ResponseComplete,
    };
    let annotations = entry
        .labels
        .into_iter()
        .filter_map(|(k, v)| v.as_str().map(|s| (k, s.to_string())))
        .collect();
    let metadata = payload.request_metadata;
    let event = AuditEvent {
        audit_id: entry
            .operation
            .and_then(|op| op.id)
            .or(entry.insert_id)
            .unwrap_or_default(),
        stage,
        level: Some(level.to_string()),
        verb: target.verb,
        request_uri: target.request_uri,
        user: UserInfo {
            username: payload
                .authentication_info
                .and_then(|a| a.principal_email)
                .unwrap_or_default(),
            ..UserInfo::default()
        },
        impersonated_user: None,
        source_ips: metadata
            .as_ref()
            .and_then(|m| m.caller_ip.clone())
            .into_iter()
            .collect(),
        user_agent: metadata.and_then(|m| m.caller_supplied_user_agent),
        object_ref: target.object_ref,
        response_status,
        request_object,
        response_object,
        request_received_timestamp: entry.timestamp.clone(),
        stage_timestamp: entry.timestamp,
        annotations,
        cluster: entry.resource.and_then(|r| {
            r.labels
                .get("cluster_name")
                .and_then(Value::as_str)
                .map(str::to_string)
        }),
    };
    Ok(event)
}

// ---------------------------------------------------------------------------------------------
// AKS

#[derive(Deserialize)]
struct AksRecord<'a> {
    #[serde(default)]
    category: Option<String>,
    #[serde(borrow)]
    properties: AksProperties<'a>,
    #[serde(default, rename = "resourceId")]
    resource_id: Option<String>,
}

#[derive(Deserialize)]
struct AksProperties<'a> {
    #[serde(borrow, default)]
    log: Option<&'a RawValue>,
}

/// The AKS cluster named by an Azure resource id (`.../managedClusters/<name>`).
pub(crate) fn aks_cluster(resource_id: &str) -> Option<String> {
    let lower = resource_id.to_ascii_lowercase();
    let marker = "/managedclusters/";
    let at = lower.find(marker)? + marker.len();
    let name = resource_id.get(at..)?.split('/').next()?;
    (!name.is_empty()).then(|| name.to_string())
}

/// Decode an AKS diagnostic record.
pub(crate) fn aks(bytes: &[u8]) -> Result<AuditEvent, RecordError> {
    let record: AksRecord<'_> = parse_with_path(bytes)?;
    if let Some(category) = record.category.as_deref()
        && !category.eq_ignore_ascii_case("kube-audit")
        && !category.eq_ignore_ascii_case("kube-audit-admin")
    {
        return Err(RecordError::new(
            ErrorCode::NotAnAuditEvent,
            format!("AKS diagnostic category `{category}` is not kube-audit or kube-audit-admin"),
        )
        .field("category"));
    }
    let Some(log) = record.properties.log else {
        return Err(RecordError::new(
            ErrorCode::NotAnAuditEvent,
            "no audit event in properties.log",
        )
        .field("properties.log"));
    };
    let mut event = inner_event(log, "properties.log")?;
    if event.cluster.is_none() {
        event.cluster = record.resource_id.as_deref().and_then(aks_cluster);
    }
    Ok(event)
}

// ---------------------------------------------------------------------------------------------
// EKS

#[derive(Deserialize)]
struct EksRecord<'a> {
    #[serde(borrow, default)]
    message: Option<&'a RawValue>,
    #[serde(borrow, default, rename = "@message")]
    at_message: Option<&'a RawValue>,
    #[serde(default, rename = "logGroup")]
    log_group: Option<Value>,
    #[serde(default, rename = "@log")]
    at_log: Option<Value>,
}

/// The EKS cluster named by a CloudWatch log group `/aws/eks/<cluster>/cluster` (also in the
/// Logs Insights form `<account>:/aws/eks/<cluster>/cluster`).
pub(crate) fn eks_cluster_from_log_group(group: &str) -> Option<String> {
    let at = group.find("/aws/eks/")? + "/aws/eks/".len();
    let name = group.get(at..)?.split('/').next()?;
    (!name.is_empty()).then(|| name.to_string())
}

/// Decode an EKS CloudWatch record.
pub(crate) fn eks(bytes: &[u8]) -> Result<AuditEvent, RecordError> {
    let record: EksRecord<'_> = parse_with_path(bytes)?;
    let (raw, field) = match (record.message, record.at_message) {
        (Some(raw), _) => (raw, "message"),
        (None, Some(raw)) => (raw, "@message"),
        (None, None) => {
            return Err(RecordError::new(ErrorCode::NotAnAuditEvent, "no message").field("message"));
        }
    };
    let mut event = inner_event(raw, field)?;
    if event.cluster.is_none() {
        event.cluster = [record.log_group, record.at_log]
            .iter()
            .flatten()
            .filter_map(Value::as_str)
            .find_map(eks_cluster_from_log_group);
    }
    Ok(event)
}

// ---------------------------------------------------------------------------------------------
// Elastic ECS

#[derive(Deserialize)]
struct EcsDocument<'a> {
    #[serde(borrow)]
    kubernetes: EcsKubernetes<'a>,
    #[serde(default)]
    orchestrator: Option<Value>,
}

#[derive(Deserialize)]
struct EcsKubernetes<'a> {
    #[serde(borrow, default)]
    audit: Option<&'a RawValue>,
}

/// Undo ECS's rewrite of dots in map keys (`authorization_k8s_io/decision`) in the domain part.
fn restore_dotted_key(key: String) -> String {
    match key.split_once('/') {
        Some((domain, rest)) if domain.contains('_') => {
            format!("{}/{rest}", domain.replace('_', "."))
        }
        _ => key,
    }
}

/// Decode an Elastic (ECS) document carrying `kubernetes.audit`.
pub(crate) fn ecs(bytes: &[u8]) -> Result<AuditEvent, RecordError> {
    let doc: EcsDocument<'_> = parse_with_path(bytes)?;
    let Some(audit) = doc.kubernetes.audit else {
        return Err(RecordError::new(
            ErrorCode::NotAnAuditEvent,
            "an Elastic document without kubernetes.audit",
        )
        .field("kubernetes.audit"));
    };
    let mut event = inner_event(audit, "kubernetes.audit")?;
    event.annotations = std::mem::take(&mut event.annotations)
        .into_iter()
        .map(|(k, v)| (restore_dotted_key(k), v))
        .collect();
    for user in std::iter::once(&mut event.user).chain(event.impersonated_user.as_mut()) {
        user.extra = std::mem::take(&mut user.extra)
            .into_iter()
            .map(|(k, v)| (restore_dotted_key(k), v))
            .collect();
    }
    if event.cluster.is_none() {
        event.cluster = doc
            .orchestrator
            .as_ref()
            .and_then(|o| o.pointer("/cluster/name"))
            .and_then(Value::as_str)
            .map(str::to_string);
    }
    Ok(event)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gke_method_names_map_to_verb_group_resource() {
        let t = gke_target(
            "io.k8s.batch.v1.cronjobs.create",
            Some("batch/v1/namespaces/default/cronjobs/backup"),
        );
        assert_eq!(t.verb, "create");
        let r = t.object_ref.expect("object ref");
        assert_eq!(r.api_group.as_deref(), Some("batch"));
        assert_eq!(r.resource, "cronjobs");
        assert_eq!(r.namespace.as_deref(), Some("default"));
        assert_eq!(r.name.as_deref(), Some("backup"));
        assert_eq!(t.request_uri, "/apis/batch/v1/namespaces/default/cronjobs");

        let t = gke_target(
            "io.k8s.core.v1.pods.exec.create",
            Some("core/v1/namespaces/ns/pods/web-0/exec"),
        );
        let r = t.object_ref.expect("object ref");
        assert_eq!(
            (r.resource.as_str(), r.subresource.as_deref()),
            ("pods", Some("exec"))
        );
        assert_eq!(r.api_group.as_deref(), Some(""));
        assert_eq!(t.request_uri, "/api/v1/namespaces/ns/pods/web-0/exec");

        // A namespace is cluster-scoped even though its path starts with `namespaces`.
        let t = gke_target(
            "io.k8s.core.v1.namespaces.status.update",
            Some("core/v1/namespaces/team/status"),
        );
        let r = t.object_ref.expect("object ref");
        assert_eq!(
            (r.resource.as_str(), r.name.as_deref()),
            ("namespaces", Some("team"))
        );
        assert_eq!(r.namespace, None);

        // No resource name: everything from the method.
        let t = gke_target("io.k8s.authorization.rbac.v1.clusterroles.list", None);
        let r = t.object_ref.expect("object ref");
        assert_eq!(r.api_group.as_deref(), Some("rbac.authorization.k8s.io"));
        assert_eq!(r.resource, "clusterroles");
        assert_eq!(t.verb, "list");

        let t = gke_target("io.k8s.get", Some("readyz"));
        assert_eq!(
            (t.verb.as_str(), t.object_ref, t.request_uri.as_str()),
            ("get", None, "/readyz")
        );
    }

    #[test]
    fn versions_are_recognised() {
        for good in ["v1", "v2", "v1beta1", "v2alpha3"] {
            assert!(is_version(good), "{good}");
        }
        for bad in ["v", "vx", "v1beta", "batch", "v1gamma1"] {
            assert!(!is_version(bad), "{bad}");
        }
    }

    #[test]
    fn grpc_codes_map_to_http() {
        assert_eq!(grpc_to_http(0).0, 200);
        assert_eq!(grpc_to_http(7), (403, Some("Forbidden")));
        assert_eq!(grpc_to_http(5).0, 404);
        assert_eq!(grpc_to_http(16).0, 401);
        assert_eq!(grpc_to_http(99).0, 500);
    }

    #[test]
    fn cluster_names_from_wrapper_ids() {
        assert_eq!(
            aks_cluster(
                "/SUBSCRIPTIONS/1/RESOURCEGROUPS/RG/PROVIDERS/MICROSOFT.CONTAINERSERVICE/MANAGEDCLUSTERS/PROD-AKS"
            ),
            Some("PROD-AKS".to_string())
        );
        assert_eq!(aks_cluster("/subscriptions/1"), None);
        assert_eq!(
            eks_cluster_from_log_group("/aws/eks/prod/cluster"),
            Some("prod".to_string())
        );
        assert_eq!(
            eks_cluster_from_log_group("123456789012:/aws/eks/dev-1/cluster"),
            Some("dev-1".to_string())
        );
        assert_eq!(eks_cluster_from_log_group("/aws/lambda/x"), None);
    }

    #[test]
    fn ecs_keys_get_their_dots_back() {
        assert_eq!(
            restore_dotted_key("authorization_k8s_io/decision".into()),
            "authorization.k8s.io/decision"
        );
        assert_eq!(restore_dotted_key("plain_key".into()), "plain_key");
    }
}
