//! What each Pod Security Standards check restricts, for rule metadata (SARIF, `--explain`).
//! Texts paraphrase the upstream check comments and the kubernetes.io PSS page.

use super::Level;
use jobwarden_model::Severity;

/// Documentation of one upstream check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckDoc {
    /// Upstream check id, e.g. `runAsNonRoot`.
    pub id: &'static str,
    /// The lowest level that runs the check.
    pub level: Level,
    /// One-line title.
    pub title: &'static str,
    /// Restricted fields and allowed values.
    pub description: &'static str,
    /// Policy versions that have a revision of the check, e.g. `v1.0, v1.35`.
    pub versions: &'static str,
    /// How urgent a violation is for jobwarden (upstream has no severities).
    pub severity: Severity,
}

/// Every check of `baseline` and `restricted`, in upstream's inventory order.
pub const CHECKS: &[CheckDoc] = &[
    CheckDoc {
        id: "hostNamespaces",
        level: Level::Baseline,
        title: "Host namespaces must not be shared",
        description: "spec.hostNetwork, spec.hostPID and spec.hostIPC must be unset or false.",
        versions: "v1.0",
        severity: Severity::High,
    },
    CheckDoc {
        id: "privileged",
        level: Level::Baseline,
        title: "Privileged containers are disallowed",
        description: "securityContext.privileged of every container, init container and ephemeral container must be unset or false.",
        versions: "v1.0",
        severity: Severity::Critical,
    },
    CheckDoc {
        id: "capabilities_baseline",
        level: Level::Baseline,
        title: "Only default capabilities may be added",
        description: "securityContext.capabilities.add may only hold AUDIT_WRITE, CHOWN, DAC_OVERRIDE, FOWNER, FSETID, KILL, MKNOD, NET_BIND_SERVICE, SETFCAP, SETGID, SETPCAP, SETUID, SYS_CHROOT.",
        versions: "v1.0",
        severity: Severity::High,
    },
    CheckDoc {
        id: "hostPathVolumes",
        level: Level::Baseline,
        title: "HostPath volumes are forbidden",
        description: "spec.volumes[*].hostPath must be unset.",
        versions: "v1.0",
        severity: Severity::High,
    },
    CheckDoc {
        id: "hostPorts",
        level: Level::Baseline,
        title: "Host ports are forbidden",
        description: "ports[*].hostPort of every container must be unset or 0.",
        versions: "v1.0",
        severity: Severity::Medium,
    },
    CheckDoc {
        id: "appArmorProfile",
        level: Level::Baseline,
        title: "AppArmor must not be disabled or overridden",
        description: "securityContext.appArmorProfile.type (pod and containers) must be unset, RuntimeDefault or Localhost; annotations container.apparmor.security.beta.kubernetes.io/* must be empty, runtime/default or localhost/*.",
        versions: "v1.0 (field check applies at every version)",
        severity: Severity::Medium,
    },
    CheckDoc {
        id: "seLinuxOptions",
        level: Level::Baseline,
        title: "SELinux type is restricted; custom user and role are forbidden",
        description: "seLinuxOptions.type (pod and containers) must be empty, container_t, container_init_t, container_kvm_t or (from v1.31) container_engine_t; seLinuxOptions.user and .role must be empty.",
        versions: "v1.0, v1.31",
        severity: Severity::Medium,
    },
    CheckDoc {
        id: "procMount",
        level: Level::Baseline,
        title: "The default /proc masks are required",
        description: "securityContext.procMount of every container must be unset or Default; from v1.35 any value is allowed when spec.hostUsers is false.",
        versions: "v1.0, v1.35",
        severity: Severity::Medium,
    },
    CheckDoc {
        id: "seccompProfile_baseline",
        level: Level::Baseline,
        title: "Seccomp must not be disabled",
        description: "Before v1.19: seccomp annotations must be runtime/default, docker/default or localhost/*. From v1.19: seccompProfile.type (pod and containers) must be unset, RuntimeDefault or Localhost.",
        versions: "v1.0, v1.19",
        severity: Severity::Medium,
    },
    CheckDoc {
        id: "sysctls",
        level: Level::Baseline,
        title: "Only safe sysctls are allowed",
        description: "spec.securityContext.sysctls[*].name must be kernel.shm_rmid_forced, net.ipv4.ip_local_port_range, net.ipv4.tcp_syncookies, net.ipv4.ping_group_range, net.ipv4.ip_unprivileged_port_start; from v1.27 net.ipv4.ip_local_reserved_ports; from v1.29 net.ipv4.tcp_keepalive_time, tcp_fin_timeout, tcp_keepalive_intvl, tcp_keepalive_probes; from v1.32 net.ipv4.tcp_rmem, tcp_wmem; from v1.37 net.ipv4.tcp_slow_start_after_idle, tcp_notsent_lowat.",
        versions: "v1.0, v1.27, v1.29, v1.32, v1.37",
        severity: Severity::Medium,
    },
    CheckDoc {
        id: "windowsHostProcess",
        level: Level::Baseline,
        title: "Windows HostProcess containers are forbidden",
        description: "securityContext.windowsOptions.hostProcess (pod and containers) must be unset or false.",
        versions: "v1.0",
        severity: Severity::High,
    },
    CheckDoc {
        id: "hostProbesAndHostLifecycle",
        level: Level::Baseline,
        title: "Probes and lifecycle hooks must not target other hosts",
        description: "The host of httpGet and tcpSocket in liveness, readiness and startup probes and in postStart/preStop hooks must be unset or empty.",
        versions: "v1.34",
        severity: Severity::Medium,
    },
    CheckDoc {
        id: "restrictedVolumes",
        level: Level::Restricted,
        title: "Only ephemeral and PersistentVolume-backed volume types are allowed",
        description: "spec.volumes[*] may only use configMap, csi, downwardAPI, emptyDir, ephemeral, image, persistentVolumeClaim, projected or secret (replaces hostPathVolumes).",
        versions: "v1.0",
        severity: Severity::Medium,
    },
    CheckDoc {
        id: "allowPrivilegeEscalation",
        level: Level::Restricted,
        title: "Privilege escalation must be disallowed",
        description: "securityContext.allowPrivilegeEscalation of every container must be false; from v1.25 pods with spec.os.name=windows are exempt.",
        versions: "v1.8, v1.25",
        severity: Severity::Medium,
    },
    CheckDoc {
        id: "runAsNonRoot",
        level: Level::Restricted,
        title: "Containers must run as non-root",
        description: "securityContext.runAsNonRoot must be true on the pod or on every container, and never false; from v1.35 skipped when spec.hostUsers is false.",
        versions: "v1.0, v1.35",
        severity: Severity::Medium,
    },
    CheckDoc {
        id: "runAsUser",
        level: Level::Restricted,
        title: "Containers must not run as UID 0",
        description: "securityContext.runAsUser (pod and containers) must be unset or non-zero; from v1.35 skipped when spec.hostUsers is false.",
        versions: "v1.23, v1.35",
        severity: Severity::High,
    },
    CheckDoc {
        id: "seccompProfile_restricted",
        level: Level::Restricted,
        title: "A seccomp profile must be set",
        description: "seccompProfile.type must be RuntimeDefault or Localhost on the pod or on every container (replaces seccompProfile_baseline); from v1.25 Windows pods are exempt.",
        versions: "v1.19, v1.25",
        severity: Severity::Low,
    },
    CheckDoc {
        id: "capabilities_restricted",
        level: Level::Restricted,
        title: "Containers must drop ALL capabilities",
        description: "securityContext.capabilities.drop must include ALL and .add may only hold NET_BIND_SERVICE (replaces capabilities_baseline); from v1.25 Windows pods are exempt.",
        versions: "v1.22, v1.25",
        severity: Severity::Low,
    },
    CheckDoc {
        id: "procMount_restricted",
        level: Level::Restricted,
        title: "The default /proc masks are required, even in user namespaces",
        description: "securityContext.procMount of every container must be unset or Default regardless of spec.hostUsers (replaces procMount).",
        versions: "v1.35",
        severity: Severity::Medium,
    },
];

/// The documentation of one check id, if upstream has such a check.
pub fn check_doc(id: &str) -> Option<&'static CheckDoc> {
    CHECKS.iter().find(|doc| doc.id == id)
}
