//! A Kubernetes audit event (`audit.k8s.io/v1` and `v1beta1` `Event`), normalised.
//!
//! The field names follow the upstream wire format, so raw audit JSON deserialises straight
//! into [`AuditEvent`]. Decoders for managed-cloud wrappers (GKE, AKS, EKS) build the same
//! struct, so rules never see where an event came from.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeMap;

/// The audit stage an event record was written at.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum Stage {
    /// The apiserver received the request; no outcome yet.
    RequestReceived,
    /// Headers sent, body not yet (long-running requests such as watch and exec).
    ResponseStarted,
    /// The response is complete: the outcome is known.
    #[default]
    ResponseComplete,
    /// The apiserver panicked while serving the request.
    Panic,
    /// A stage this version does not know.
    #[serde(other)]
    Unknown,
}

/// The user (or impersonated user) of a request.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserInfo {
    /// `user.username`.
    #[serde(default)]
    pub username: String,
    /// `user.uid`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// `user.groups`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// `user.extra`, e.g. `authentication.kubernetes.io/pod-name` for bound service-account tokens.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub extra: BTreeMap<String, Vec<String>>,
}

/// `objectRef`: what the request acted on.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ObjectRef {
    /// Plural resource, e.g. `cronjobs`.
    #[serde(default)]
    pub resource: String,
    /// Subresource, e.g. `status`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subresource: Option<String>,
    /// Namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Name; absent on create with `generateName`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Object UID.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    /// API group (`batch`; empty for core).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_group: Option<String>,
    /// API version (`v1`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub api_version: Option<String>,
    /// Resource version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resource_version: Option<String>,
}

/// `responseStatus`: the outcome.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResponseStatus {
    /// HTTP status code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<i64>,
    /// `Success` or `Failure`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// Machine reason, e.g. `Forbidden`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Human message.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
}

/// How a request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// 2xx (or 1xx for upgrades): the request took effect (unless it was a dry run).
    Allowed,
    /// Refused by authorization: 403 with `authorization.k8s.io/decision: forbid`, or a 403
    /// whose reason is `Forbidden` when the decision annotation is missing.
    Denied,
    /// Any other failure (admission denial, conflict, not found, server error).
    Failed,
    /// No outcome recorded (only the RequestReceived stage was seen).
    Unknown,
}

/// One logical audit event.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditEvent {
    /// `auditID`: unique per request; every stage of one request shares it.
    #[serde(rename = "auditID", default)]
    pub audit_id: String,
    /// `stage`.
    #[serde(default)]
    pub stage: Stage,
    /// `level`: `None`, `Metadata`, `Request` or `RequestResponse`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub level: Option<String>,
    /// `verb`: get, list, watch, create, update, patch, delete, deletecollection.
    #[serde(default)]
    pub verb: String,
    /// `requestURI`, with its query (`dryRun=All`, `fieldManager=...`).
    #[serde(rename = "requestURI", default)]
    pub request_uri: String,
    /// `user`.
    #[serde(default)]
    pub user: UserInfo,
    /// `impersonatedUser`, when the request impersonated someone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub impersonated_user: Option<UserInfo>,
    /// `sourceIPs`.
    #[serde(rename = "sourceIPs", default, skip_serializing_if = "Vec::is_empty")]
    pub source_ips: Vec<String>,
    /// `userAgent`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// `objectRef`; absent for non-resource URLs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub object_ref: Option<ObjectRef>,
    /// `responseStatus`; absent at RequestReceived.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_status: Option<ResponseStatus>,
    /// `requestObject`: the body sent (a patch body for `patch`), at Request level and above.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_object: Option<Value>,
    /// `responseObject`: the object as stored, at RequestResponse level.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response_object: Option<Value>,
    /// `requestReceivedTimestamp` (RFC 3339 with microseconds).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_received_timestamp: Option<String>,
    /// `stageTimestamp`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stage_timestamp: Option<String>,
    /// `annotations`: authorization decision and reason, pod-security results, ...
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub annotations: BTreeMap<String, String>,
    /// The cluster, when a wrapper names it (GKE `resource.labels.cluster_name`, AKS resource id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
}

/// The annotation the RBAC authorizer writes with its decision.
pub const DECISION_ANNOTATION: &str = "authorization.k8s.io/decision";

impl AuditEvent {
    /// The user whose permissions applied: the impersonated user when there is one.
    pub fn effective_user(&self) -> &UserInfo {
        self.impersonated_user.as_ref().unwrap_or(&self.user)
    }

    /// The HTTP status code, when known.
    pub fn status_code(&self) -> Option<i64> {
        self.response_status.as_ref().and_then(|s| s.code)
    }

    /// How the request ended.
    pub fn outcome(&self) -> Outcome {
        let decision = self
            .annotations
            .get(DECISION_ANNOTATION)
            .map(String::as_str);
        match self.status_code() {
            None if decision == Some("forbid") => Outcome::Denied,
            None => Outcome::Unknown,
            Some(403) if decision != Some("allow") => Outcome::Denied,
            Some(code) if (100..400).contains(&code) => Outcome::Allowed,
            Some(_) => Outcome::Failed,
        }
    }

    /// True when the request was a server-side dry run (`dryRun=All` in the query): nothing was
    /// persisted.
    pub fn is_dry_run(&self) -> bool {
        let Some((_, query)) = self.request_uri.split_once('?') else {
            return false;
        };
        query.split('&').any(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            key == "dryRun" && !value.is_empty()
        })
    }

    /// A query parameter of `requestURI`, undecoded (e.g. `fieldManager`).
    pub fn query_param(&self, name: &str) -> Option<&str> {
        let (_, query) = self.request_uri.split_once('?')?;
        query.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            (key == name).then_some(value)
        })
    }

    /// The time of the event: when the request was received, else the stage time.
    pub fn time_text(&self) -> Option<&str> {
        self.request_received_timestamp
            .as_deref()
            .or(self.stage_timestamp.as_deref())
    }

    /// The parsed time of the event (see [`AuditEvent::time_text`]).
    pub fn timestamp(&self) -> Option<jiff::Timestamp> {
        self.time_text().and_then(|t| t.parse().ok())
    }

    /// `objectRef.resource`, or "" when there is no objectRef.
    pub fn resource(&self) -> &str {
        self.object_ref.as_ref().map_or("", |o| o.resource.as_str())
    }

    /// `objectRef.subresource`, when set.
    pub fn subresource(&self) -> Option<&str> {
        self.object_ref
            .as_ref()
            .and_then(|o| o.subresource.as_deref())
    }

    /// `objectRef.namespace`, when set.
    pub fn namespace(&self) -> Option<&str> {
        self.object_ref
            .as_ref()
            .and_then(|o| o.namespace.as_deref())
    }

    /// The object's name: `objectRef.name`, else `responseObject.metadata.name` (objects created
    /// with `generateName`), else `requestObject.metadata.name`.
    pub fn object_name(&self) -> Option<&str> {
        if let Some(name) = self.object_ref.as_ref().and_then(|o| o.name.as_deref()) {
            return Some(name);
        }
        [&self.response_object, &self.request_object]
            .into_iter()
            .flatten()
            .find_map(|obj| obj.pointer("/metadata/name").and_then(Value::as_str))
    }

    /// Merge another stage record of the same request into this one: request details from the
    /// earliest stage, outcome and response from the latest. Fields missing on one side are taken
    /// from the other.
    pub fn merge_stage(&mut self, later: AuditEvent) {
        let AuditEvent {
            audit_id: _,
            stage,
            level,
            verb,
            request_uri,
            user,
            impersonated_user,
            source_ips,
            user_agent,
            object_ref,
            response_status,
            request_object,
            response_object,
            request_received_timestamp,
            stage_timestamp,
            annotations,
            cluster,
        } = later;
        self.stage = stage;
        if level.is_some() {
            self.level = level;
        }
        if self.verb.is_empty() {
            self.verb = verb;
        }
        if self.request_uri.is_empty() {
            self.request_uri = request_uri;
        }
        if self.user.username.is_empty() {
            self.user = user;
        }
        if self.impersonated_user.is_none() {
            self.impersonated_user = impersonated_user;
        }
        if self.source_ips.is_empty() {
            self.source_ips = source_ips;
        }
        if self.user_agent.is_none() {
            self.user_agent = user_agent;
        }
        match (&mut self.object_ref, object_ref) {
            (Some(mine), Some(theirs)) => {
                // The response stage may know the UID and name the request stage did not.
                if mine.name.is_none() {
                    mine.name = theirs.name;
                }
                if mine.uid.is_none() {
                    mine.uid = theirs.uid;
                }
            }
            (mine @ None, theirs) => *mine = theirs,
            _ => {}
        }
        if response_status.is_some() {
            self.response_status = response_status;
        }
        if self.request_object.is_none() {
            self.request_object = request_object;
        }
        if response_object.is_some() {
            self.response_object = response_object;
        }
        if self.request_received_timestamp.is_none() {
            self.request_received_timestamp = request_received_timestamp;
        }
        if stage_timestamp.is_some() {
            self.stage_timestamp = stage_timestamp;
        }
        for (k, v) in annotations {
            self.annotations.insert(k, v);
        }
        if self.cluster.is_none() {
            self.cluster = cluster;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(json: &str) -> AuditEvent {
        serde_json::from_str(json).expect("test event parses")
    }

    #[test]
    fn outcome_is_classified() {
        let denied = event(
            r#"{"auditID":"a","responseStatus":{"code":403},"annotations":{"authorization.k8s.io/decision":"forbid"}}"#,
        );
        assert_eq!(denied.outcome(), Outcome::Denied);
        // 403 from an admission webhook: authorization allowed it.
        let webhook = event(
            r#"{"auditID":"a","responseStatus":{"code":403},"annotations":{"authorization.k8s.io/decision":"allow"}}"#,
        );
        assert_eq!(webhook.outcome(), Outcome::Failed);
        assert_eq!(
            event(r#"{"responseStatus":{"code":201}}"#).outcome(),
            Outcome::Allowed
        );
        assert_eq!(event(r#"{"auditID":"x"}"#).outcome(), Outcome::Unknown);
    }

    #[test]
    fn dry_run_and_query() {
        let ev = event(
            r#"{"requestURI":"/apis/batch/v1/namespaces/d/cronjobs?dryRun=All&fieldManager=kubectl-create"}"#,
        );
        assert!(ev.is_dry_run());
        assert_eq!(ev.query_param("fieldManager"), Some("kubectl-create"));
        let ev = event(r#"{"requestURI":"/apis/batch/v1/namespaces/d/cronjobs?dryRunx=All"}"#);
        assert!(!ev.is_dry_run());
    }

    #[test]
    fn name_from_response_object_when_generate_name() {
        let ev = event(
            r#"{"objectRef":{"resource":"jobs","namespace":"d"},"responseObject":{"metadata":{"name":"job-x7k2"}}}"#,
        );
        assert_eq!(ev.object_name(), Some("job-x7k2"));
    }

    #[test]
    fn stages_merge() {
        let mut first = event(
            r#"{"auditID":"a","stage":"RequestReceived","verb":"create","user":{"username":"bob"},"requestObject":{"kind":"Job"},"requestReceivedTimestamp":"2024-01-01T00:00:00.000000Z"}"#,
        );
        let second = event(
            r#"{"auditID":"a","stage":"ResponseComplete","verb":"create","user":{"username":"bob"},"responseStatus":{"code":201},"responseObject":{"kind":"Job","metadata":{"uid":"u"}}}"#,
        );
        first.merge_stage(second);
        assert_eq!(first.stage, Stage::ResponseComplete);
        assert_eq!(first.outcome(), Outcome::Allowed);
        assert!(first.request_object.is_some() && first.response_object.is_some());
        assert_eq!(
            first.request_received_timestamp.as_deref(),
            Some("2024-01-01T00:00:00.000000Z")
        );
    }
}
