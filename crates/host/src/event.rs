//! The host-side event model: process starts, file creations, container starts and proxy
//! access-log lines, normalised from every supported format so rules never see where an event
//! came from.

use jiff::Timestamp;
use serde::Serialize;
use std::collections::BTreeMap;

/// Container and pod identity, when the producer knows it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ContainerContext {
    /// Container id (runtime prefix such as `containerd://` removed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// Container name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Image reference.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// Pod name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod: Option<String>,
    /// Pod namespace.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Pod uid (`metadata.uid`), when the producer or the log path shows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_uid: Option<String>,
    /// Pod IP, when the producer shows it (lets proxy lines that only name an address join
    /// their pod).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod_ip: Option<String>,
    /// Whether the container runs privileged.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub privileged: Option<bool>,
    /// Owning workload (`Job`, `CronJob`, `DaemonSet`, ...) and its name, when the producer
    /// resolved it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload_kind: Option<String>,
    /// Owning workload name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub workload: Option<String>,
    /// Pod labels (e.g. `job-name`, `batch.kubernetes.io/job-name`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// The producer marked this process as a probably exec liveness/readiness probe.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub exec_probe: bool,
}

impl ContainerContext {
    /// True when any container or pod identity is present.
    pub fn is_known(&self) -> bool {
        self.id
            .as_deref()
            .is_some_and(|s| !s.is_empty() && s != "host")
            || self.pod.as_deref().is_some_and(|s| !s.is_empty())
    }
}

/// A process start.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProcessEvent {
    /// When the process started (or the event was recorded).
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "ser_time")]
    pub time: Option<Timestamp>,
    /// Host or node name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Process id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<u64>,
    /// Parent process id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ppid: Option<u64>,
    /// Numeric user id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<u64>,
    /// User name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Executable path.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exe: Option<String>,
    /// Argument vector, `argv[0]` first.
    pub argv: Vec<String>,
    /// The command line as the producer wrote it (or `argv` joined).
    pub command_line: String,
    /// Working directory.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cwd: Option<String>,
    /// Parent executable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_exe: Option<String>,
    /// Parent command line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_command_line: Option<String>,
    /// Executables of further ancestors, nearest first (Tetragon `ancestors`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ancestors: Vec<String>,
    /// Container and pod identity.
    #[serde(skip_serializing_if = "is_default_container")]
    pub container: ContainerContext,
}

fn ser_time<S: serde::Serializer>(t: &Option<Timestamp>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => s.serialize_str(&t.to_string()),
        None => s.serialize_none(),
    }
}

fn is_default_container(c: &ContainerContext) -> bool {
    *c == ContainerContext::default()
}

/// A file created or written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FileEvent {
    /// When.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "ser_time")]
    pub time: Option<Timestamp>,
    /// Host or node name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The file's path.
    pub path: String,
    /// What the producer called the operation (`create`, `openat`, `fd_install`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub operation: Option<String>,
    /// The writing process's executable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exe: Option<String>,
    /// The writing process's command line.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command_line: Option<String>,
    /// The writing process's id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<u64>,
    /// User name or id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Container and pod identity.
    #[serde(skip_serializing_if = "is_default_container")]
    pub container: ContainerContext,
}

/// A container start.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ContainerEvent {
    /// When.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "ser_time")]
    pub time: Option<Timestamp>,
    /// Node name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The container (id, image, privileged, pod, namespace).
    pub container: ContainerContext,
    /// The container's first process, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command_line: Option<String>,
}

/// One sidecar or edge proxy access-log line (Envoy, Istio).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProxyEvent {
    /// Request start time.
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "ser_time")]
    pub time: Option<Timestamp>,
    /// HTTP method (`CONNECT` and `-` for TCP included).
    pub method: String,
    /// Path with query (`X-Envoy-Original-Path` when present).
    pub path: String,
    /// `:authority` / Host header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authority: Option<String>,
    /// Response code (0 when none was sent).
    pub status: u16,
    /// User agent.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// Upstream host (`ip:port`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream: Option<String>,
    /// Upstream cluster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream_cluster: Option<String>,
    /// The proxy's own address towards the upstream (Istio `%UPSTREAM_LOCAL_ADDRESS%`: the
    /// pod's IP for a sidecar's outbound traffic).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream_local: Option<String>,
    /// Downstream (client) address.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub downstream: Option<String>,
    /// `X-Forwarded-For`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub forwarded_for: Option<String>,
    /// Bytes received from the client.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes_received: Option<u64>,
    /// Bytes sent to the client.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bytes_sent: Option<u64>,
    /// `X-Request-Id`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// The pod whose proxy wrote the line, from the log shipper's enrichment
    /// (`kubernetes.pod_name`, ...) or the kubelet log path.
    #[serde(skip_serializing_if = "is_default_container")]
    pub pod: ContainerContext,
    /// The node, from the shipper's enrichment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The log file the shipper read the line from (`/var/log/pods/<ns>_<pod>_<uid>/...`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub log_path: Option<String>,
}

/// One decoded host record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum HostRecord {
    /// A process start.
    Process(ProcessEvent),
    /// A file creation or write.
    File(FileEvent),
    /// A container start.
    Container(ContainerEvent),
    /// A proxy access-log line.
    Proxy(ProxyEvent),
}

impl HostRecord {
    /// The record's time, when known.
    pub fn time(&self) -> Option<Timestamp> {
        match self {
            HostRecord::Process(p) => p.time,
            HostRecord::File(f) => f.time,
            HostRecord::Container(c) => c.time,
            HostRecord::Proxy(p) => p.time,
        }
    }

    /// The host or node, when known.
    pub fn host(&self) -> Option<&str> {
        match self {
            HostRecord::Process(p) => p.host.as_deref(),
            HostRecord::File(f) => f.host.as_deref(),
            HostRecord::Container(c) => c.host.as_deref(),
            HostRecord::Proxy(p) => p.host.as_deref(),
        }
    }
}

/// A pod named by a kubelet log path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodLogPath {
    /// Namespace.
    pub namespace: String,
    /// Pod name.
    pub pod: String,
    /// Pod uid (only `/var/log/pods/` paths carry it).
    pub uid: Option<String>,
    /// Container name.
    pub container: Option<String>,
}

/// The pod behind a kubelet log path: `/var/log/pods/<ns>_<pod>_<uid>/<container>/<n>.log` or
/// `/var/log/containers/<pod>_<ns>_<container>-<id>.log` (neither namespaces nor pod names
/// may contain `_`, so the split is exact). A bare pod directory counts too.
pub fn pod_of_log_path(path: &str) -> Option<PodLogPath> {
    if let Some(rest) = path.split_once("/var/log/pods/").map(|(_, r)| r) {
        let mut parts = rest.split('/');
        let dir = parts.next()?;
        let container = parts.next().filter(|c| !c.is_empty()).map(str::to_string);
        let mut fields = dir.split('_');
        let (namespace, pod, uid) = (fields.next()?, fields.next()?, fields.next()?);
        if fields.next().is_some() || namespace.is_empty() || pod.is_empty() || uid.is_empty() {
            return None;
        }
        return Some(PodLogPath {
            namespace: namespace.to_string(),
            pod: pod.to_string(),
            uid: Some(uid.to_string()),
            container,
        });
    }
    let file = path.split_once("/var/log/containers/")?.1;
    let stem = file.strip_suffix(".log")?;
    let mut fields = stem.split('_');
    let (pod, namespace, rest) = (fields.next()?, fields.next()?, fields.next()?);
    if fields.next().is_some() || pod.is_empty() || namespace.is_empty() {
        return None;
    }
    let container = rest.rsplit_once('-').map(|(c, _)| c.to_string());
    Some(PodLogPath {
        namespace: namespace.to_string(),
        pod: pod.to_string(),
        uid: None,
        container,
    })
}

/// The last path component of an executable (`/usr/bin/kubectl` -> `kubectl`).
pub fn basename(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// Strip a runtime prefix (`containerd://`, `docker://`, `cri-o://`) from a container id.
pub fn bare_container_id(id: &str) -> String {
    match id.split_once("://") {
        Some((_, rest)) => rest.to_string(),
        None => id.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubelet_log_paths_name_their_pod() {
        let p = pod_of_log_path("/var/log/pods/prod_backup-29000000-x1y2z_7d1e-aa/backup/0.log")
            .expect("a pod log");
        assert_eq!(
            (
                p.namespace.as_str(),
                p.pod.as_str(),
                p.uid.as_deref(),
                p.container.as_deref()
            ),
            (
                "prod",
                "backup-29000000-x1y2z",
                Some("7d1e-aa"),
                Some("backup")
            )
        );
        let dir = pod_of_log_path("/var/log/pods/prod_p_u").expect("a pod directory");
        assert_eq!(dir.container, None);
        let c = pod_of_log_path(
            "/var/log/containers/backup-29000000-x1y2z_prod_istio-proxy-0123456789abcdef.log",
        )
        .expect("a container log");
        assert_eq!(
            (c.namespace.as_str(), c.pod.as_str(), c.container.as_deref()),
            ("prod", "backup-29000000-x1y2z", Some("istio-proxy"))
        );
        assert_eq!(pod_of_log_path("/var/log/pods/a_b/c"), None);
        assert_eq!(pod_of_log_path("/var/log/syslog"), None);
        assert_eq!(pod_of_log_path("/var/log/containers/x.log"), None);
    }
}
