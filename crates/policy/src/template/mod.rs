//! Judging a pod template: privilege, host access, identity, placement, images and commands.
//!
//! [`judge_pod_spec`] returns one [`TemplateFinding`] per problem with the JSON path of the field
//! that caused it, so the same judgement serves `hunt` (attributed to whoever wrote the object),
//! `scan` (a line in a manifest) and admission. Checks are documented in [`TEMPLATE_CHECKS`].
//! [`summarize_pod_spec`] extracts the facts other crates diff and show (images, service
//! account, decoded commands, host paths).

pub mod checks;
pub mod commands;
pub mod hostpath;
pub mod image;

use crate::workload::{
    ContainerRef, PodTemplate, WorkloadError, containers, join_path, key_segment, pod_template,
};
use commands::{CommandHit, ScanContext};
use hostpath::{HostPathClass, SensitiveHostPath};
use image::ImageRef;
use jobwarden_model::Severity;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::collections::BTreeSet;

pub use checks::{CheckDoc, TEMPLATE_CHECKS};

/// One problem found in a pod template or CronJob.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplateFinding {
    /// Stable dotted check id, e.g. `template.privileged`.
    pub check: &'static str,
    /// How bad this instance is.
    pub severity: Severity,
    /// JSON path of the offending field in the object as written.
    pub path: String,
    /// One line a person can act on.
    pub message: String,
    /// MITRE ATT&CK technique ids.
    pub attack: &'static [&'static str],
}

/// Look up the documentation of a template check.
pub fn check_doc(id: &str) -> Option<&'static CheckDoc> {
    TEMPLATE_CHECKS.iter().find(|d| d.id == id)
}

pub(crate) fn finding(
    check: &'static str,
    severity: Severity,
    path: String,
    message: String,
) -> TemplateFinding {
    let attack = crate::check_doc(check).map_or(&[][..], |d| d.attack);
    TemplateFinding {
        check,
        severity,
        path,
        message,
        attack,
    }
}

/// Tunables of the template checks. Every field has a default, so a config file only names what
/// it changes.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TemplatePolicy {
    /// Trusted image prefixes (`registry.k8s.io`, `ghcr.io/acme/`, `docker.io/library`), matched on
    /// whole path components. Empty: no allowlist, `template.image.untrustedRegistry` is off.
    pub trusted_registries: Vec<String>,
    /// Sensitive host paths and their severities.
    pub sensitive_host_paths: Vec<SensitiveHostPath>,
    /// Container runtime sockets.
    pub runtime_sockets: Vec<String>,
    /// Capabilities that make escape or host tampering possible (reported high).
    pub dangerous_capabilities: Vec<String>,
    /// Capabilities never reported.
    pub harmless_capabilities: Vec<String>,
    /// Service accounts that must not run user workloads, as `namespace/name` globs (`*`).
    pub privileged_service_accounts: Vec<String>,
    /// Hosts (suffix match) or `host/path` prefixes whose downloads are trusted.
    pub trusted_download_hosts: Vec<String>,
    /// Report `template.runAsRoot` when runAsNonRoot is merely missing (not only UID 0).
    pub report_missing_run_as_non_root: bool,
    /// Report `template.image.noDigest` (info).
    pub report_no_digest: bool,
    /// Image prefixes of service-mesh init containers whose NET_ADMIN/NET_RAW is expected (low).
    pub mesh_init_images: Vec<String>,
}

impl Default for TemplatePolicy {
    fn default() -> Self {
        let strings = |v: &[&str]| v.iter().map(|s| s.to_string()).collect();
        TemplatePolicy {
            trusted_registries: Vec::new(),
            sensitive_host_paths: hostpath::default_sensitive_host_paths(),
            runtime_sockets: hostpath::default_runtime_sockets(),
            dangerous_capabilities: strings(&[
                "ALL",
                "SYS_ADMIN",
                "SYS_PTRACE",
                "SYS_MODULE",
                "NET_ADMIN",
                "DAC_READ_SEARCH",
                "SYS_RAWIO",
                "SYS_BOOT",
                "BPF",
                "PERFMON",
                "MAC_ADMIN",
                "MAC_OVERRIDE",
                "CHECKPOINT_RESTORE",
            ]),
            harmless_capabilities: strings(&["NET_BIND_SERVICE"]),
            privileged_service_accounts: strings(&[
                "kube-system/*-controller",
                "kube-system/generic-garbage-collector",
                "kube-system/horizontal-pod-autoscaler",
                "kube-system/bootstrap-signer",
                "kube-system/token-cleaner",
                "kube-system/root-ca-cert-publisher",
                "kube-system/persistent-volume-binder",
                "kube-system/clusterrole-aggregation-controller",
                "kube-system/tiller",
                "*/cluster-admin",
                "*/admin",
                "*/*-cluster-admin",
                "argocd/argocd-application-controller",
                "argocd/argocd-server",
                "flux-system/kustomize-controller",
                "flux-system/helm-controller",
            ]),
            trusted_download_hosts: strings(&[
                "dl.k8s.io",
                "get.helm.sh",
                "storage.googleapis.com/kubernetes-release",
            ]),
            report_missing_run_as_non_root: true,
            report_no_digest: true,
            mesh_init_images: strings(&[
                "docker.io/istio/proxyv2",
                "gcr.io/istio-release/proxyv2",
                "cr.l5d.io/linkerd/proxy-init",
                "ghcr.io/linkerd/proxy-init",
            ]),
        }
    }
}

pub use jobwarden_model::glob_match;

/// Judge the pod template of any workload object (see [`crate::workload::pod_template`]).
pub fn judge_object(
    obj: &Value,
    policy: &TemplatePolicy,
) -> Result<Vec<TemplateFinding>, WorkloadError> {
    let template = pod_template(obj)?;
    Ok(judge_template(&template, policy))
}

/// Judge the pod template of any workload object whose namespace may be missing from its
/// metadata (audit `requestObject`s often omit it): `namespace` (e.g. from `objectRef`) is used
/// then, so namespace-aware checks (controller service accounts in kube-system, system priority
/// classes) still apply.
pub fn judge_object_in(
    obj: &Value,
    namespace: Option<&str>,
    policy: &TemplatePolicy,
) -> Result<Vec<TemplateFinding>, WorkloadError> {
    let template = pod_template(obj)?;
    let ns = template.namespace.or(namespace);
    Ok(judge_pod_spec(
        template.spec,
        template.spec_path,
        ns,
        policy,
    ))
}

/// Judge an extracted pod template.
pub fn judge_template(template: &PodTemplate<'_>, policy: &TemplatePolicy) -> Vec<TemplateFinding> {
    judge_pod_spec(
        template.spec,
        template.spec_path,
        template.namespace,
        policy,
    )
}

fn bool_at(v: &Value, key: &str) -> Option<bool> {
    v.get(key).and_then(Value::as_bool)
}

fn str_at<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

fn container_label(c: &ContainerRef<'_>) -> String {
    match c.name {
        Some(n) => format!("container {n:?}"),
        None => format!("{}[{}]", c.kind.field(), c.index),
    }
}

/// A hostPath volume of the pod.
struct HostVolume<'a> {
    name: &'a str,
    path: String,
    class: HostPathClass,
    json_path: String,
    /// (container index in the `containers()` list, mountPath, readOnly)
    mounts: Vec<(usize, String, bool)>,
}

fn host_volumes<'a>(
    spec: &'a Value,
    spec_path: &str,
    all: &[ContainerRef<'a>],
    policy: &TemplatePolicy,
) -> Vec<HostVolume<'a>> {
    let mut out = Vec::new();
    let Some(volumes) = spec.get("volumes").and_then(Value::as_array) else {
        return out;
    };
    for (i, v) in volumes.iter().enumerate() {
        let Some(raw) = v
            .get("hostPath")
            .and_then(|h| h.get("path"))
            .and_then(Value::as_str)
        else {
            continue;
        };
        let name = str_at(v, "name").unwrap_or("");
        let path = hostpath::normalize(raw);
        let class =
            hostpath::classify(&path, &policy.sensitive_host_paths, &policy.runtime_sockets);
        let mut mounts = Vec::new();
        for (ci, c) in all.iter().enumerate() {
            for m in c
                .container
                .get("volumeMounts")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if str_at(m, "name") == Some(name) {
                    let mount_path = hostpath::normalize(str_at(m, "mountPath").unwrap_or("/"));
                    mounts.push((ci, mount_path, bool_at(m, "readOnly") == Some(true)));
                }
            }
        }
        out.push(HostVolume {
            name,
            path,
            class,
            json_path: join_path(spec_path, &format!("volumes[{i}].hostPath.path")),
            mounts,
        });
    }
    out
}

/// The host path a volume mount really exposes, taking `subPath` into account.
fn effective_host_path(volume_path: &str, container: &Value, volume_name: &str) -> String {
    for m in container
        .get("volumeMounts")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if str_at(m, "name") == Some(volume_name)
            && let Some(sub) = str_at(m, "subPath").filter(|s| !s.is_empty())
        {
            return hostpath::normalize(&format!("{volume_path}/{sub}"));
        }
    }
    volume_path.to_string()
}

/// One piece of command text of a container.
struct CommandText {
    path: String,
    text: String,
    /// The text with env references expanded, when that changes it.
    expanded: Option<String>,
}

impl CommandText {
    /// What to scan: the text as written, then as expanded.
    fn scan_text(&self) -> std::borrow::Cow<'_, str> {
        match &self.expanded {
            Some(e) => std::borrow::Cow::Owned(format!("{}\n{e}", self.text)),
            None => std::borrow::Cow::Borrowed(&self.text),
        }
    }
}

fn string_list(v: Option<&Value>) -> Vec<&str> {
    v.and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

static ENV_REF: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r"\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)|\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)")
        .unwrap_or_else(|e| panic!("bad built-in pattern: {e}"))
});

/// Replace `$(NAME)`, `${NAME}` and `$NAME` with the container's literal env values; unknown
/// names stay as written.
fn expand_env_refs(text: &str, container: &Value) -> String {
    if !text.contains('$') {
        return text.to_string();
    }
    let env: Vec<(&str, &str)> = container
        .get("env")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|e| Some((str_at(e, "name")?, str_at(e, "value")?)))
        .collect();
    if env.is_empty() {
        return text.to_string();
    }
    ENV_REF
        .replace_all(text, |caps: &regex::Captures<'_>| {
            let name = caps
                .get(1)
                .or_else(|| caps.get(2))
                .or_else(|| caps.get(3))
                .map_or("", |m| m.as_str());
            match env.iter().rev().find(|(n, _)| *n == name) {
                Some((_, value)) => (*value).to_string(),
                None => caps.get(0).map_or("", |m| m.as_str()).to_string(),
            }
        })
        .into_owned()
}

/// Every text of a container that ends up executed or handed to a program.
fn command_texts(c: &ContainerRef<'_>) -> Vec<CommandText> {
    let mut out = Vec::new();
    let command = string_list(c.container.get("command"));
    let args = string_list(c.container.get("args"));
    if !command.is_empty() || !args.is_empty() {
        let field = if command.is_empty() {
            "args"
        } else {
            "command"
        };
        let text = command
            .iter()
            .chain(args.iter())
            .copied()
            .collect::<Vec<_>>()
            .join(" ");
        // The kubelet expands $(VAR) in command/args and the shell expands $VAR: a payload split
        // across env values is judged whole by scanning the expanded text too.
        let expanded = expand_env_refs(&text, c.container);
        out.push(CommandText {
            path: join_path(&c.path, field),
            expanded: (expanded != text).then_some(expanded),
            text,
        });
    }
    for (i, e) in c
        .container
        .get("env")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        if let Some(value) = str_at(e, "value").filter(|v| !v.is_empty()) {
            out.push(CommandText {
                path: join_path(&c.path, &format!("env[{i}].value")),
                text: value.to_string(),
                expanded: None,
            });
        }
    }
    for hook in ["postStart", "preStop"] {
        let cmd = string_list(
            c.container
                .get("lifecycle")
                .and_then(|l| l.get(hook))
                .and_then(|h| h.get("exec"))
                .and_then(|e| e.get("command")),
        );
        if !cmd.is_empty() {
            out.push(CommandText {
                path: join_path(&c.path, &format!("lifecycle.{hook}.exec.command")),
                text: cmd.join(" "),
                expanded: None,
            });
        }
    }
    for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
        let cmd = string_list(
            c.container
                .get(probe)
                .and_then(|p| p.get("exec"))
                .and_then(|e| e.get("command")),
        );
        if !cmd.is_empty() {
            out.push(CommandText {
                path: join_path(&c.path, &format!("{probe}.exec.command")),
                text: cmd.join(" "),
                expanded: None,
            });
        }
    }
    out
}

fn sec(v: &Value) -> Option<&Value> {
    v.get("securityContext")
}

/// Judge a pod spec found at `spec_path` (e.g. `spec.jobTemplate.spec.template.spec`) of an object
/// in `namespace`.
pub fn judge_pod_spec(
    spec: &Value,
    spec_path: &str,
    namespace: Option<&str>,
    policy: &TemplatePolicy,
) -> Vec<TemplateFinding> {
    let mut out = Vec::new();
    if !spec.is_object() {
        return out;
    }
    let all = containers(spec, spec_path);
    let pod_sc = sec(spec);
    let volumes = host_volumes(spec, spec_path, &all, policy);

    // Host namespaces.
    let host_pid = bool_at(spec, "hostPID") == Some(true);
    for (key, check, severity, what) in [
        (
            "hostPID",
            "template.hostNamespace.pid",
            Severity::Medium,
            "shares the node's process namespace: it can see and enter every host process",
        ),
        (
            "hostIPC",
            "template.hostNamespace.ipc",
            Severity::Medium,
            "shares the node's IPC namespace",
        ),
        (
            "hostNetwork",
            "template.hostNamespace.network",
            Severity::Low,
            "uses the node's network: reaches node-local services and bypasses network policy",
        ),
    ] {
        if bool_at(spec, key) == Some(true) {
            out.push(finding(
                check,
                severity,
                join_path(spec_path, key),
                format!("{key}: true — the pod {what}; remove it"),
            ));
        }
    }

    // Privilege per container.
    let mut privileged_paths = Vec::new();
    // Capabilities that, like privileged, turn host access into a node takeover.
    let mut escape_caps: Vec<String> = Vec::new();
    let mut ptrace = false;
    let mut escape_cap_path: Option<String> = None;
    let host_process = |sc: Option<&Value>| {
        sc.and_then(|s| s.get("windowsOptions"))
            .and_then(|w| bool_at(w, "hostProcess"))
            == Some(true)
    };
    if host_process(pod_sc) {
        let path = join_path(spec_path, "securityContext.windowsOptions.hostProcess");
        out.push(finding(
            "template.privileged",
            Severity::High,
            path.clone(),
            "the pod runs as a Windows HostProcess: administrator on the node; remove hostProcess"
                .to_string(),
        ));
        privileged_paths.push(path);
    }
    for c in &all {
        let label = container_label(c);
        let csc = sec(c.container);
        if host_process(csc) {
            let path = join_path(&c.path, "securityContext.windowsOptions.hostProcess");
            out.push(finding(
                "template.privileged",
                Severity::High,
                path.clone(),
                format!("{label} is a Windows HostProcess container: administrator on the node; remove hostProcess"),
            ));
            privileged_paths.push(path);
        }
        for cap in string_list(
            csc.and_then(|s| s.get("capabilities"))
                .and_then(|c| c.get("add")),
        ) {
            let cap = normalize_capability(cap);
            match cap.as_str() {
                "ALL" | "SYS_ADMIN" | "SYS_MODULE" => escape_caps.push(cap),
                "SYS_PTRACE" => ptrace = true,
                _ => continue,
            }
            escape_cap_path
                .get_or_insert_with(|| join_path(&c.path, "securityContext.capabilities.add"));
        }
        if csc.and_then(|s| bool_at(s, "privileged")) == Some(true) {
            let path = join_path(&c.path, "securityContext.privileged");
            out.push(finding(
                "template.privileged",
                Severity::High,
                path.clone(),
                format!("{label} is privileged: root on the node; remove privileged: true"),
            ));
            privileged_paths.push(path);
        }
        if csc.and_then(|s| bool_at(s, "allowPrivilegeEscalation")) == Some(true) {
            out.push(finding(
                "template.allowPrivilegeEscalation",
                Severity::Low,
                join_path(&c.path, "securityContext.allowPrivilegeEscalation"),
                format!("{label} sets allowPrivilegeEscalation: true; set it to false"),
            ));
        }
        if csc.and_then(|s| str_at(s, "procMount")) == Some("Unmasked") {
            out.push(finding(
                "template.procMount.unmasked",
                Severity::Medium,
                join_path(&c.path, "securityContext.procMount"),
                format!("{label} mounts an unmasked /proc; remove procMount"),
            ));
        }
        judge_capabilities(c, &label, policy, &mut out);
        judge_run_as_root(c, &label, pod_sc, spec_path, policy, &mut out);
    }
    for (path, sc) in std::iter::once((join_path(spec_path, "securityContext"), pod_sc)).chain(
        all.iter()
            .map(|c| (join_path(&c.path, "securityContext"), sec(c.container))),
    ) {
        if sc
            .and_then(|s| s.get("seccompProfile"))
            .and_then(|p| str_at(p, "type"))
            == Some("Unconfined")
        {
            out.push(finding(
                "template.seccomp.unconfined",
                Severity::Low,
                join_path(&path, "seccompProfile.type"),
                "seccomp is Unconfined: no syscall filter; use RuntimeDefault".to_string(),
            ));
        }
    }

    // hostPath volumes.
    let mut worst_host_path: Option<(Severity, String)> = None;
    for v in &volumes {
        let read_only = !v.mounts.is_empty() && v.mounts.iter().all(|(_, _, ro)| *ro);
        let ro_note = if read_only { " (read-only)" } else { "" };
        let f = match &v.class {
            HostPathClass::RuntimeSocket(socket) => finding(
                "template.hostPath.runtimeSocket",
                Severity::Critical,
                v.json_path.clone(),
                format!(
                    "volume {:?} mounts {} which exposes the runtime socket {socket}: full control of the node's containers; remove it",
                    v.name, v.path
                ),
            ),
            HostPathClass::Sensitive(entry, severity) => {
                let severity = if read_only {
                    severity.lowered()
                } else {
                    *severity
                };
                let entry_norm = hostpath::normalize(entry);
                let covers = if entry_norm == v.path {
                    String::new()
                } else if hostpath::is_within(&entry_norm, &v.path) {
                    format!(" (which holds {entry})")
                } else {
                    format!(" (inside {entry})")
                };
                finding(
                    "template.hostPath.sensitive",
                    severity,
                    v.json_path.clone(),
                    format!(
                        "volume {:?} mounts the node's {}{covers}{ro_note}; use a non-host volume",
                        v.name, v.path
                    ),
                )
            }
            HostPathClass::Other => finding(
                "template.hostPath",
                Severity::Low,
                v.json_path.clone(),
                format!(
                    "volume {:?} mounts the node path {}{ro_note}",
                    v.name, v.path
                ),
            ),
        };
        if f.severity >= Severity::High
            && worst_host_path
                .as_ref()
                .is_none_or(|(s, _)| f.severity > *s)
        {
            worst_host_path = Some((f.severity, v.path.clone()));
        }
        out.push(f);
    }

    // The node takeover combination.
    let privileged = !privileged_paths.is_empty();
    let privileged_like = privileged || !escape_caps.is_empty();
    let host_path = worst_host_path.is_some();
    if (privileged_like && (host_path || host_pid)) || (host_pid && (host_path || ptrace)) {
        let path = if host_pid {
            join_path(spec_path, "hostPID")
        } else {
            privileged_paths
                .first()
                .cloned()
                .or_else(|| escape_cap_path.clone())
                .unwrap_or_else(|| spec_path.to_string())
        };
        let mut parts = Vec::new();
        if privileged {
            parts.push("privileged".to_string());
        }
        escape_caps.sort();
        escape_caps.dedup();
        if ptrace && host_pid {
            escape_caps.push("SYS_PTRACE".to_string());
        }
        if !escape_caps.is_empty() {
            parts.push(format!("capability {}", escape_caps.join("/")));
        }
        if host_pid {
            parts.push("hostPID".to_string());
        }
        if let Some((_, p)) = &worst_host_path {
            parts.push(format!("hostPath {p}"));
        }
        out.push(finding(
            "template.nodeTakeover",
            Severity::Critical,
            path,
            format!(
                "{} together give a root shell on the node; do not run this template",
                parts.join(" + ")
            ),
        ));
    }

    judge_placement(spec, spec_path, namespace, &mut out);
    judge_service_account(spec, spec_path, namespace, policy, &mut out);
    for c in &all {
        judge_image(c, policy, &mut out);
    }
    judge_commands(&all, &volumes, policy, &mut out);

    out.sort_by(|a, b| {
        b.severity
            .cmp(&a.severity)
            .then_with(|| a.path.cmp(&b.path))
            .then_with(|| a.check.cmp(b.check))
    });
    out
}

fn normalize_capability(cap: &str) -> String {
    let upper = cap.trim().to_ascii_uppercase();
    upper
        .strip_prefix("CAP_")
        .map(str::to_string)
        .unwrap_or(upper)
}

fn judge_capabilities(
    c: &ContainerRef<'_>,
    label: &str,
    policy: &TemplatePolicy,
    out: &mut Vec<TemplateFinding>,
) {
    let added = string_list(
        sec(c.container)
            .and_then(|s| s.get("capabilities"))
            .and_then(|c| c.get("add")),
    );
    let mut dangerous = Vec::new();
    let mut other = Vec::new();
    for cap in added {
        let cap = normalize_capability(cap);
        if policy
            .dangerous_capabilities
            .iter()
            .any(|d| normalize_capability(d) == cap)
        {
            dangerous.push(cap);
        } else if !policy
            .harmless_capabilities
            .iter()
            .any(|h| normalize_capability(h) == cap)
        {
            other.push(cap);
        }
    }
    let path = join_path(&c.path, "securityContext.capabilities.add");
    // Service-mesh init containers (istio-init, linkerd-init) are injected by admission webhooks
    // with NET_ADMIN/NET_RAW to set up traffic redirection.
    let mesh_init = str_at(c.container, "image").is_some_and(|img| {
        let img = ImageRef::parse(img);
        policy
            .mesh_init_images
            .iter()
            .any(|m| image::matches_prefix(&img, m))
    }) && dangerous.iter().all(|d| d == "NET_ADMIN" || d == "NET_RAW");
    if mesh_init && !dangerous.is_empty() {
        out.push(finding(
            "template.capabilities.added",
            Severity::Low,
            path,
            format!(
                "{label} (a service-mesh init container) adds {}",
                dangerous.join(", ")
            ),
        ));
        return;
    }
    if !dangerous.is_empty() {
        out.push(finding(
            "template.capabilities.added",
            Severity::High,
            path.clone(),
            format!("{label} adds {}: enough to escape or tamper with the node; drop ALL and add back only what is needed", dangerous.join(", ")),
        ));
    }
    if !other.is_empty() {
        out.push(finding(
            "template.capabilities.added",
            Severity::Low,
            path,
            format!(
                "{label} adds capabilities {}; drop what is not needed",
                other.join(", ")
            ),
        ));
    }
}

fn judge_run_as_root(
    c: &ContainerRef<'_>,
    label: &str,
    pod_sc: Option<&Value>,
    spec_path: &str,
    policy: &TemplatePolicy,
    out: &mut Vec<TemplateFinding>,
) {
    let csc = sec(c.container);
    let uid_of = |s: Option<&Value>| s.and_then(|s| s.get("runAsUser")).and_then(Value::as_i64);
    let non_root_of = |s: Option<&Value>| s.and_then(|s| bool_at(s, "runAsNonRoot"));
    let (uid, uid_path) = match (uid_of(csc), uid_of(pod_sc)) {
        (Some(u), _) => (Some(u), join_path(&c.path, "securityContext.runAsUser")),
        (None, Some(u)) => (Some(u), join_path(spec_path, "securityContext.runAsUser")),
        (None, None) => (None, String::new()),
    };
    let non_root = non_root_of(csc).or(non_root_of(pod_sc));
    if uid == Some(0) {
        out.push(finding(
            "template.runAsRoot",
            Severity::Low,
            uid_path,
            format!("{label} runs as UID 0; set runAsNonRoot: true and a non-zero runAsUser"),
        ));
    } else if uid.is_none() && non_root != Some(true) && policy.report_missing_run_as_non_root {
        out.push(finding(
            "template.runAsRoot",
            Severity::Low,
            join_path(&c.path, "securityContext.runAsNonRoot"),
            format!(
                "{label} may run as root (no runAsNonRoot, no runAsUser); set runAsNonRoot: true"
            ),
        ));
    }
}

const CONTROL_PLANE_LABELS: &[&str] = &[
    "node-role.kubernetes.io/control-plane",
    "node-role.kubernetes.io/master",
];

fn looks_like_control_plane_node(name: &str) -> bool {
    let n = name.to_ascii_lowercase();
    n.contains("control-plane") || n.contains("controlplane") || n.contains("master")
}

fn judge_placement(
    spec: &Value,
    spec_path: &str,
    namespace: Option<&str>,
    out: &mut Vec<TemplateFinding>,
) {
    // Tolerations.
    for (i, t) in spec
        .get("tolerations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
    {
        let key = str_at(t, "key").unwrap_or("");
        let operator = str_at(t, "operator").unwrap_or("Equal");
        let path = join_path(spec_path, &format!("tolerations[{i}]"));
        if key.is_empty() && operator == "Exists" {
            let effect = str_at(t, "effect").filter(|e| !e.is_empty());
            let scope = effect.map_or("every taint".to_string(), |e| format!("every {e} taint"));
            out.push(finding(
                "template.tolerations.all",
                Severity::Medium,
                path,
                format!("toleration with operator Exists and no key tolerates {scope}: the pod can land on any node, control plane included; tolerate specific taints"),
            ));
        } else if CONTROL_PLANE_LABELS.contains(&key) {
            out.push(finding(
                "template.controlPlane",
                Severity::Medium,
                path,
                format!("tolerates the control-plane taint {key}; run workloads on worker nodes"),
            ));
        }
    }
    // nodeSelector.
    if let Some(sel) = spec.get("nodeSelector").and_then(Value::as_object) {
        for key in sel.keys() {
            if CONTROL_PLANE_LABELS.contains(&key.as_str()) {
                out.push(finding(
                    "template.controlPlane",
                    Severity::Medium,
                    key_segment(&join_path(spec_path, "nodeSelector"), key),
                    format!("nodeSelector {key} sends the pod to control-plane nodes; run workloads on worker nodes"),
                ));
            }
        }
    }
    // Node affinity, required and preferred.
    let affinity = spec.get("affinity").and_then(|a| a.get("nodeAffinity"));
    if let Some(aff) = affinity {
        let required = aff
            .get("requiredDuringSchedulingIgnoredDuringExecution")
            .and_then(|r| r.get("nodeSelectorTerms"))
            .and_then(Value::as_array);
        let mut terms: Vec<(String, &Value)> = Vec::new();
        for (i, term) in required.into_iter().flatten().enumerate() {
            terms.push((format!("affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[{i}]"), term));
        }
        for (i, pref) in aff
            .get("preferredDuringSchedulingIgnoredDuringExecution")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .enumerate()
        {
            if let Some(term) = pref.get("preference") {
                terms.push((format!("affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[{i}].preference"), term));
            }
        }
        for (term_path, term) in terms {
            for (j, expr) in term
                .get("matchExpressions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let key = str_at(expr, "key").unwrap_or("");
                let op = str_at(expr, "operator").unwrap_or("");
                if CONTROL_PLANE_LABELS.contains(&key) && matches!(op, "In" | "Exists") {
                    out.push(finding(
                        "template.controlPlane",
                        Severity::Medium,
                        join_path(spec_path, &format!("{term_path}.matchExpressions[{j}]")),
                        format!("node affinity on {key} sends the pod to control-plane nodes; run workloads on worker nodes"),
                    ));
                }
            }
        }
    }
    // nodeName.
    if let Some(node) = str_at(spec, "nodeName").filter(|n| !n.is_empty()) {
        let path = join_path(spec_path, "nodeName");
        if looks_like_control_plane_node(node) {
            out.push(finding(
                "template.controlPlane",
                Severity::Medium,
                path,
                format!("nodeName {node:?} pins the pod to what looks like a control-plane node; remove nodeName"),
            ));
        } else {
            out.push(finding(
                "template.nodeName",
                Severity::Low,
                path,
                format!("nodeName {node:?} bypasses the scheduler; use node affinity"),
            ));
        }
    }
    // System priority classes outside kube-system.
    if let Some(pc) = str_at(spec, "priorityClassName")
        && matches!(pc, "system-node-critical" | "system-cluster-critical")
        && namespace != Some("kube-system")
    {
        out.push(finding(
            "template.priorityClass.system",
            Severity::Low,
            join_path(spec_path, "priorityClassName"),
            format!("priorityClassName {pc} outside kube-system makes the pod hard to evict and look like a system component"),
        ));
    }
}

fn judge_service_account(
    spec: &Value,
    spec_path: &str,
    namespace: Option<&str>,
    policy: &TemplatePolicy,
    out: &mut Vec<TemplateFinding>,
) {
    let (field, name) = match (
        str_at(spec, "serviceAccountName"),
        str_at(spec, "serviceAccount"),
    ) {
        (Some(n), _) if !n.is_empty() => ("serviceAccountName", n),
        (_, Some(n)) if !n.is_empty() => ("serviceAccount", n),
        _ => return,
    };
    let ns = namespace.unwrap_or("");
    let qualified = format!("{ns}/{name}");
    let Some(pattern) = policy
        .privileged_service_accounts
        .iter()
        .find(|p| glob_match(p, &qualified))
    else {
        return;
    };
    let no_token = bool_at(spec, "automountServiceAccountToken") == Some(false);
    let (severity, token_note) = if no_token {
        (
            Severity::Medium,
            " (token automount is off, but the pod can still request one)",
        )
    } else {
        (Severity::High, "")
    };
    out.push(finding(
        "template.serviceAccount.privileged",
        severity,
        join_path(spec_path, field),
        format!("runs as service account {qualified} (matches {pattern}){token_note}: the job gets that account's rights; give it its own least-privilege account"),
    ));
}

const MINER_IMAGE_WORDS: &[&str] = &[
    "xmrig",
    "xmr-stak",
    "cpuminer",
    "minerd",
    "monero-miner",
    "cryptominer",
    "ethminer",
    "nbminer",
    "lolminer",
    "kdevtmpfsi",
];

fn judge_image(c: &ContainerRef<'_>, policy: &TemplatePolicy, out: &mut Vec<TemplateFinding>) {
    let Some(raw) = str_at(c.container, "image").filter(|i| !i.trim().is_empty()) else {
        return;
    };
    let label = container_label(c);
    let path = join_path(&c.path, "image");
    let image = ImageRef::parse(raw);
    if let Some(ip) = image.ip() {
        let internal = image::is_internal_ip(ip);
        out.push(finding(
            "template.image.ipRegistry",
            if internal {
                Severity::Low
            } else {
                Severity::High
            },
            path.clone(),
            format!(
                "{label} pulls {raw} from {} registry {}; pull from a named, trusted registry",
                if internal {
                    "the private-IP"
                } else {
                    "the public-IP"
                },
                image.registry
            ),
        ));
    }
    if !policy.trusted_registries.is_empty()
        && !policy
            .trusted_registries
            .iter()
            .any(|t| image::matches_prefix(&image, t))
    {
        out.push(finding(
            "template.image.untrustedRegistry",
            Severity::Medium,
            path.clone(),
            format!("{label} image {raw} is not from a trusted registry ({}); mirror it or trust its registry", policy.trusted_registries.join(", ")),
        ));
    }
    let lower = image.repository.to_ascii_lowercase();
    if let Some(word) = MINER_IMAGE_WORDS.iter().find(|w| lower.contains(*w)) {
        out.push(finding(
            "template.image.miner",
            Severity::High,
            path.clone(),
            format!(
                "{label} image {raw} is named like a cryptominer ({word}); delete the workload"
            ),
        ));
    }
    if image.digest.is_none() {
        if matches!(image.tag.as_deref(), None | Some("latest")) {
            out.push(finding(
                "template.image.latest",
                Severity::Low,
                path.clone(),
                format!("{label} image {raw} has no version tag (latest); pin a tag and digest"),
            ));
        } else if policy.report_no_digest {
            out.push(finding(
                "template.image.noDigest",
                Severity::Info,
                path,
                format!("{label} image {raw} is not pinned by digest"),
            ));
        }
    }
}

/// Node locations whose modification persists on (or takes over) the node, and the check that
/// reports a write to them. The optional word must also appear (e.g. `authorized_keys` under
/// `/root`).
const NODE_WRITE_TARGETS: &[(&str, &str, Option<&str>, &str)] = &[
    ("/etc/cron", NODE_CRON, None, "the node's cron"),
    ("/var/spool/cron", NODE_CRON, None, "the node's cron"),
    ("/etc/anacrontab", NODE_CRON, None, "the node's cron"),
    (
        "/etc/systemd/system",
        NODE_PERSISTENCE,
        None,
        "the node's systemd units",
    ),
    (
        "/lib/systemd/system",
        NODE_PERSISTENCE,
        None,
        "the node's systemd units",
    ),
    (
        "/usr/lib/systemd/system",
        NODE_PERSISTENCE,
        None,
        "the node's systemd units",
    ),
    (
        "/etc/rc.local",
        NODE_PERSISTENCE,
        None,
        "the node's boot script",
    ),
    (
        "/etc/ld.so.preload",
        NODE_PERSISTENCE,
        None,
        "the node's ld.so.preload (a rootkit hook)",
    ),
    (
        "/etc/kubernetes/manifests",
        NODE_PERSISTENCE,
        None,
        "the kubelet's static pod manifests",
    ),
    ("/etc/sudoers", NODE_PERSISTENCE, None, "the node's sudoers"),
    (
        "/etc/profile.d",
        NODE_PERSISTENCE,
        None,
        "the node's login scripts",
    ),
    (
        "/root/.ssh",
        NODE_PERSISTENCE,
        Some("authorized_keys"),
        "root's SSH authorized_keys",
    ),
    (
        "/home",
        NODE_PERSISTENCE,
        Some("authorized_keys"),
        "a user's SSH authorized_keys",
    ),
];

const NODE_CRON: &str = "template.hostPath.nodeCron";
const NODE_PERSISTENCE: &str = "template.hostPath.nodePersistence";

/// Commands that write files (a mention of a path alone may be a read).
static WRITES: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
    regex::Regex::new(r">|\btee\b|\bcp\b|\bmv\b|\binstall\b|\bln\s|\bsed\s+-i|\bcrontab\b|\bsystemctl\s+enable|\bchmod\b|\bdd\b|\bcurl\b[^\n;|]*\s-o|\bwget\b")
        .unwrap_or_else(|e| panic!("bad built-in pattern: {e}"))
});

/// A node location visible in the container: (check, what it is, container-side path, word).
struct NodeView {
    check: &'static str,
    what: &'static str,
    view: String,
    word: Option<&'static str>,
}

/// Where the node's persistence locations are visible through a writable hostPath mount.
fn node_views(volume_path: &str, mount_path: &str) -> Vec<NodeView> {
    let mount = mount_path.trim_end_matches('/');
    let mut out = Vec::new();
    for (root, check, word, what) in NODE_WRITE_TARGETS {
        let view = if volume_path == "/" {
            format!("{mount}{root}")
        } else if root.starts_with(&format!("{volume_path}/")) {
            format!("{mount}{}", root.get(volume_path.len()..).unwrap_or(""))
        } else if volume_path.starts_with(root) {
            mount_path.to_string()
        } else {
            continue;
        };
        out.push(NodeView {
            check,
            what,
            view,
            word: *word,
        });
    }
    out
}

fn judge_commands(
    all: &[ContainerRef<'_>],
    volumes: &[HostVolume<'_>],
    policy: &TemplatePolicy,
    out: &mut Vec<TemplateFinding>,
) {
    for (ci, c) in all.iter().enumerate() {
        let label = container_label(c);
        let mut host_root_mounts = Vec::new();
        let mut views: Vec<NodeView> = Vec::new();
        for v in volumes {
            for (mci, mount_path, read_only) in &v.mounts {
                if *mci != ci {
                    continue;
                }
                let host = effective_host_path(&v.path, c.container, v.name);
                if host == "/" {
                    host_root_mounts.push(mount_path.clone());
                }
                if !read_only {
                    views.extend(node_views(&host, mount_path));
                }
            }
        }
        let ctx = ScanContext {
            host_root_mounts: host_root_mounts.clone(),
            trusted_download_hosts: &policy.trusted_download_hosts,
        };
        let mut reported: BTreeSet<(&'static str, String)> = BTreeSet::new();
        for t in command_texts(c) {
            let scan_text = t.scan_text();
            let result = commands::scan(&scan_text, &ctx);
            // An env value naming the metadata endpoint is configuration (EKS Pod Identity,
            // ECS), not access.
            let is_env = t.path.contains(".env[");
            for hit in best_per_check(&result.hits) {
                if is_env && hit.check == "template.command.credentialAccess" {
                    continue;
                }
                if reported.insert((hit.check, t.path.clone())) {
                    let origin = if hit.decoded {
                        " (inside base64-decoded text)"
                    } else {
                        ""
                    };
                    out.push(finding(
                        hit.check,
                        hit.severity,
                        t.path.clone(),
                        format!("{label}: {}{origin}: `{}`", hit.what, hit.snippet),
                    ));
                }
            }
            // Writes to the node's cron and other persistence locations through a hostPath.
            let texts: Vec<&str> = std::iter::once(scan_text.as_ref())
                .chain(result.decoded.iter().map(String::as_str))
                .collect();
            for (check, msg) in node_writes(&texts, &views, &host_root_mounts) {
                if reported.insert((check, t.path.clone())) {
                    out.push(finding(
                        check,
                        Severity::Critical,
                        t.path.clone(),
                        format!("{label}: {msg}; inspect every node it ran on"),
                    ));
                }
            }
        }
    }
}

/// The most severe hit of each check (several patterns of one check often match one text).
fn best_per_check(hits: &[CommandHit]) -> Vec<&CommandHit> {
    let mut best: Vec<&CommandHit> = Vec::new();
    for h in hits {
        match best.iter_mut().find(|b| b.check == h.check) {
            Some(b) if h.severity > b.severity => *b = h,
            Some(_) => {}
            None => best.push(h),
        }
    }
    best
}

/// Writes to node persistence locations: through a hostPath view, or inside a chroot of the host
/// root.
fn node_writes(
    texts: &[&str],
    views: &[NodeView],
    host_root_mounts: &[String],
) -> Vec<(&'static str, String)> {
    let mut out: Vec<(&'static str, String)> = Vec::new();
    let mut add = |check: &'static str, msg: String| {
        if !out.iter().any(|(c, _)| *c == check) {
            out.push((check, msg));
        }
    };
    for text in texts {
        if !WRITES.is_match(text) {
            continue;
        }
        for v in views {
            if text.contains(v.view.as_str()) && v.word.is_none_or(|w| text.contains(w)) {
                add(
                    v.check,
                    format!("writes {} ({}) through a hostPath", v.view, v.what),
                );
            }
        }
        for m in host_root_mounts {
            if !text.contains(&format!("chroot {m}")) {
                continue;
            }
            if text.contains("crontab")
                || text.contains("/etc/cron")
                || text.contains("/var/spool/cron")
            {
                add(
                    NODE_CRON,
                    format!("edits the node's cron inside `chroot {m}`"),
                );
            }
            if text.contains("authorized_keys")
                || text.contains("systemctl enable")
                || text.contains("/etc/systemd/system")
                || text.contains("ld.so.preload")
            {
                add(
                    NODE_PERSISTENCE,
                    format!("installs persistence on the node inside `chroot {m}`"),
                );
            }
        }
        if text.contains("crontab") && views.iter().any(|v| v.check == NODE_CRON) {
            add(
                NODE_CRON,
                "runs crontab with the node's cron directory mounted".to_string(),
            );
        }
    }
    out
}

/// Facts about a pod template for diffing and derived fields.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct TemplateSummary {
    /// Images of every container, in container order.
    pub images: Vec<String>,
    /// The service account (`serviceAccountName`, or the deprecated `serviceAccount`).
    pub service_account: Option<String>,
    /// `automountServiceAccountToken` as written.
    pub automount_service_account_token: Option<bool>,
    /// `command` + `args` of each container joined with spaces, prefixed by the container name.
    pub command_lines: Vec<String>,
    /// Texts decoded from base64 literals in commands and env values.
    pub decoded_commands: Vec<String>,
    /// Normalised hostPath paths.
    pub host_paths: Vec<String>,
    /// Names of privileged containers.
    pub privileged_containers: Vec<String>,
    /// Capabilities added anywhere (normalised, without `CAP_`).
    pub added_capabilities: Vec<String>,
    /// `hostPID`.
    pub host_pid: bool,
    /// `hostIPC`.
    pub host_ipc: bool,
    /// `hostNetwork`.
    pub host_network: bool,
    /// `nodeName`, when set.
    pub node_name: Option<String>,
}

/// One field that differs between two summaries (or two CronJob fact sets).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldChange {
    /// The summary field, e.g. `images`, `command_lines`, `service_account`, `schedule`.
    pub field: &'static str,
    /// The value before, rendered for people (`-` when absent).
    pub before: String,
    /// The value after.
    pub after: String,
}

pub(crate) fn render_list(v: &[String]) -> String {
    if v.is_empty() {
        "-".to_string()
    } else {
        v.join(", ")
    }
}

pub(crate) fn render_opt<T: std::fmt::Display>(v: &Option<T>) -> String {
    v.as_ref().map_or("-".to_string(), |x| x.to_string())
}

impl TemplateSummary {
    /// What changed from `self` to `after`, in a fixed field order: what a hijack changes
    /// (images, commands, service account) comes first.
    pub fn changes(&self, after: &TemplateSummary) -> Vec<FieldChange> {
        let mut out = Vec::new();
        let mut cmp = |field: &'static str, before: String, after: String| {
            if before != after {
                out.push(FieldChange {
                    field,
                    before,
                    after,
                });
            }
        };
        cmp(
            "images",
            render_list(&self.images),
            render_list(&after.images),
        );
        cmp(
            "command_lines",
            render_list(&self.command_lines),
            render_list(&after.command_lines),
        );
        cmp(
            "decoded_commands",
            render_list(&self.decoded_commands),
            render_list(&after.decoded_commands),
        );
        cmp(
            "service_account",
            render_opt(&self.service_account),
            render_opt(&after.service_account),
        );
        cmp(
            "automount_service_account_token",
            render_opt(&self.automount_service_account_token),
            render_opt(&after.automount_service_account_token),
        );
        cmp(
            "host_paths",
            render_list(&self.host_paths),
            render_list(&after.host_paths),
        );
        cmp(
            "privileged_containers",
            render_list(&self.privileged_containers),
            render_list(&after.privileged_containers),
        );
        cmp(
            "added_capabilities",
            render_list(&self.added_capabilities),
            render_list(&after.added_capabilities),
        );
        cmp(
            "host_pid",
            self.host_pid.to_string(),
            after.host_pid.to_string(),
        );
        cmp(
            "host_ipc",
            self.host_ipc.to_string(),
            after.host_ipc.to_string(),
        );
        cmp(
            "host_network",
            self.host_network.to_string(),
            after.host_network.to_string(),
        );
        cmp(
            "node_name",
            render_opt(&self.node_name),
            render_opt(&after.node_name),
        );
        out
    }
}

/// Summarise a pod spec.
pub fn summarize_pod_spec(spec: &Value) -> TemplateSummary {
    let all = containers(spec, "");
    let mut s = TemplateSummary {
        service_account: str_at(spec, "serviceAccountName")
            .or_else(|| str_at(spec, "serviceAccount"))
            .filter(|n| !n.is_empty())
            .map(str::to_string),
        automount_service_account_token: bool_at(spec, "automountServiceAccountToken"),
        host_pid: bool_at(spec, "hostPID") == Some(true),
        host_ipc: bool_at(spec, "hostIPC") == Some(true),
        host_network: bool_at(spec, "hostNetwork") == Some(true),
        node_name: str_at(spec, "nodeName").map(str::to_string),
        ..TemplateSummary::default()
    };
    let ctx = ScanContext::default();
    for c in &all {
        let name = c.name.unwrap_or("");
        if let Some(image) = str_at(c.container, "image") {
            s.images.push(image.to_string());
        }
        if sec(c.container).and_then(|x| bool_at(x, "privileged")) == Some(true) {
            s.privileged_containers.push(name.to_string());
        }
        for cap in string_list(
            sec(c.container)
                .and_then(|x| x.get("capabilities"))
                .and_then(|x| x.get("add")),
        ) {
            let cap = normalize_capability(cap);
            if !s.added_capabilities.contains(&cap) {
                s.added_capabilities.push(cap);
            }
        }
        for (i, t) in command_texts(c).into_iter().enumerate() {
            if i == 0 && (t.path.ends_with("command") || t.path.ends_with("args")) {
                s.command_lines.push(format!("{name}: {}", t.text));
            }
            for d in commands::scan(&t.text, &ctx).decoded {
                if !s.decoded_commands.contains(&d) {
                    s.decoded_commands.push(d);
                }
            }
        }
    }
    for v in spec
        .get("volumes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if let Some(p) = v
            .get("hostPath")
            .and_then(|h| h.get("path"))
            .and_then(Value::as_str)
        {
            s.host_paths.push(hostpath::normalize(p));
        }
    }
    s
}

#[cfg(test)]
mod tests;
