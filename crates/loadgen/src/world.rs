//! The synthetic cluster the log describes: nodes, namespaces, pods, identities and existing CronJobs.
//!
//! Everything is rendered to JSON fragments once, up front, so writing an event is mostly copying.

use std::rc::Rc;

use crate::fmt::{push_hex, push_json_str, push_json_str_body, push_uuid};
use crate::rng::SplitMix64;

/// Who sends a request: the pre-rendered `user`, `sourceIPs`, `userAgent` and RBAC reason.
#[derive(Debug, Clone)]
pub struct Identity {
    /// `{"username":...}` object.
    pub user_json: String,
    /// `["10.0.0.1"]` array.
    pub ips_json: String,
    /// `"kubelet/v1.29.4 ..."` with quotes, or empty for no userAgent.
    pub ua_json: String,
    /// Escaped body of the `authorization.k8s.io/reason` annotation.
    pub reason: String,
}

/// A CronJob that exists before the log starts.
#[derive(Debug, Clone)]
pub struct CronJobDef {
    /// Namespace.
    pub ns: &'static str,
    /// Name.
    pub name: String,
    /// Object uid (the cronjob-controller's ownerReferences point at it).
    pub uid: String,
    /// Cron schedule.
    pub schedule: &'static str,
    /// Container image.
    pub image: &'static str,
    /// Container command, already a JSON array.
    pub command_json: &'static str,
    /// Service account the pods run as.
    pub service_account: &'static str,
}

/// Static description of the generated cluster.
#[derive(Debug)]
pub struct World {
    /// e.g. `v1.29.4`.
    pub version: String,
    /// Short git sha in user agents.
    pub sha: String,
    /// Node names.
    pub nodes: Vec<String>,
    /// Kubelet identity per node (same index as `nodes`).
    pub kubelets: Vec<Rc<Identity>>,
    /// Namespaces with workloads.
    pub namespaces: Vec<&'static str>,
    /// Pod names per namespace (same index as `namespaces`).
    pub pods: Vec<Vec<String>>,
    /// kube-controller-manager controllers by name.
    pub controllers: Vec<(&'static str, Rc<Identity>)>,
    /// DaemonSet agents and in-cluster operators (tokens bound to pods).
    pub agents: Vec<Rc<Identity>>,
    /// People using kubectl.
    pub humans: Vec<Rc<Identity>>,
    /// The KCM leader-election identity.
    pub kcm: Rc<Identity>,
    /// The scheduler identity.
    pub scheduler: Rc<Identity>,
    /// Existing CronJobs.
    pub cronjobs: Vec<CronJobDef>,
    /// The apiserver's own address (controllers connect through it).
    pub apiserver_ip: String,
}

const NAMESPACES: &[&str] = &[
    "default",
    "kube-system",
    "monitoring",
    "logging",
    "ingress-nginx",
    "cert-manager",
    "payments",
    "checkout",
    "search",
    "billing",
    "data",
    "ml",
    "reporting",
    "identity",
    "web",
    "api",
    "argocd",
    "flux-system",
    "velero",
    "airflow",
];

const APPS: &[&str] = &[
    "api",
    "web",
    "checkout",
    "worker",
    "gateway",
    "search",
    "cart",
    "auth",
    "billing",
    "ledger",
    "notifier",
    "frontend",
    "inventory",
    "orders",
    "recommender",
    "pricing",
    "session",
    "media",
    "indexer",
    "mailer",
];

const SUFFIX: &[u8] = b"bcdfghjklmnpqrstvwxz2456789";

fn push_suffix(out: &mut String, rng: &mut SplitMix64, n: usize) {
    for _ in 0..n {
        let i = rng.below(SUFFIX.len() as u64) as usize;
        out.push(char::from(SUFFIX.get(i).copied().unwrap_or(b'x')));
    }
}

/// A random uuid as a String.
pub fn new_uuid(rng: &mut SplitMix64) -> String {
    let mut s = String::with_capacity(36);
    push_uuid(&mut s, rng.next_u64(), rng.next_u64());
    s
}

fn ip(rng: &mut SplitMix64, prefix: &str) -> String {
    let mut s = String::from(prefix);
    s.push('.');
    s.push_str(&rng.range(0, 254).to_string());
    s.push('.');
    s.push_str(&rng.range(2, 254).to_string());
    s
}

fn sa_user(rng: &mut SplitMix64, ns: &str, name: &str, pod: Option<&str>) -> String {
    let mut u = String::with_capacity(300);
    u.push_str("{\"username\":\"system:serviceaccount:");
    u.push_str(ns);
    u.push(':');
    u.push_str(name);
    u.push_str("\",\"uid\":\"");
    push_uuid(&mut u, rng.next_u64(), rng.next_u64());
    u.push_str("\",\"groups\":[\"system:serviceaccounts\",\"system:serviceaccounts:");
    u.push_str(ns);
    u.push_str("\",\"system:authenticated\"]");
    if let Some(pod) = pod {
        u.push_str(",\"extra\":{\"authentication.kubernetes.io/pod-name\":[\"");
        u.push_str(pod);
        u.push_str("\"],\"authentication.kubernetes.io/pod-uid\":[\"");
        push_uuid(&mut u, rng.next_u64(), rng.next_u64());
        u.push_str("\"]}");
    }
    u.push('}');
    u
}

fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    push_json_str(&mut out, s);
    out
}

fn escaped(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    push_json_str_body(&mut out, s);
    out
}

impl World {
    /// Builds a cluster of `node_count` nodes from `rng`.
    pub fn new(rng: &mut SplitMix64, node_count: usize) -> Self {
        let patch = rng.range(2, 10);
        let version = format!("v1.29.{patch}");
        let mut sha = String::new();
        push_hex(&mut sha, rng.next_u64(), 7);
        let kubelet_ua = quoted(&format!("kubelet/{version} (linux/amd64) kubernetes/{sha}"));
        let region = *rng
            .pick(&["eu-west-1", "us-east-2", "ap-southeast-1"])
            .unwrap_or(&"eu-west-1");
        let mut nodes = Vec::with_capacity(node_count);
        let mut kubelets = Vec::with_capacity(node_count);
        for _ in 0..node_count.max(1) {
            let (a, b, c) = (rng.range(0, 3), rng.range(0, 255), rng.range(2, 250));
            let name = format!("ip-10-{a}-{b}-{c}.{region}.compute.internal");
            kubelets.push(Rc::new(Identity {
                user_json: format!("{{\"username\":\"system:node:{name}\",\"groups\":[\"system:nodes\",\"system:authenticated\"]}}"),
                ips_json: format!("[\"10.{a}.{b}.{c}\"]"),
                ua_json: kubelet_ua.clone(),
                reason: String::new(),
            }));
            nodes.push(name);
        }
        let apiserver_ip = ip(rng, "10.0");
        let mut pods = Vec::new();
        for _ in NAMESPACES {
            let mut list = Vec::new();
            for _ in 0..12 {
                let mut p = String::from(*rng.pick(APPS).unwrap_or(&"app"));
                p.push('-');
                push_suffix(&mut p, rng, 10);
                p.push('-');
                push_suffix(&mut p, rng, 5);
                list.push(p);
            }
            pods.push(list);
        }
        let ctrl_names = [
            "cronjob-controller",
            "job-controller",
            "ttl-after-finished-controller",
            "generic-garbage-collector",
            "replicaset-controller",
            "deployment-controller",
            "endpointslice-controller",
            "daemon-set-controller",
            "statefulset-controller",
            "namespace-controller",
            "resourcequota-controller",
            "node-controller",
        ];
        let controllers = ctrl_names
            .iter()
            .map(|name| {
                (*name, Rc::new(Identity {
                    user_json: sa_user(rng, "kube-system", name, None),
                    ips_json: format!("[\"{apiserver_ip}\"]"),
                    ua_json: quoted(&format!(
                        "kube-controller-manager/{version} (linux/amd64) kubernetes/{sha}/system:serviceaccount:kube-system:{name}"
                    )),
                    reason: escaped(&format!(
                        "RBAC: allowed by ClusterRoleBinding \"system:controller:{name}\" of ClusterRole \"system:controller:{name}\" to ServiceAccount \"{name}/kube-system\""
                    )),
                }))
            })
            .collect();
        let agent_defs: &[(&str, &str, &str)] = &[
            (
                "kube-system",
                "coredns",
                "coredns/v1.11.1 (linux/amd64) kubernetes/",
            ),
            (
                "kube-system",
                "aws-node",
                "aws-node/v1.18.1 (linux/amd64) kubernetes/$Format",
            ),
            (
                "kube-system",
                "kube-proxy",
                "kube-proxy/v1.29.4 (linux/amd64) kubernetes/55019c8",
            ),
            ("logging", "fluent-bit", ""),
            ("monitoring", "prometheus-k8s", "Prometheus/2.51.2"),
            (
                "monitoring",
                "kube-state-metrics",
                "kube-state-metrics/v2.10.1 (linux/amd64) kubernetes/$Format",
            ),
            (
                "cert-manager",
                "cert-manager",
                "cert-manager-cainjector/v1.14.4 (linux/amd64) cert-manager/6e9fca4",
            ),
            (
                "ingress-nginx",
                "ingress-nginx",
                "nginx-ingress-controller/v1.10.0 (linux/amd64) ingress-nginx/71f78d49f0a",
            ),
            (
                "argocd",
                "argocd-application-controller",
                "argocd-application-controller/v0.0.0 (linux/amd64) kubernetes/$Format",
            ),
            (
                "kube-system",
                "metrics-server",
                "metrics-server/v0.7.1 (linux/amd64) kubernetes/$Format",
            ),
            ("datadog", "datadog-agent", "datadog-agent/7.52.0"),
        ];
        let agents = agent_defs
            .iter()
            .map(|(ns, name, ua)| {
                let mut pod = String::from(*name);
                pod.push('-');
                push_suffix(&mut pod, rng, 5);
                Rc::new(Identity {
                    user_json: sa_user(rng, ns, name, Some(&pod)),
                    ips_json: format!("[\"{}\"]", ip(rng, "10.244")),
                    ua_json: if ua.is_empty() { String::new() } else { quoted(ua) },
                    reason: escaped(&format!(
                        "RBAC: allowed by ClusterRoleBinding \"{name}\" of ClusterRole \"{name}\" to ServiceAccount \"{name}/{ns}\""
                    )),
                })
            })
            .collect();
        let human_defs = [
            ("maria.kovacs@example.org", "platform-sre", "darwin/arm64"),
            ("j.schmidt@example.org", "team-identity", "linux/amd64"),
            ("t.nakamura@example.org", "ml-researchers", "darwin/arm64"),
            ("k.oduya@example.org", "dba", "windows/amd64"),
        ];
        let humans = human_defs
            .iter()
            .map(|(email, group, os)| {
                let mut kv = String::new();
                push_hex(&mut kv, rng.next_u64(), 7);
                Rc::new(Identity {
                    user_json: format!("{{\"username\":\"oidc:{email}\",\"groups\":[\"oidc:{group}\",\"system:authenticated\"]}}"),
                    ips_json: format!("[\"{}\"]", ip(rng, "10.8")),
                    ua_json: quoted(&format!("kubectl/v1.29.3 ({os}) kubernetes/{kv}")),
                    reason: escaped(&format!(
                        "RBAC: allowed by ClusterRoleBinding \"{group}-admin\" of ClusterRole \"cluster-admin\" to Group \"oidc:{group}\""
                    )),
                })
            })
            .collect();
        let kcm = Rc::new(Identity {
            user_json: "{\"username\":\"system:kube-controller-manager\",\"groups\":[\"system:authenticated\"]}".into(),
            ips_json: format!("[\"{apiserver_ip}\"]"),
            ua_json: quoted(&format!(
                "kube-controller-manager/{version} (linux/amd64) kubernetes/{sha}/leader-election"
            )),
            reason: escaped(
                "RBAC: allowed by ClusterRoleBinding \"system:kube-controller-manager\" of ClusterRole \"system:kube-controller-manager\" to User \"system:kube-controller-manager\"",
            ),
        });
        let scheduler = Rc::new(Identity {
            user_json:
                "{\"username\":\"system:kube-scheduler\",\"groups\":[\"system:authenticated\"]}"
                    .into(),
            ips_json: format!("[\"{apiserver_ip}\"]"),
            ua_json: quoted(&format!(
                "kube-scheduler/{version} (linux/amd64) kubernetes/{sha}/scheduler"
            )),
            reason: escaped(
                "RBAC: allowed by ClusterRoleBinding \"system:kube-scheduler\" of ClusterRole \"system:kube-scheduler\" to User \"system:kube-scheduler\"",
            ),
        });
        let cj_defs: &[(&str, &str, &str, &str, &str, &str)] = &[
            (
                "billing",
                "invoice-reminders",
                "0 * * * *",
                "registry.example.org/billing/reminders:2.8.0",
                "[\"node\",\"dist/jobs/reminders.js\"]",
                "reminders",
            ),
            (
                "reporting",
                "nightly-report",
                "30 1 * * *",
                "registry.example.org/analytics/report-builder:4.12.0",
                "[\"python\",\"-m\",\"reports.nightly\"]",
                "report-builder",
            ),
            (
                "search",
                "es-incremental-reindex",
                "0 */6 * * *",
                "registry.example.org/search/indexer:7.4.2",
                "[\"/opt/indexer/bin/reindex\",\"--changed-since=6h\"]",
                "indexer",
            ),
            (
                "data",
                "warehouse-export",
                "*/20 * * * *",
                "registry.example.org/data/exporter:1.9.0",
                "[\"/exporter\",\"--once\"]",
                "exporter",
            ),
            (
                "identity",
                "stale-session-cleanup",
                "17 3 * * *",
                "registry.example.org/identity/session-janitor:3.2.0",
                "[\"/janitor\",\"--max-idle=12h\"]",
                "session-janitor",
            ),
            (
                "payments",
                "settlement-batch",
                "*/5 * * * *",
                "registry.example.org/payments/settlement:5.1.3",
                "[\"/app/settle\",\"--window=5m\"]",
                "settlement",
            ),
            (
                "checkout",
                "abandoned-cart-gc",
                "*/30 * * * *",
                "registry.example.org/shop/cart-gc:1.3.0",
                "[\"/cart-gc\",\"--older-than=48h\"]",
                "cart-gc",
            ),
            (
                "ml",
                "feature-refresh",
                "0 */2 * * *",
                "registry.example.org/ml/features:1.22.0",
                "[\"python\",\"-m\",\"features.refresh\"]",
                "features",
            ),
        ];
        let cronjobs = cj_defs
            .iter()
            .map(|(ns, name, schedule, image, cmd, sa)| CronJobDef {
                ns,
                name: (*name).to_string(),
                uid: new_uuid(rng),
                schedule,
                image,
                command_json: cmd,
                service_account: sa,
            })
            .collect();
        World {
            version,
            sha,
            nodes,
            kubelets,
            namespaces: NAMESPACES.to_vec(),
            pods,
            controllers,
            agents,
            humans,
            kcm,
            scheduler,
            cronjobs,
            apiserver_ip,
        }
    }

    /// The controller identity with this name (falls back to the first one).
    pub fn controller(&self, name: &str) -> &Rc<Identity> {
        self.controllers
            .iter()
            .find(|(n, _)| *n == name)
            .or_else(|| self.controllers.first())
            .map(|(_, id)| id)
            .unwrap_or(&self.kcm)
    }

    /// A short random name suffix like the apiserver's generateName.
    pub fn suffix(rng: &mut SplitMix64, out: &mut String, n: usize) {
        push_suffix(out, rng, n);
    }
}
