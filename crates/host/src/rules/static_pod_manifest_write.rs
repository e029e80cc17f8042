//! JW-HOST-0006: a static pod manifest written on a node.

use super::node_cron_write::node_path;
use super::{Facts, Hit, Rule, RuleMeta, Status, detail, node_file_write};
use crate::config::HostConfig;
use crate::event::basename;
use jobwarden_model::{Severity, Subject};

/// See [`META`].
pub struct StaticPodManifestWrite;

/// Identity and documentation.
pub static META: RuleMeta = RuleMeta {
    id: "JW-HOST-0006",
    slug: "static-pod-manifest-write",
    title: "Static pod manifest written on a node",
    max_severity: Severity::High,
    attack: &["T1053.007", "T1610", "T1611"],
    status: Status::Preview,
    since: "0.1.0",
    docs: "## What it detects
A file created or written in the kubelet's static pod directory `/etc/kubernetes/manifests/`
(also through a host mount such as `/host/etc/kubernetes/manifests/`), as a file event or a
command-line redirection.

## Why it matters
The kubelet runs whatever appears there, without the API server's admission (MS-TA9017 Static
pods); the Elastic rule for this path is mapped to T1053.007. `high` from a container or
through a host mount, `medium` on a host, `low` for kubeadm/kubelet and text editors used by
an admin on a control-plane node; editor swap files are ignored.

## Example
`cp /tmp/p.yaml /host/etc/kubernetes/manifests/kube-proxy-cache.yaml` in a privileged pod:
`high`. Benign look-alike: `kubeadm upgrade apply` rewriting `kube-apiserver.yaml`: `low`.

## False positives
Cluster lifecycle tools other than kubeadm (kops, RKE, k3s) writing their static pods.

## Response
Compare the manifest with the expected control-plane set; remove unknown ones and find the
writer.",
};

const LIFECYCLE: &[&str] = &[
    "kubeadm", "kubelet", "vi", "vim", "nano", "emacs", "ed", "sed", "etcdadm", "kops", "rke2",
    "k3s",
];

impl Rule for StaticPodManifestWrite {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, facts: &Facts<'_>, _config: &HostConfig) -> Option<Hit> {
        let (path, exe, in_container, host) = node_file_write(facts, |t| {
            node_path(t).0.starts_with("/etc/kubernetes/manifests/")
        })?;
        let (node, via_mount) = node_path(&path);
        let file = node.strip_prefix("/etc/kubernetes/manifests/")?;
        if file.is_empty()
            || file.contains('/')
            || file.starts_with('.')
            || file.ends_with('~')
            || file.ends_with(".swp")
            || file.ends_with(".swx")
        {
            return None;
        }
        let writer = exe
            .as_deref()
            .map(basename)
            .unwrap_or_default()
            .to_ascii_lowercase();
        let severity = if in_container || via_mount {
            Severity::High
        } else if LIFECYCLE.contains(&writer.as_str()) {
            Severity::Low
        } else {
            Severity::Medium
        };
        let name = file
            .rsplit_once('.')
            .map_or(file, |(stem, _)| stem)
            .to_string();
        Some(Hit {
            severity,
            summary: format!(
                "static pod manifest {node} written by {}{}",
                if writer.is_empty() {
                    "unknown process"
                } else {
                    writer.as_str()
                },
                if in_container || via_mount {
                    " from a container"
                } else {
                    ""
                }
            ),
            subject: Subject {
                kind: "Pod".into(),
                namespace: Some("kube-system".into()),
                name: Some(match &host {
                    Some(h) => format!("{name}-{h}"),
                    None => name,
                }),
                cluster: None,
            },
            detail: vec![
                detail("node_path", node.clone()),
                detail("via_host_mount", via_mount),
            ],
            remediation: (severity >= Severity::Medium).then(|| {
                format!("Inspect {node}; remove it if it is not part of the control plane.")
            }),
        })
    }
}
