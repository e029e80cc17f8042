//! Host paths: normalisation and classification against the sensitive list.
//!
//! Kubernetes does not clean `hostPath.path` before handing it to the runtime, so `/etc/../`,
//! `//etc` and `/etc/` all reach the node's `/etc`. Matching happens on the cleaned path, with
//! prefix semantics in both directions: mounting a child of a sensitive path is as bad as the
//! path, and mounting a parent exposes it too.

use jobwarden_model::Severity;
use serde::Deserialize;

/// A path judged sensitive, with the severity of mounting it writable. In a config file either a
/// plain path (`"/srv/secrets"`, severity high) or `{path, severity}`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "SensitiveHostPathConfig")]
pub struct SensitiveHostPath {
    /// Absolute node path.
    pub path: String,
    /// Severity of a writable mount (read-only is one step lower).
    pub severity: Severity,
}

/// The two spellings accepted in config files.
#[derive(Deserialize)]
#[serde(untagged)]
enum SensitiveHostPathConfig {
    Path(String),
    Entry(SensitiveHostPathEntry),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SensitiveHostPathEntry {
    path: String,
    #[serde(default = "default_high")]
    severity: Severity,
}

impl TryFrom<SensitiveHostPathConfig> for SensitiveHostPath {
    type Error = String;
    fn try_from(c: SensitiveHostPathConfig) -> Result<Self, Self::Error> {
        let (path, severity) = match c {
            SensitiveHostPathConfig::Path(p) => (p, default_high()),
            SensitiveHostPathConfig::Entry(e) => (e.path, e.severity),
        };
        if !path.starts_with('/') {
            return Err(format!("sensitive host path {path:?} must be absolute"));
        }
        Ok(SensitiveHostPath { path, severity })
    }
}

fn default_high() -> Severity {
    Severity::High
}

/// The default sensitive host paths.
pub fn default_sensitive_host_paths() -> Vec<SensitiveHostPath> {
    use Severity::{High, Low, Medium};
    [
        ("/", High),
        ("/etc", High),
        ("/root", High),
        ("/home", Medium),
        ("/proc", High),
        ("/sys", High),
        ("/dev", High),
        ("/boot", High),
        ("/bin", High),
        ("/sbin", High),
        ("/lib", High),
        ("/lib64", High),
        ("/usr", Medium),
        ("/usr/bin", High),
        ("/usr/sbin", High),
        ("/usr/lib", High),
        ("/usr/local/bin", Medium),
        // Read-only trust stores and clock files are routinely mounted by benign pods.
        ("/etc/ssl", Low),
        ("/etc/pki", Low),
        ("/etc/ca-certificates", Low),
        ("/usr/share/ca-certificates", Low),
        ("/usr/local/share/ca-certificates", Low),
        ("/etc/localtime", Low),
        ("/etc/timezone", Low),
        ("/usr/share/zoneinfo", Low),
        ("/etc/machine-id", Low),
        ("/var/lib/kubelet", High),
        ("/var/lib/docker", High),
        ("/var/lib/containerd", High),
        ("/var/lib/etcd", High),
        ("/var/lib/rancher", High),
        ("/var/lib/cni", Medium),
        ("/etc/kubernetes", High),
        ("/var/spool/cron", High),
        ("/var/log", Medium),
        ("/run", Medium),
        ("/run/secrets", High),
    ]
    .into_iter()
    .map(|(path, severity)| SensitiveHostPath {
        path: path.to_string(),
        severity,
    })
    .collect()
}

/// The default container runtime sockets.
pub fn default_runtime_sockets() -> Vec<String> {
    [
        "/run/docker.sock",
        "/run/containerd/containerd.sock",
        "/run/crio/crio.sock",
        "/run/cri-dockerd.sock",
        "/run/dockershim.sock",
        "/run/k3s/containerd/containerd.sock",
        "/run/podman/podman.sock",
        "/run/buildkit/buildkitd.sock",
    ]
    .into_iter()
    .map(String::from)
    .collect()
}

/// Clean a host path: collapse `//`, resolve `.` and `..` (never above `/`), drop trailing `/`,
/// and read `/var/run` as `/run` (a symlink on every modern distribution).
pub fn normalize(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    if parts.first() == Some(&"var") && parts.get(1) == Some(&"run") {
        parts.remove(0);
    }
    format!("/{}", parts.join("/"))
}

/// Is `child` equal to or below `parent` (both normalised)?
pub fn is_within(child: &str, parent: &str) -> bool {
    parent == "/"
        || child == parent
        || (child.starts_with(parent) && child.as_bytes().get(parent.len()) == Some(&b'/'))
}

/// What a hostPath mount exposes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HostPathClass {
    /// A runtime socket, or a directory containing one.
    RuntimeSocket(String),
    /// A sensitive path: the matched list entry and its severity.
    Sensitive(String, Severity),
    /// Anything else.
    Other,
}

/// Classify a normalised host path.
pub fn classify(path: &str, sensitive: &[SensitiveHostPath], sockets: &[String]) -> HostPathClass {
    if path != "/" {
        for socket in sockets {
            let socket = normalize(socket);
            if is_within(&socket, path) || (path.ends_with(".sock") && is_within(path, &socket)) {
                return HostPathClass::RuntimeSocket(socket);
            }
        }
        if path.ends_with(".sock")
            && (path.contains("docker") || path.contains("containerd") || path.contains("crio"))
        {
            return HostPathClass::RuntimeSocket(path.to_string());
        }
    }
    // The most specific list entry containing the path sets its severity ("/etc/ssl" is low even
    // though "/etc" is high); entries below the path raise it (mounting "/var" exposes
    // "/var/lib/kubelet"). "/" in the list means the root itself, not everything below it.
    let mut containing: Option<(&SensitiveHostPath, usize)> = None;
    let mut below: Option<&SensitiveHostPath> = None;
    for entry in sensitive {
        let entry_path = normalize(&entry.path);
        let contains = if entry_path == "/" {
            path == "/"
        } else {
            is_within(path, &entry_path)
        };
        if contains {
            if containing.is_none_or(|(_, len)| entry_path.len() > len) {
                containing = Some((entry, entry_path.len()));
            }
        } else if entry_path != "/"
            && is_within(&entry_path, path)
            && below.is_none_or(|b| entry.severity > b.severity)
        {
            below = Some(entry);
        }
    }
    let best = match (containing.map(|(e, _)| e), below) {
        (Some(c), Some(b)) if b.severity > c.severity => Some(b),
        (Some(c), _) => Some(c),
        (None, b) => b,
    };
    match best {
        Some(e) if e.severity >= Severity::Medium => {
            HostPathClass::Sensitive(e.path.clone(), e.severity)
        }
        _ => HostPathClass::Other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalisation() {
        assert_eq!(normalize("/etc/"), "/etc");
        assert_eq!(normalize("//etc//kubernetes/"), "/etc/kubernetes");
        assert_eq!(normalize("/tmp/../etc"), "/etc");
        assert_eq!(normalize("/../../"), "/");
        assert_eq!(normalize("/./var/./run/docker.sock"), "/run/docker.sock");
        assert_eq!(normalize("etc"), "/etc");
        assert_eq!(normalize(""), "/");
    }

    #[test]
    fn classification() {
        let s = default_sensitive_host_paths();
        let k = default_runtime_sockets();
        let c = |p: &str| classify(&normalize(p), &s, &k);
        assert!(matches!(
            c("/var/run/docker.sock"),
            HostPathClass::RuntimeSocket(_)
        ));
        assert!(matches!(
            c("/run/containerd/containerd.sock"),
            HostPathClass::RuntimeSocket(_)
        ));
        assert!(matches!(
            c("/var/run/crio/crio.sock"),
            HostPathClass::RuntimeSocket(_)
        ));
        assert!(
            matches!(c("/var/run"), HostPathClass::RuntimeSocket(_)),
            "a parent of the socket"
        );
        assert_eq!(c("/"), HostPathClass::Sensitive("/".into(), Severity::High));
        assert_eq!(
            c("/tmp/../etc/"),
            HostPathClass::Sensitive("/etc".into(), Severity::High)
        );
        assert_eq!(
            c("/var/log/pods"),
            HostPathClass::Sensitive("/var/log".into(), Severity::Medium)
        );
        // `/var/run` is a symlink to `/run`, so mounting `/var` exposes no socket, but it does
        // contain /var/lib/kubelet.
        assert_eq!(
            c("/var"),
            HostPathClass::Sensitive("/var/lib/kubelet".into(), Severity::High)
        );
        assert_eq!(
            c("/var/lib"),
            HostPathClass::Sensitive("/var/lib/kubelet".into(), Severity::High)
        );
        assert_eq!(c("/data/app"), HostPathClass::Other);
        assert_eq!(c("/etcetera"), HostPathClass::Other);
        assert_eq!(c("/mnt/disks/ssd0"), HostPathClass::Other);
        // most specific entry wins for paths below it; entries below a path raise it
        assert_eq!(c("/etc/ssl/certs"), HostPathClass::Other);
        assert_eq!(c("/etc/localtime"), HostPathClass::Other);
        assert_eq!(c("/usr/share/ca-certificates"), HostPathClass::Other);
        assert_eq!(
            c("/usr/local"),
            HostPathClass::Sensitive("/usr".into(), Severity::Medium)
        );
        assert_eq!(
            c("/usr/share/doc"),
            HostPathClass::Sensitive("/usr".into(), Severity::Medium)
        );
        assert_eq!(
            c("/etc/kubernetes/pki"),
            HostPathClass::Sensitive("/etc/kubernetes".into(), Severity::High)
        );
    }
}
