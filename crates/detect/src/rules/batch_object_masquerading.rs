//! JW-AUD-0013: batch objects dressed up as control-plane components.

use super::{Hit, Rule, RuleMeta, Status, detail};
use crate::analysis::{Action, Analysis};
use crate::config::Config;
use crate::identity::ActorClass;
use jobwarden_model::Severity;

/// See [`META`].
pub struct BatchObjectMasquerading;

/// Name prefixes of control-plane and cluster add-on components.
/// Specific component names, not a bare `kube-` (kube-bench, kube-janitor and friends are
/// ordinary tools).
const SYSTEM_NAME_PREFIXES: &[&str] = &[
    "kube-proxy",
    "kube-apiserver",
    "kube-controller",
    "kube-scheduler",
    "kube-dns",
    "kube-flannel",
    "kube-router",
    "kube-vip",
    "kube-ovn",
    "etcd",
    "coredns",
    "calico",
    "cilium",
    "aws-node",
    "konnectivity",
    "metrics-server",
    "cluster-autoscaler",
    "gke-",
    "aks-",
    "eks-",
    "azure-",
    "node-problem",
    "kindnet",
    "flannel",
    "weave-net",
    "kubelet",
    "kubeadm",
    "cloud-controller",
    "ebs-csi",
    "kube-apiserver",
    "controller-manager",
    "kube-scheduler",
];

/// Namespaces reserved for the control plane and add-ons.
const SYSTEM_NAMESPACES: &[&str] = &["kube-system", "kube-public", "kube-node-lease"];

/// Identity and documentation.
pub static META: RuleMeta = RuleMeta {
    id: "JW-AUD-0013",
    slug: "batch-object-masquerading",
    title: "CronJob or Job masquerading as a system component",
    max_severity: Severity::High,
    attack: &["T1053.007", "T1036.005"],
    status: Status::Preview,
    since: "0.1.0",
    docs: "## What it detects
A CronJob or Job created by an identity that is not a control-plane component, in a system
namespace (`kube-system`, `kube-public`, `kube-node-lease`) or named like a control-plane or
add-on component (`kube-proxy*`, `kube-apiserver*`, `etcd*`, `coredns*`, `calico*`,
`aws-node*`, ...). `high` when the
template is also risky.

## Why it matters
Attackers name persistence after what responders expect to see, and hide it where few look:
a `kube-proxy-sync` CronJob in `kube-system` reads as part of the platform.

## Example
User `deploy-bot` creates CronJob `kube-proxy-sync` in `kube-system`: `medium`; with hostPID
and a `/` hostPath: `high`. Benign look-alike: an add-on installed by trusted automation is `low`.

## False positives
Cluster add-ons installed by hand or by Helm into `kube-system` with hook Jobs; trust the
installing identity or accept `medium` once per install.

## Response
Check the object against the platform's inventory; system components do not arrive as
hand-made CronJobs.",
};

impl Rule for BatchObjectMasquerading {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check(&self, a: &Analysis<'_>, _config: &Config) -> Option<Hit> {
        if a.action != Action::Create || !a.took_effect() || a.identity.class.is_system() {
            return None;
        }
        let name = a.name.as_deref().unwrap_or("");
        let ns = a.namespace.as_deref().unwrap_or("");
        let system_ns = SYSTEM_NAMESPACES.contains(&ns);
        let lower = name.to_ascii_lowercase();
        let system_name = SYSTEM_NAME_PREFIXES.iter().any(|p| lower.starts_with(p));
        if !system_ns && !system_name {
            return None;
        }
        let risky = a
            .worst_finding()
            .is_some_and(|f| f.severity >= Severity::High);
        let severity = match (&a.identity.class, risky) {
            (_, true) => Severity::High,
            (ActorClass::TrustedAutomation(_), false) => Severity::Low,
            _ => Severity::Medium,
        };
        let mut why = Vec::new();
        if system_ns {
            why.push(format!("placed in system namespace {ns}"));
        }
        if system_name {
            why.push(format!("named like a system component ({name})"));
        }
        Some(Hit {
            severity,
            summary: format!(
                "{} created by {}: {}",
                a.object_label(),
                a.identity.class.label(),
                why.join(", ")
            ),
            detail: vec![detail("why", why)],
            remediation: None,
            dedupe_key: None,
        })
    }
}
