//! Where a process ran, judged from its ancestry and identity: inside a container, under a
//! CI runner, as a web server's child, from cron, or at a person's shell on a host. The rules
//! grade the same command line by this context: `kubectl get jobs` at an admin's shell is
//! inventory, from a pod it is an intruder looking around.

use crate::event::{ProcessEvent, basename};
use serde::Serialize;

/// Container runtime shims and runtimes: a process whose parent is one of these runs in a
/// container (the first process, or an exec).
pub const RUNTIME_SHIMS: &[&str] = &[
    "containerd-shim",
    "containerd-shim-runc-v1",
    "containerd-shim-runc-v2",
    "runc",
    "crun",
    "conmon",
    "runsc",
    "docker-containerd-shim",
    "containerd-shim-kata-v2",
    "youki",
];

/// Web servers and application servers: a shell or kubectl below one is a web shell's work.
const WEB_SERVERS: &[&str] = &[
    "nginx",
    "httpd",
    "apache2",
    "php-fpm",
    "php",
    "php-cgi",
    "lighttpd",
    "caddy",
    "tomcat",
    "catalina.sh",
    "gunicorn",
    "uwsgi",
    "unicorn",
    "puma",
    "w3wp",
    "node",
    "java",
    "iis",
    "openresty",
    "traefik",
];

/// CI runners.
const CI_RUNNERS: &[&str] = &[
    "gitlab-runner",
    "gitlab-runner-helper",
    "jenkins",
    "agent.jar",
    "buildkite-agent",
    "runner.worker",
    "runner.listener",
    "actions-runner",
    "drone-runner-docker",
    "drone",
    "teamcity-agent",
    "bamboo-agent",
    "circleci-agent",
    "tekton",
    "argo",
    "atlantis",
];

/// Cron daemons.
const CRON: &[&str] = &["cron", "crond", "anacron", "systemd-cron", "busybox-crond"];

/// The context a process ran in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ExecContext {
    /// Inside a container (pod identity, or a runtime shim among the ancestors).
    Container {
        /// Pod name, when known.
        #[serde(skip_serializing_if = "Option::is_none")]
        pod: Option<String>,
        /// Pod namespace, when known.
        #[serde(skip_serializing_if = "Option::is_none")]
        namespace: Option<String>,
        /// Why we think so.
        evidence: String,
    },
    /// A web or application server's child.
    WebServer {
        /// The server.
        parent: String,
    },
    /// Under a CI runner.
    Ci {
        /// The runner.
        runner: String,
    },
    /// Started by cron on the host.
    Cron,
    /// A shell or program on a host (an admin's bastion, a laptop).
    Host,
}

impl ExecContext {
    /// A short label.
    pub fn label(&self) -> &'static str {
        match self {
            ExecContext::Container { .. } => "container",
            ExecContext::WebServer { .. } => "web server child",
            ExecContext::Ci { .. } => "CI runner",
            ExecContext::Cron => "cron",
            ExecContext::Host => "host shell",
        }
    }

    /// True inside a container.
    pub fn in_container(&self) -> bool {
        matches!(self, ExecContext::Container { .. })
    }
}

fn name_of(path: &str) -> String {
    basename(path).to_ascii_lowercase()
}

fn matches_list(name: &str, list: &[&str]) -> bool {
    list.iter().any(|l| {
        name == *l
            || (name.starts_with(l)
                && name
                    .as_bytes()
                    .get(l.len())
                    .is_some_and(|b| matches!(b, b'-' | b'.' | b'_' | b'0'..=b'9')))
    })
}

/// Judge a process's context.
pub fn classify(ev: &ProcessEvent) -> ExecContext {
    if ev.container.is_known() {
        return ExecContext::Container {
            pod: ev.container.pod.clone(),
            namespace: ev.container.namespace.clone(),
            evidence: if ev.container.pod.is_some() {
                "pod identity".into()
            } else {
                "container id".into()
            },
        };
    }
    let parent = ev.parent_exe.as_deref().map(name_of);
    let parent_cmd_first = ev
        .parent_command_line
        .as_deref()
        .and_then(|c| c.split_whitespace().next())
        .map(name_of);
    let lineage: Vec<String> = parent
        .iter()
        .cloned()
        .chain(parent_cmd_first.clone())
        .chain(ev.ancestors.iter().map(|a| name_of(a)))
        .collect();
    if let Some(shim) = lineage.iter().find(|n| matches_list(n, RUNTIME_SHIMS)) {
        return ExecContext::Container {
            pod: None,
            namespace: None,
            evidence: format!("runtime ancestor {shim}"),
        };
    }
    if let Some(cwd) = &ev.cwd {
        // Paths only containers have: overlay roots and kubelet pod directories.
        if cwd.starts_with("/run/containerd/io.containerd.runtime") {
            return ExecContext::Container {
                pod: None,
                namespace: None,
                evidence: format!("working directory {cwd}"),
            };
        }
    }
    if let Some(web) = lineage.iter().find(|n| matches_list(n, WEB_SERVERS)) {
        return ExecContext::WebServer {
            parent: web.clone(),
        };
    }
    let user = ev.user.as_deref().unwrap_or_default().to_ascii_lowercase();
    // Service users of web servers: a shell running as one is a web shell's.
    if matches!(
        user.as_str(),
        "www-data" | "apache" | "nginx" | "httpd" | "tomcat" | "nobody" | "wwwrun" | "http"
    ) {
        return ExecContext::WebServer {
            parent: format!("user {user}"),
        };
    }
    if let Some(ci) = lineage.iter().find(|n| matches_list(n, CI_RUNNERS)) {
        return ExecContext::Ci { runner: ci.clone() };
    }
    if matches!(
        user.as_str(),
        "gitlab-runner" | "jenkins" | "runner" | "buildkite-agent" | "github-runner"
    ) {
        return ExecContext::Ci { runner: user };
    }
    if let Some(cwd) = &ev.cwd {
        for marker in [
            "/builds/",
            "/_work/",
            "/var/lib/jenkins/workspace",
            "/home/runner/work",
            "/buildkite/builds",
        ] {
            if cwd.contains(marker) {
                return ExecContext::Ci {
                    runner: format!("workspace {cwd}"),
                };
            }
        }
    }
    if lineage.iter().any(|n| matches_list(n, CRON)) {
        return ExecContext::Cron;
    }
    ExecContext::Host
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(parent: &str) -> ProcessEvent {
        ProcessEvent {
            parent_exe: Some(parent.to_string()),
            ..ProcessEvent::default()
        }
    }

    #[test]
    fn contexts() {
        assert!(classify(&ev("/usr/bin/containerd-shim-runc-v2")).in_container());
        assert!(classify(&ev("/usr/sbin/runc")).in_container());
        assert_eq!(classify(&ev("/usr/sbin/nginx")).label(), "web server child");
        assert_eq!(classify(&ev("/usr/bin/gitlab-runner")).label(), "CI runner");
        assert_eq!(classify(&ev("/usr/sbin/cron")).label(), "cron");
        assert_eq!(classify(&ev("/bin/bash")), ExecContext::Host);
        assert_eq!(classify(&ev("/usr/bin/runcat")), ExecContext::Host);
        let www = ProcessEvent {
            user: Some("www-data".into()),
            ..ev("/bin/sh")
        };
        assert_eq!(
            www.user.as_deref().map(|_| classify(&www).label()),
            Some("web server child")
        );
    }
}

/// The Job (and CronJob) a pod belongs to, as far as the producer's pod identity shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchOwner {
    /// The Job's name, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    /// The CronJob's name, when the Job (or pod) name carries its scheduled-time suffix.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cronjob: Option<String>,
    /// How it was recognised (`label`, `workload`, `pod name`).
    pub evidence: &'static str,
}

/// `<cronjob>-<minutes since epoch>`: the name the cronjob-controller gives a scheduled Job.
fn split_scheduled(job: &str) -> Option<&str> {
    let (prefix, minutes) = job.rsplit_once('-')?;
    (minutes.len() >= 8 && minutes.bytes().all(|b| b.is_ascii_digit()) && !prefix.is_empty())
        .then_some(prefix)
}

/// Recognise a batch pod: `job-name` / `batch.kubernetes.io/job-name` labels, a `Job` or
/// `CronJob` workload, or a pod name `<cronjob>-<8+ digit minutes>-<5 chars>`.
pub fn batch_owner(c: &crate::event::ContainerContext) -> Option<BatchOwner> {
    let label = c
        .labels
        .get("batch.kubernetes.io/job-name")
        .or_else(|| c.labels.get("job-name"));
    if let Some(job) = label {
        return Some(BatchOwner {
            cronjob: split_scheduled(job).map(str::to_string),
            job: Some(job.clone()),
            evidence: "label",
        });
    }
    match (c.workload_kind.as_deref(), c.workload.as_deref()) {
        (Some("CronJob"), Some(w)) => {
            return Some(BatchOwner {
                job: None,
                cronjob: Some(w.to_string()),
                evidence: "workload",
            });
        }
        (Some("Job"), Some(w)) => {
            return Some(BatchOwner {
                job: Some(w.to_string()),
                cronjob: split_scheduled(w).map(str::to_string),
                evidence: "workload",
            });
        }
        _ => {}
    }
    let pod = c.pod.as_deref()?;
    let (job, random) = pod.rsplit_once('-')?;
    if random.len() != 5
        || !random
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        return None;
    }
    let cronjob = split_scheduled(job)?;
    Some(BatchOwner {
        job: Some(job.to_string()),
        cronjob: Some(cronjob.to_string()),
        evidence: "pod name",
    })
}
