//! Finding the pod template inside any workload object.
//!
//! Every workload kind keeps its pod spec at a different depth (a CronJob three levels down, a Pod
//! at the top). Checks must report the JSON path of the field they judged *in the object as
//! written*, so extraction returns the spec together with its path prefix.

use serde_json::Value;

/// Where a pod spec lives in an object, and what the object is.
#[derive(Debug, Clone, Copy)]
pub struct PodTemplate<'a> {
    /// `kind` as written (or as guessed from the shape when `kind` is absent).
    pub kind: &'a str,
    /// `apiVersion` as written, empty when absent.
    pub api_version: &'a str,
    /// `metadata.name`, when set.
    pub name: Option<&'a str>,
    /// `metadata.generateName`, when set.
    pub generate_name: Option<&'a str>,
    /// `metadata.namespace`, when set.
    pub namespace: Option<&'a str>,
    /// The pod spec (`PodSpec`).
    pub spec: &'a Value,
    /// JSON path of the pod spec, e.g. `spec.jobTemplate.spec.template.spec`.
    pub spec_path: &'static str,
    /// The pod template's own metadata (labels, annotations), when present.
    pub template_metadata: Option<&'a Value>,
    /// JSON path of that metadata (e.g. `spec.template.metadata`), empty for a Pod.
    pub template_metadata_path: &'static str,
}

impl PodTemplate<'_> {
    /// The name, or the `generateName` prefix when the name is not known yet.
    pub fn display_name(&self) -> Option<&str> {
        self.name.or(self.generate_name)
    }
}

/// Which list a container came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ContainerKind {
    /// `containers`
    Regular,
    /// `initContainers`
    Init,
    /// `ephemeralContainers`
    Ephemeral,
}

impl ContainerKind {
    /// The field name of the list in a pod spec.
    pub fn field(self) -> &'static str {
        match self {
            ContainerKind::Regular => "containers",
            ContainerKind::Init => "initContainers",
            ContainerKind::Ephemeral => "ephemeralContainers",
        }
    }
}

/// One container of a pod spec with its JSON path.
#[derive(Debug, Clone)]
pub struct ContainerRef<'a> {
    /// Which list it came from.
    pub kind: ContainerKind,
    /// Index in that list.
    pub index: usize,
    /// `name`, when set.
    pub name: Option<&'a str>,
    /// The container object.
    pub container: &'a Value,
    /// JSON path, e.g. `spec.template.spec.initContainers[1]`.
    pub path: String,
}

/// Where each workload kind keeps its pod template: (spec path, template metadata path).
fn template_paths(kind: &str) -> Option<(&'static str, &'static str)> {
    Some(match kind {
        "Pod" => ("spec", ""),
        "CronJob" => (
            "spec.jobTemplate.spec.template.spec",
            "spec.jobTemplate.spec.template.metadata",
        ),
        "Job"
        | "Deployment"
        | "DaemonSet"
        | "StatefulSet"
        | "ReplicaSet"
        | "ReplicationController" => ("spec.template.spec", "spec.template.metadata"),
        "PodTemplate" => ("template.spec", "template.metadata"),
        _ => return None,
    })
}

/// Guess the kind from the shape, for objects whose `kind` is missing (patched bodies, partial
/// audit objects).
fn guess_kind(obj: &Value) -> Option<&'static str> {
    if lookup(obj, "spec.jobTemplate.spec.template.spec").is_some_and(Value::is_object) {
        Some("CronJob")
    } else if lookup(obj, "spec.template.spec").is_some_and(Value::is_object) {
        Some("Job")
    } else if lookup(obj, "template.spec").is_some_and(Value::is_object) {
        Some("PodTemplate")
    } else if lookup(obj, "spec.containers").is_some_and(Value::is_array) {
        Some("Pod")
    } else {
        None
    }
}

/// Follow a dotted path of object keys (no array indices).
pub fn lookup<'a>(value: &'a Value, dotted: &str) -> Option<&'a Value> {
    if dotted.is_empty() {
        return Some(value);
    }
    dotted.split('.').try_fold(value, |v, key| v.get(key))
}

/// Why no pod template could be found.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkloadError {
    /// The value is not a JSON object.
    #[error("not a JSON object")]
    NotAnObject,
    /// The kind carries no pod template (e.g. a ConfigMap).
    #[error("kind {0:?} has no pod template")]
    NoTemplateKind(String),
    /// The kind has a template but the object does not contain it.
    #[error("{kind} has no pod spec at {path}")]
    MissingSpec {
        /// The object's kind.
        kind: String,
        /// Where the spec was expected.
        path: &'static str,
    },
}

/// Find the pod spec of a Pod, Job, CronJob (batch/v1 and v1beta1), Deployment, DaemonSet,
/// StatefulSet, ReplicaSet, ReplicationController or PodTemplate. A missing `kind` is guessed from
/// the shape.
pub fn pod_template(obj: &Value) -> Result<PodTemplate<'_>, WorkloadError> {
    let map = obj.as_object().ok_or(WorkloadError::NotAnObject)?;
    let written_kind = map.get("kind").and_then(Value::as_str);
    let kind = match written_kind {
        Some(k) if !k.is_empty() => k,
        _ => guess_kind(obj).ok_or_else(|| WorkloadError::NoTemplateKind(String::new()))?,
    };
    let (spec_path, meta_path) =
        template_paths(kind).ok_or_else(|| WorkloadError::NoTemplateKind(kind.to_string()))?;
    let spec = lookup(obj, spec_path)
        .filter(|v| v.is_object())
        .ok_or_else(|| WorkloadError::MissingSpec {
            kind: kind.to_string(),
            path: spec_path,
        })?;
    let metadata = map.get("metadata");
    let meta_str = |key: &str| metadata.and_then(|m| m.get(key)).and_then(Value::as_str);
    Ok(PodTemplate {
        kind,
        api_version: map.get("apiVersion").and_then(Value::as_str).unwrap_or(""),
        name: meta_str("name"),
        generate_name: meta_str("generateName"),
        namespace: meta_str("namespace"),
        spec,
        spec_path,
        template_metadata: if meta_path.is_empty() {
            metadata
        } else {
            lookup(obj, meta_path)
        },
        template_metadata_path: if meta_path.is_empty() {
            "metadata"
        } else {
            meta_path
        },
    })
}

/// Every container of a pod spec (`containers`, then `initContainers`, then
/// `ephemeralContainers`) with its JSON path under `spec_path`. Entries that are not objects are
/// skipped: there is nothing to judge in them.
pub fn containers<'a>(spec: &'a Value, spec_path: &str) -> Vec<ContainerRef<'a>> {
    let mut out = Vec::new();
    for kind in [
        ContainerKind::Regular,
        ContainerKind::Init,
        ContainerKind::Ephemeral,
    ] {
        let Some(list) = spec.get(kind.field()).and_then(Value::as_array) else {
            continue;
        };
        for (index, container) in list.iter().enumerate() {
            if !container.is_object() {
                continue;
            }
            out.push(ContainerRef {
                kind,
                index,
                name: container.get("name").and_then(Value::as_str),
                container,
                path: join_path(spec_path, &format!("{}[{index}]", kind.field())),
            });
        }
    }
    out
}

/// Join two JSON path pieces with a dot, tolerating an empty prefix.
pub fn join_path(prefix: &str, rest: &str) -> String {
    if prefix.is_empty() {
        rest.to_string()
    } else if rest.is_empty() {
        prefix.to_string()
    } else {
        format!("{prefix}.{rest}")
    }
}

/// A path segment for a map key: plain when it is an identifier, `["key"]` otherwise
/// (label keys such as `node-role.kubernetes.io/control-plane` contain dots).
pub fn key_segment(prefix: &str, key: &str) -> String {
    let plain = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$');
    if plain {
        join_path(prefix, key)
    } else {
        let quoted = serde_json::to_string(key).unwrap_or_else(|_| format!("\"{key}\""));
        format!("{prefix}[{quoted}]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn pod_spec() -> Value {
        json!({"containers": [{"name": "a", "image": "x"}], "initContainers": [{"name": "i"}],
               "ephemeralContainers": [{"name": "e"}]})
    }

    #[test]
    fn every_kind_finds_its_spec_and_path() {
        let spec = pod_spec();
        let cases = [
            (
                json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c", "namespace": "n"},
                       "spec": {"jobTemplate": {"spec": {"template": {"metadata": {"labels": {"a": "b"}}, "spec": spec.clone()}}}}}),
                "spec.jobTemplate.spec.template.spec",
            ),
            (
                json!({"apiVersion": "batch/v1beta1", "kind": "CronJob",
                       "spec": {"jobTemplate": {"spec": {"template": {"spec": spec.clone()}}}}}),
                "spec.jobTemplate.spec.template.spec",
            ),
            (
                json!({"kind": "Job", "spec": {"template": {"spec": spec.clone()}}}),
                "spec.template.spec",
            ),
            (
                json!({"kind": "Deployment", "spec": {"template": {"spec": spec.clone()}}}),
                "spec.template.spec",
            ),
            (
                json!({"kind": "DaemonSet", "spec": {"template": {"spec": spec.clone()}}}),
                "spec.template.spec",
            ),
            (
                json!({"kind": "StatefulSet", "spec": {"template": {"spec": spec.clone()}}}),
                "spec.template.spec",
            ),
            (
                json!({"kind": "ReplicaSet", "spec": {"template": {"spec": spec.clone()}}}),
                "spec.template.spec",
            ),
            (
                json!({"kind": "ReplicationController", "spec": {"template": {"spec": spec.clone()}}}),
                "spec.template.spec",
            ),
            (
                json!({"kind": "PodTemplate", "template": {"spec": spec.clone()}}),
                "template.spec",
            ),
            (
                json!({"kind": "Pod", "metadata": {"generateName": "p-"}, "spec": spec.clone()}),
                "spec",
            ),
            // kind missing: guessed from the shape
            (
                json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": spec.clone()}}}}}),
                "spec.jobTemplate.spec.template.spec",
            ),
            (
                json!({"spec": {"template": {"spec": spec.clone()}}}),
                "spec.template.spec",
            ),
            (json!({"spec": spec.clone()}), "spec"),
        ];
        for (obj, path) in cases {
            let t = pod_template(&obj).expect("template");
            assert_eq!(t.spec_path, path, "{obj}");
            assert_eq!(t.spec, &spec);
            let cs = containers(t.spec, t.spec_path);
            assert_eq!(cs.len(), 3);
            assert_eq!(cs[1].path, format!("{path}.initContainers[0]"));
            assert_eq!(cs[2].kind, ContainerKind::Ephemeral);
        }
    }

    #[test]
    fn metadata_and_names() {
        let obj = json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c", "namespace": "n"},
               "spec": {"jobTemplate": {"spec": {"template": {"metadata": {"labels": {"a": "b"}}, "spec": {"containers": []}}}}}});
        let t = pod_template(&obj).expect("template");
        assert_eq!(t.name, Some("c"));
        assert_eq!(t.namespace, Some("n"));
        assert_eq!(t.api_version, "batch/v1");
        assert_eq!(t.template_metadata, Some(&json!({"labels": {"a": "b"}})));
        let pod =
            json!({"kind": "Pod", "metadata": {"generateName": "p-"}, "spec": {"containers": []}});
        let t = pod_template(&pod).expect("pod");
        assert_eq!(t.display_name(), Some("p-"));
        assert_eq!(t.template_metadata_path, "metadata");
    }

    #[test]
    fn errors_say_why() {
        assert_eq!(
            pod_template(&json!([1])).err(),
            Some(WorkloadError::NotAnObject)
        );
        assert!(matches!(
            pod_template(&json!({"kind": "ConfigMap"})),
            Err(WorkloadError::NoTemplateKind(k)) if k == "ConfigMap"
        ));
        assert!(matches!(
            pod_template(&json!({"kind": "Job", "spec": {}})),
            Err(WorkloadError::MissingSpec { .. })
        ));
        assert!(
            pod_template(&json!({"kind": "Job", "spec": {"template": {"spec": "x"}}})).is_err()
        );
    }

    #[test]
    fn key_segments_quote_dotted_keys() {
        assert_eq!(
            key_segment("spec.nodeSelector", "disk"),
            "spec.nodeSelector.disk"
        );
        assert_eq!(
            key_segment("spec.nodeSelector", "node-role.kubernetes.io/master"),
            "spec.nodeSelector[\"node-role.kubernetes.io/master\"]"
        );
    }
}
