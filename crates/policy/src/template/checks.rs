//! The documentation of every template check: one table that `scan`, `rules explain` and SARIF
//! read, so a check's id, title, default severity, ATT&CK ids and remediation live in one place.

use jobwarden_model::Severity;
use serde::Serialize;

/// The documentation of one check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CheckDoc {
    /// Stable dotted id, e.g. `template.privileged`.
    pub id: &'static str,
    /// Short title.
    pub title: &'static str,
    /// Severity when nothing raises or lowers it (individual findings may differ, e.g. a
    /// read-only mount is one step lower).
    pub default_severity: Severity,
    /// What it detects and why it matters.
    pub description: &'static str,
    /// MITRE ATT&CK technique ids.
    pub attack: &'static [&'static str],
    /// MITRE mitigation id, when one applies.
    pub mitigation: Option<&'static str>,
    /// What to do about it.
    pub remediation: &'static str,
}

macro_rules! doc {
    ($id:literal, $sev:ident, $title:literal, $attack:expr, $mit:expr, $desc:literal, $fix:literal) => {
        CheckDoc {
            id: $id,
            title: $title,
            default_severity: Severity::$sev,
            description: $desc,
            attack: $attack,
            mitigation: $mit,
            remediation: $fix,
        }
    };
}

/// Every pod template check, in a stable order.
pub const TEMPLATE_CHECKS: &[CheckDoc] = &[
    doc!(
        "template.privileged",
        High,
        "Privileged container",
        &["T1611", "T1610"],
        Some("M1026"),
        "A container runs with securityContext.privileged: true. It sees every host device and can load kernel modules or mount the node's disks: it is root on the node.",
        "Remove privileged: true; grant the one capability the workload needs instead."
    ),
    doc!(
        "template.nodeTakeover",
        Critical,
        "Node takeover combination",
        &["T1611", "T1610"],
        Some("M1026"),
        "Privilege and host access combined (privileged or hostPID together with a sensitive hostPath or a container runtime socket, or privileged with hostPID): the classic recipe (nsenter -t 1, chroot into the host root) for a root shell on the node.",
        "Do not schedule such a template outside a vetted node-maintenance tool; find who created it."
    ),
    doc!(
        "template.hostNamespace.pid",
        Medium,
        "Host PID namespace",
        &["T1611"],
        Some("M1026"),
        "hostPID: true lets the pod see and signal every process on the node, read their environment and enter their namespaces (nsenter -t 1).",
        "Remove hostPID; node diagnostics belong in a vetted DaemonSet, not a Job."
    ),
    doc!(
        "template.hostNamespace.ipc",
        Medium,
        "Host IPC namespace",
        &["T1611"],
        Some("M1026"),
        "hostIPC: true shares the node's IPC namespace (shared memory of host processes).",
        "Remove hostIPC."
    ),
    doc!(
        "template.hostNamespace.network",
        Low,
        "Host network namespace",
        &["T1611"],
        Some("M1026"),
        "hostNetwork: true puts the pod on the node's network stack: it can reach node-local services (kubelet, cloud metadata) and bypasses network policies.",
        "Remove hostNetwork unless the workload is a node agent."
    ),
    doc!(
        "template.hostPath.sensitive",
        High,
        "Sensitive hostPath volume",
        &["T1611"],
        Some("M1026"),
        "A hostPath volume exposes a sensitive node path (/, /etc, /root, /proc, /sys, /var/lib/kubelet, /etc/kubernetes, /dev, /boot...), or a parent of one. Writable mounts let a pod change the node; read-only ones still leak credentials. Read-only mounts are reported one step lower.",
        "Use a projected, configMap or emptyDir volume; if node files are really needed, mount the single file read-only."
    ),
    doc!(
        "template.hostPath.runtimeSocket",
        Critical,
        "Container runtime socket mounted",
        &["T1611", "T1610"],
        Some("M1026"),
        "The Docker, containerd or CRI-O socket (or a directory holding it) is mounted: whoever talks to it can start a privileged container on the node, whatever readOnly says.",
        "Never mount runtime sockets into Jobs; build images with rootless builders (kaniko, buildkit rootless)."
    ),
    doc!(
        "template.hostPath.nodeCron",
        Critical,
        "Writes node cron through a hostPath",
        &["T1053.003", "T1611"],
        Some("M1026"),
        "A container mounts a host path covering the node's cron directories (/etc/cron*, /var/spool/cron) and its command writes there, or runs crontab inside a chroot of the host root: persistence on the node that outlives the pod (Peirates does exactly this).",
        "Delete the object, inspect /etc/crontab, /etc/cron.d and /var/spool/cron on every node it ran on."
    ),
    doc!(
        "template.hostPath.nodePersistence",
        Critical,
        "Plants persistence on the node through a hostPath",
        &["T1543.002", "T1098.004", "T1574.006", "T1611"],
        Some("M1026"),
        "A container writes, through a writable hostPath or a chroot of the host root, to a node location that runs code later: systemd units, rc.local, ld.so.preload, the kubelet's static pod manifests, sudoers, login scripts or SSH authorized_keys.",
        "Delete the object and inspect those locations on every node it ran on."
    ),
    doc!(
        "template.hostPath",
        Low,
        "hostPath volume",
        &["T1611"],
        Some("M1026"),
        "A hostPath volume on a path not in the sensitive list. Still couples the pod to the node and bypasses storage isolation.",
        "Prefer emptyDir or a PersistentVolumeClaim."
    ),
    doc!(
        "template.runAsRoot",
        Low,
        "Runs as root",
        &["T1611"],
        Some("M1026"),
        "The container runs as UID 0 (runAsUser: 0), or nothing forbids it (no runAsNonRoot and no non-zero runAsUser at pod or container level). Alone this is common; with host access it is what makes escapes work.",
        "Set runAsNonRoot: true and a non-zero runAsUser."
    ),
    doc!(
        "template.capabilities.added",
        High,
        "Dangerous capability added",
        &["T1611"],
        Some("M1026"),
        "securityContext.capabilities.add grants capabilities. SYS_ADMIN, SYS_PTRACE, SYS_MODULE, NET_ADMIN, DAC_READ_SEARCH, SYS_RAWIO, BPF, ALL and similar make container escape or host tampering possible (high); other additions are low.",
        "Drop ALL and add back only what is needed (usually nothing, or NET_BIND_SERVICE)."
    ),
    doc!(
        "template.allowPrivilegeEscalation",
        Low,
        "allowPrivilegeEscalation: true",
        &["T1548"],
        Some("M1026"),
        "The container explicitly allows setuid binaries and file capabilities to raise privileges.",
        "Set allowPrivilegeEscalation: false."
    ),
    doc!(
        "template.procMount.unmasked",
        Medium,
        "Unmasked /proc",
        &["T1611"],
        Some("M1026"),
        "procMount: Unmasked exposes the host kernel interfaces the runtime normally hides.",
        "Remove procMount or set it to Default."
    ),
    doc!(
        "template.seccomp.unconfined",
        Low,
        "Seccomp disabled",
        &["T1611"],
        Some("M1026"),
        "seccompProfile type Unconfined removes the syscall filter that blocks most kernel escape primitives.",
        "Use RuntimeDefault."
    ),
    doc!(
        "template.tolerations.all",
        Medium,
        "Tolerates every taint",
        &["T1610"],
        None,
        "A toleration with operator Exists and no key tolerates every taint (with its effect), so the pod can land on control-plane and dedicated nodes: how attackers reach every node from one object.",
        "Tolerate only the specific taints the workload is meant for."
    ),
    doc!(
        "template.controlPlane",
        Medium,
        "Targets control-plane nodes",
        &["T1610", "T1611"],
        None,
        "nodeSelector, node affinity, tolerations or nodeName aim the pod at control-plane (master) nodes, where etcd data, kube-apiserver credentials and static pod manifests live.",
        "Run workloads on worker nodes; control-plane maintenance belongs to vetted platform tooling."
    ),
    doc!(
        "template.nodeName",
        Low,
        "Pinned to a node",
        &["T1610"],
        None,
        "spec.nodeName bypasses the scheduler (and scheduling policies) to run on a chosen node.",
        "Use node affinity instead of nodeName."
    ),
    doc!(
        "template.priorityClass.system",
        Low,
        "System priority class outside kube-system",
        &["T1036.005"],
        None,
        "priorityClassName system-node-critical or system-cluster-critical outside kube-system: makes the pod hard to evict and looks like a control-plane component.",
        "Use an application priority class."
    ),
    doc!(
        "template.serviceAccount.privileged",
        High,
        "Runs as a privileged service account",
        &["T1078.004", "T1528"],
        Some("M1018"),
        "The pod runs as a controller or admin service account (e.g. kube-system/*-controller, cluster-admin): its token gives the job that account's cluster-wide rights. Lowered one step when automountServiceAccountToken is false.",
        "Give the job its own service account with only the permissions it needs."
    ),
    doc!(
        "template.image.untrustedRegistry",
        Medium,
        "Image outside the trusted registries",
        &["T1610", "T1204.003"],
        Some("M1045"),
        "An image comes from a registry or repository that is not on the configured allowlist (checked only when an allowlist is set).",
        "Mirror the image into a trusted registry, or add the registry to trusted_registries."
    ),
    doc!(
        "template.image.ipRegistry",
        High,
        "Image pulled from an IP address",
        &["T1610", "T1204.003"],
        None,
        "The image registry is a bare IP address (public IP: high; private or loopback: low). Legitimate registries have names; attackers serve payloads from throwaway hosts.",
        "Pull from a named, trusted registry."
    ),
    doc!(
        "template.image.noDigest",
        Info,
        "Image not pinned by digest",
        &["T1525"],
        None,
        "The image is referenced by tag, which can be repointed after review.",
        "Pin images by digest (image@sha256:...)."
    ),
    doc!(
        "template.image.latest",
        Low,
        "Image uses :latest or no tag",
        &["T1525"],
        None,
        "The image has no tag or the tag latest: what runs is whatever was pushed last.",
        "Pin a version tag and a digest."
    ),
    doc!(
        "template.image.miner",
        High,
        "Cryptominer image",
        &["T1496"],
        None,
        "The image name contains a known cryptominer name (xmrig, cpuminer...).",
        "Delete the workload and look for how it was created."
    ),
    doc!(
        "template.command.downloadExec",
        High,
        "Downloads and executes code",
        &["T1105", "T1059.004"],
        None,
        "The command fetches code and runs it: curl/wget piped into a shell or interpreter, bash -c \"$(curl ...)\", a download followed by chmod +x and execution, python -c with urllib and exec. Downloads only from configured trusted hosts are low.",
        "Bake the code into a reviewed image instead of fetching it at run time."
    ),
    doc!(
        "template.command.base64Shell",
        High,
        "Base64 decoded into a shell",
        &["T1027", "T1140", "T1059.004"],
        None,
        "The command decodes base64 or hex and executes the result (echo ... | base64 -d | sh, printf '\\x..' | sh, xxd -r -p | sh, exec(base64.b64decode(...))): hides the real payload from reviewers. Long base64 and hex literals are also decoded and re-scanned, as is the command with quote and $IFS obfuscation undone.",
        "Decode the payload (see the finding message), then treat it as the real command."
    ),
    doc!(
        "template.command.reverseShell",
        Critical,
        "Reverse shell",
        &["T1059.004", "T1071"],
        None,
        "The command opens an interactive shell to a remote host: /dev/tcp redirections, nc/ncat -e, socat exec, bash -i with redirections, mkfifo with nc, python/perl/php/ruby socket shells, remote-shell tools (tmate, gs-netcat, pwncat); exposing the pod through a tunnel service (ngrok, cloudflared, chisel, frp) is high.",
        "Delete the workload, block the destination, find the creator."
    ),
    doc!(
        "template.command.miner",
        High,
        "Cryptominer command",
        &["T1496"],
        None,
        "The command runs a cryptominer: xmrig and friends, stratum+tcp:// URLs, mining-pool hosts, pool ports with miner credentials, --donate-level and other miner options, Monero and Dero wallet addresses.",
        "Delete the workload, check node CPU usage and other namespaces for siblings."
    ),
    doc!(
        "template.command.hostEscape",
        Critical,
        "Escapes to the host",
        &["T1611"],
        Some("M1026"),
        "The command breaks out to the node: nsenter -t 1, chroot into the host root (/host, /proc/1/root), the container runtime socket, host disk mounts, cgroup release_agent or core_pattern tricks.",
        "Delete the workload and investigate the nodes it ran on."
    ),
    doc!(
        "template.command.credentialAccess",
        Medium,
        "Reads credentials",
        &["T1552.005", "T1552.001"],
        None,
        "The command reads cloud instance metadata (169.254.169.254, metadata.google.internal) or node credentials (/etc/kubernetes/admin.conf, kubelet PKI, /etc/shadow); high when it also sends data out.",
        "Block metadata access (network policy, IMDSv2 hop limit) and review what the job sends where."
    ),
    doc!(
        "template.command.antiForensics",
        Medium,
        "Hides its traces",
        &["T1070.003", "T1070.002"],
        None,
        "The command clears shell history, wipes system logs (history -c, unset HISTFILE, shred /var/log/...) or deletes Kubernetes events.",
        "Find out what the job did before it wiped its traces."
    ),
];
