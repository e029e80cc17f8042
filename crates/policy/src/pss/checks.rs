//! The individual Pod Security Standards checks, one function per upstream check revision.
//!
//! Each function mirrors `policy/check_<id>.go` of kubernetes/pod-security-admission: the
//! same fields, the same allowed values, the same forbidden reason and detail text. Go's
//! typed decoding is reproduced on `serde_json::Value`: a key that is absent or `null` is a
//! nil pointer, and a value of the wrong JSON type counts as unset (the API server would
//! reject such an object before admission).

use super::Violation;
use serde_json::{Map, Value};
use std::collections::BTreeSet;

/// A pod as the checks see it: its metadata (for annotations) and its spec, both relative to
/// the pod, so paths start with `metadata.` or `spec.`.
pub(crate) struct Pod<'a> {
    pub(crate) metadata: &'a Value,
    pub(crate) spec: &'a Value,
}

/// One container of any kind, with the path that leads to it.
struct Container<'a> {
    name: &'a str,
    path: String,
    value: &'a Value,
}

/// A field that is present and not `null` (a non-nil pointer in Go).
fn field<'a>(value: &'a Value, key: &str) -> Option<&'a Value> {
    value.get(key).filter(|v| !v.is_null())
}

fn str_field<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or("")
}

fn bool_field(value: &Value, key: &str) -> Option<bool> {
    value.get(key).and_then(Value::as_bool)
}

fn array<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

fn is_zero(value: &Value) -> bool {
    value.as_i64() == Some(0) || value.as_u64() == Some(0) || value.as_f64() == Some(0.0)
}

/// Upstream's `joinQuote`: `"a", "b"`.
fn join_quote<S: AsRef<str>>(items: &[S]) -> String {
    if items.is_empty() {
        return String::new();
    }
    let inner: Vec<&str> = items.iter().map(AsRef::as_ref).collect();
    format!("\"{}\"", inner.join("\", \""))
}

fn pluralize<'a>(singular: &'a str, plural: &'a str, count: usize) -> &'a str {
    if count == 1 { singular } else { plural }
}

fn sorted(set: BTreeSet<String>) -> Vec<String> {
    set.into_iter().collect()
}

/// Init containers, containers, then ephemeral containers, as upstream's `visitContainers`.
fn containers<'a>(spec: &'a Value) -> Vec<Container<'a>> {
    let mut out = Vec::new();
    for kind in ["initContainers", "containers", "ephemeralContainers"] {
        for (index, value) in array(spec, kind).iter().enumerate() {
            out.push(Container {
                name: str_field(value, "name"),
                path: format!("spec.{kind}[{index}]"),
                value,
            });
        }
    }
    out
}

fn security_context(value: &Value) -> Option<&Value> {
    field(value, "securityContext").filter(|v| v.is_object())
}

fn annotations(metadata: &Value) -> Option<&Map<String, Value>> {
    metadata.get("annotations").and_then(Value::as_object)
}

fn annotation_path(key: &str) -> String {
    format!("metadata.annotations[{}]", Value::String(key.to_string()))
}

/// `spec.os.name == "windows"`: the 1.25+ restricted exemptions.
fn is_windows(pod: &Pod<'_>) -> bool {
    pod.spec
        .get("os")
        .and_then(|os| os.get("name"))
        .and_then(Value::as_str)
        == Some("windows")
}

/// `spec.hostUsers: false`: the 1.35+ user-namespace relaxations.
fn in_user_namespace(pod: &Pod<'_>) -> bool {
    bool_field(pod.spec, "hostUsers") == Some(false)
}

/// "pod and containers "a", "b"" as upstream joins its bad setters.
fn setters(pod_is_bad: bool, containers: &[&str]) -> Vec<String> {
    let mut out = Vec::new();
    if pod_is_bad {
        out.push("pod".to_string());
    }
    if !containers.is_empty() {
        out.push(format!(
            "{} {}",
            pluralize("container", "containers", containers.len()),
            join_quote(containers)
        ));
    }
    out
}

fn violation(
    check: &'static str,
    reason: impl Into<String>,
    detail: String,
    paths: Vec<String>,
) -> Option<Violation> {
    Some(Violation {
        check,
        reason: reason.into(),
        detail,
        paths,
    })
}

// ---------------------------------------------------------------- baseline

pub(crate) fn host_namespaces(pod: &Pod<'_>) -> Option<Violation> {
    let mut found = Vec::new();
    let mut paths = Vec::new();
    for key in ["hostNetwork", "hostPID", "hostIPC"] {
        if bool_field(pod.spec, key) == Some(true) {
            found.push(format!("{key}=true"));
            paths.push(format!("spec.{key}"));
        }
    }
    if found.is_empty() {
        return None;
    }
    violation("hostNamespaces", "host namespaces", found.join(", "), paths)
}

pub(crate) fn privileged(pod: &Pod<'_>) -> Option<Violation> {
    let mut bad = Vec::new();
    let mut paths = Vec::new();
    for c in containers(pod.spec) {
        if security_context(c.value).and_then(|sc| bool_field(sc, "privileged")) == Some(true) {
            bad.push(c.name);
            paths.push(format!("{}.securityContext.privileged", c.path));
        }
    }
    if bad.is_empty() {
        return None;
    }
    let detail = format!(
        "{} {} must not set securityContext.privileged=true",
        pluralize("container", "containers", bad.len()),
        join_quote(&bad)
    );
    violation("privileged", "privileged", detail, paths)
}

const CAPABILITIES_ALLOWED_1_0: [&str; 13] = [
    "AUDIT_WRITE",
    "CHOWN",
    "DAC_OVERRIDE",
    "FOWNER",
    "FSETID",
    "KILL",
    "MKNOD",
    "NET_BIND_SERVICE",
    "SETFCAP",
    "SETGID",
    "SETPCAP",
    "SETUID",
    "SYS_CHROOT",
];

fn capabilities(value: &Value) -> Option<&Value> {
    security_context(value).and_then(|sc| field(sc, "capabilities"))
}

pub(crate) fn capabilities_baseline(pod: &Pod<'_>) -> Option<Violation> {
    let mut bad = Vec::new();
    let mut caps = BTreeSet::new();
    let mut paths = Vec::new();
    for c in containers(pod.spec) {
        let Some(cap) = capabilities(c.value) else {
            continue;
        };
        let mut valid = true;
        for (i, added) in array(cap, "add").iter().enumerate() {
            let name = added.as_str().unwrap_or("");
            if !CAPABILITIES_ALLOWED_1_0.contains(&name) {
                valid = false;
                caps.insert(name.to_string());
                paths.push(format!("{}.securityContext.capabilities.add[{i}]", c.path));
            }
        }
        if !valid {
            bad.push(c.name);
        }
    }
    if bad.is_empty() {
        return None;
    }
    let detail = format!(
        "{} {} must not include {} in securityContext.capabilities.add",
        pluralize("container", "containers", bad.len()),
        join_quote(&bad),
        join_quote(&sorted(caps))
    );
    violation(
        "capabilities_baseline",
        "non-default capabilities",
        detail,
        paths,
    )
}

pub(crate) fn host_path_volumes(pod: &Pod<'_>) -> Option<Violation> {
    let mut names = Vec::new();
    let mut paths = Vec::new();
    for (i, volume) in array(pod.spec, "volumes").iter().enumerate() {
        if field(volume, "hostPath").is_some() {
            names.push(str_field(volume, "name"));
            paths.push(format!("spec.volumes[{i}].hostPath"));
        }
    }
    if names.is_empty() {
        return None;
    }
    let detail = format!(
        "{} {}",
        pluralize("volume", "volumes", names.len()),
        join_quote(&names)
    );
    violation("hostPathVolumes", "hostPath volumes", detail, paths)
}

pub(crate) fn host_ports(pod: &Pod<'_>) -> Option<Violation> {
    let mut bad = Vec::new();
    let mut ports = BTreeSet::new();
    let mut paths = Vec::new();
    for c in containers(pod.spec) {
        let mut valid = true;
        for (i, port) in array(c.value, "ports").iter().enumerate() {
            if let Some(host_port) = field(port, "hostPort")
                && !is_zero(host_port)
            {
                valid = false;
                ports.insert(host_port.to_string().trim_matches('"').to_string());
                paths.push(format!("{}.ports[{i}].hostPort", c.path));
            }
        }
        if !valid {
            bad.push(c.name);
        }
    }
    if bad.is_empty() {
        return None;
    }
    let ports = sorted(ports);
    let detail = format!(
        "{} {} {} {} {}",
        pluralize("container", "containers", bad.len()),
        join_quote(&bad),
        pluralize("uses", "use", bad.len()),
        pluralize("hostPort", "hostPorts", ports.len()),
        ports.join(", ")
    );
    violation("hostPorts", "hostPort", detail, paths)
}

const APPARMOR_ANNOTATION_PREFIX: &str = "container.apparmor.security.beta.kubernetes.io/";

fn allowed_apparmor_annotation(value: &str) -> bool {
    value.is_empty() || value == "runtime/default" || value.starts_with("localhost/")
}

fn allowed_apparmor_type(value: &str) -> bool {
    matches!(value, "RuntimeDefault" | "Localhost")
}

/// One version since 1.0; the field check was added in place (upstream 1.30), so it applies
/// at every policy version.
pub(crate) fn app_armor_profile(pod: &Pod<'_>) -> Option<Violation> {
    let mut bad_values = BTreeSet::new();
    let mut paths = Vec::new();
    let mut pod_bad = false;
    if let Some(profile) = security_context(pod.spec).and_then(|sc| field(sc, "appArmorProfile")) {
        let kind = str_field(profile, "type");
        if !allowed_apparmor_type(kind) {
            pod_bad = true;
            bad_values.insert(kind.to_string());
            paths.push("spec.securityContext.appArmorProfile.type".to_string());
        }
    }
    let mut bad_containers = Vec::new();
    for c in containers(pod.spec) {
        if let Some(profile) = security_context(c.value).and_then(|sc| field(sc, "appArmorProfile"))
        {
            let kind = str_field(profile, "type");
            if !allowed_apparmor_type(kind) {
                bad_containers.push(c.name);
                bad_values.insert(kind.to_string());
                paths.push(format!("{}.securityContext.appArmorProfile.type", c.path));
            }
        }
    }
    let mut bad_setters = setters(pod_bad, &bad_containers);
    let mut bad_annotations = Vec::new();
    if let Some(map) = annotations(pod.metadata) {
        for (key, value) in map {
            let value = value.as_str().unwrap_or("");
            if key.starts_with(APPARMOR_ANNOTATION_PREFIX) && !allowed_apparmor_annotation(value) {
                bad_annotations.push(format!("{key}={value:?}"));
                paths.push(annotation_path(key));
            }
        }
    }
    let mut values = sorted(bad_values);
    if !bad_annotations.is_empty() {
        bad_annotations.sort();
        bad_setters.push(pluralize("annotation", "annotations", bad_annotations.len()).to_string());
        values.extend(bad_annotations);
    }
    if bad_setters.is_empty() {
        return None;
    }
    let reason = pluralize(
        "forbidden AppArmor profile",
        "forbidden AppArmor profiles",
        values.len(),
    );
    let detail = format!(
        "{} must not set AppArmor profile type to {}",
        bad_setters.join(" and "),
        join_quote(&values)
    );
    violation("appArmorProfile", reason, detail, paths)
}

pub(crate) fn se_linux_options(pod: &Pod<'_>, minor: u32) -> Option<Violation> {
    let allowed_type = |t: &str| {
        matches!(
            t,
            "" | "container_t" | "container_init_t" | "container_kvm_t"
        ) || (minor >= 31 && t == "container_engine_t")
    };
    let mut bad_types = BTreeSet::new();
    let mut set_user = false;
    let mut set_role = false;
    let mut paths = Vec::new();
    let mut judge = |options: &Value, at: &str, paths: &mut Vec<String>| -> bool {
        let mut valid = true;
        let kind = str_field(options, "type");
        if !allowed_type(kind) {
            valid = false;
            bad_types.insert(kind.to_string());
            paths.push(format!("{at}.seLinuxOptions.type"));
        }
        if !str_field(options, "user").is_empty() {
            valid = false;
            set_user = true;
            paths.push(format!("{at}.seLinuxOptions.user"));
        }
        if !str_field(options, "role").is_empty() {
            valid = false;
            set_role = true;
            paths.push(format!("{at}.seLinuxOptions.role"));
        }
        valid
    };
    let mut pod_bad = false;
    if let Some(options) = security_context(pod.spec).and_then(|sc| field(sc, "seLinuxOptions")) {
        pod_bad = !judge(options, "spec.securityContext", &mut paths);
    }
    let mut bad_containers = Vec::new();
    for c in containers(pod.spec) {
        if let Some(options) = security_context(c.value).and_then(|sc| field(sc, "seLinuxOptions"))
        {
            let at = format!("{}.securityContext", c.path);
            if !judge(options, &at, &mut paths) {
                bad_containers.push(c.name);
            }
        }
    }
    let bad_setters = setters(pod_bad, &bad_containers);
    if bad_setters.is_empty() {
        return None;
    }
    // Upstream only lists user/role when a type is also bad; kept for identical messages.
    let mut bad_data = Vec::new();
    if !bad_types.is_empty() {
        let types = sorted(bad_types);
        bad_data.push(format!(
            "{} {}",
            pluralize("type", "types", types.len()),
            join_quote(&types)
        ));
        if set_user {
            bad_data.push("user may not be set".to_string());
        }
        if set_role {
            bad_data.push("role may not be set".to_string());
        }
    }
    let detail = format!(
        "{} set forbidden securityContext.seLinuxOptions: {}",
        bad_setters.join(" and "),
        bad_data.join("; ")
    );
    violation("seLinuxOptions", "seLinuxOptions", detail, paths)
}

/// The unconditional procMount rule (`procMount_1_0`), reported under `check`.
fn proc_mount_strict(pod: &Pod<'_>, check: &'static str) -> Option<Violation> {
    let mut bad = Vec::new();
    let mut kinds = BTreeSet::new();
    let mut paths = Vec::new();
    for c in containers(pod.spec) {
        let Some(sc) = security_context(c.value) else {
            continue;
        };
        let Some(mount) = field(sc, "procMount") else {
            continue;
        };
        let mount = mount.as_str().unwrap_or("");
        if mount != "Default" {
            bad.push(c.name);
            kinds.insert(mount.to_string());
            paths.push(format!("{}.securityContext.procMount", c.path));
        }
    }
    if bad.is_empty() {
        return None;
    }
    let detail = format!(
        "{} {} must not set securityContext.procMount to {}",
        pluralize("container", "containers", bad.len()),
        join_quote(&bad),
        join_quote(&sorted(kinds))
    );
    violation(check, "procMount", detail, paths)
}

pub(crate) fn proc_mount(pod: &Pod<'_>, minor: u32) -> Option<Violation> {
    if minor >= 35 && in_user_namespace(pod) {
        return None;
    }
    proc_mount_strict(pod, "procMount")
}

pub(crate) fn proc_mount_restricted(pod: &Pod<'_>) -> Option<Violation> {
    proc_mount_strict(pod, "procMount_restricted")
}

const SECCOMP_POD_ANNOTATION: &str = "seccomp.security.alpha.kubernetes.io/pod";
const SECCOMP_CONTAINER_ANNOTATION_PREFIX: &str = "container.seccomp.security.alpha.kubernetes.io/";

fn valid_seccomp_annotation(value: &str) -> bool {
    value == "runtime/default" || value == "docker/default" || value.starts_with("localhost/")
}

fn valid_seccomp_type(value: &str) -> bool {
    matches!(value, "Localhost" | "RuntimeDefault")
}

pub(crate) fn seccomp_profile_baseline(pod: &Pod<'_>, minor: u32) -> Option<Violation> {
    if minor < 19 {
        seccomp_baseline_annotations(pod)
    } else {
        seccomp_baseline_fields(pod)
    }
}

fn seccomp_baseline_annotations(pod: &Pod<'_>) -> Option<Violation> {
    let map = annotations(pod.metadata)?;
    let mut forbidden = BTreeSet::new();
    let mut paths = Vec::new();
    let mut judge = |key: String| {
        if let Some(value) = map.get(&key) {
            let value = value.as_str().unwrap_or("");
            if !valid_seccomp_annotation(value) {
                paths.push(annotation_path(&key));
                forbidden.insert(format!("{key}={value:?}"));
            }
        }
    };
    judge(SECCOMP_POD_ANNOTATION.to_string());
    for c in containers(pod.spec) {
        judge(format!("{SECCOMP_CONTAINER_ANNOTATION_PREFIX}{}", c.name));
    }
    if forbidden.is_empty() {
        return None;
    }
    paths.dedup();
    let list = sorted(forbidden);
    let detail = format!(
        "forbidden {} {}",
        pluralize("annotation", "annotations", list.len()),
        list.join(", ")
    );
    violation("seccompProfile_baseline", "seccompProfile", detail, paths)
}

/// Shared by the baseline (1.19+) and restricted checks: which explicit seccomp settings are bad,
/// and which containers have none.
struct SeccompSurvey<'a> {
    pod_set_valid: bool,
    pod_bad: bool,
    bad_values: BTreeSet<String>,
    explicitly_bad: Vec<&'a str>,
    unset: Vec<(&'a str, String)>,
    paths: Vec<String>,
}

fn survey_seccomp<'a>(pod: &Pod<'a>) -> SeccompSurvey<'a> {
    let mut survey = SeccompSurvey {
        pod_set_valid: false,
        pod_bad: false,
        bad_values: BTreeSet::new(),
        explicitly_bad: Vec::new(),
        unset: Vec::new(),
        paths: Vec::new(),
    };
    if let Some(profile) = security_context(pod.spec).and_then(|sc| field(sc, "seccompProfile")) {
        let kind = str_field(profile, "type");
        if valid_seccomp_type(kind) {
            survey.pod_set_valid = true;
        } else {
            survey.pod_bad = true;
            survey.bad_values.insert(kind.to_string());
            survey
                .paths
                .push("spec.securityContext.seccompProfile.type".to_string());
        }
    }
    for c in containers(pod.spec) {
        match security_context(c.value).and_then(|sc| field(sc, "seccompProfile")) {
            Some(profile) => {
                let kind = str_field(profile, "type");
                if !valid_seccomp_type(kind) {
                    survey.explicitly_bad.push(c.name);
                    survey.bad_values.insert(kind.to_string());
                    survey
                        .paths
                        .push(format!("{}.securityContext.seccompProfile.type", c.path));
                }
            }
            None => survey
                .unset
                .push((c.name, format!("{}.securityContext.seccompProfile", c.path))),
        }
    }
    survey
}

fn seccomp_explicit_violation(
    check: &'static str,
    survey: &SeccompSurvey<'_>,
) -> Option<Violation> {
    let bad_setters = setters(survey.pod_bad, &survey.explicitly_bad);
    if bad_setters.is_empty() {
        return None;
    }
    let values: Vec<&String> = survey.bad_values.iter().collect();
    let detail = format!(
        "{} must not set securityContext.seccompProfile.type to {}",
        bad_setters.join(" and "),
        join_quote(&values.iter().map(|s| s.as_str()).collect::<Vec<_>>())
    );
    violation(check, "seccompProfile", detail, survey.paths.clone())
}

fn seccomp_baseline_fields(pod: &Pod<'_>) -> Option<Violation> {
    seccomp_explicit_violation("seccompProfile_baseline", &survey_seccomp(pod))
}

pub(crate) fn sysctls(pod: &Pod<'_>, minor: u32) -> Option<Violation> {
    let allowed = |name: &str| {
        matches!(
            name,
            "kernel.shm_rmid_forced"
                | "net.ipv4.ip_local_port_range"
                | "net.ipv4.tcp_syncookies"
                | "net.ipv4.ping_group_range"
                | "net.ipv4.ip_unprivileged_port_start"
        ) || (minor >= 27 && name == "net.ipv4.ip_local_reserved_ports")
            || (minor >= 29
                && matches!(
                    name,
                    "net.ipv4.tcp_keepalive_time"
                        | "net.ipv4.tcp_fin_timeout"
                        | "net.ipv4.tcp_keepalive_intvl"
                        | "net.ipv4.tcp_keepalive_probes"
                ))
            || (minor >= 32 && matches!(name, "net.ipv4.tcp_rmem" | "net.ipv4.tcp_wmem"))
            || (minor >= 37
                && matches!(
                    name,
                    "net.ipv4.tcp_slow_start_after_idle" | "net.ipv4.tcp_notsent_lowat"
                ))
    };
    let sc = security_context(pod.spec)?;
    let mut forbidden = Vec::new();
    let mut paths = Vec::new();
    for (i, sysctl) in array(sc, "sysctls").iter().enumerate() {
        let name = str_field(sysctl, "name");
        if !allowed(name) {
            forbidden.push(name);
            paths.push(format!("spec.securityContext.sysctls[{i}].name"));
        }
    }
    if forbidden.is_empty() {
        return None;
    }
    violation("sysctls", "forbidden sysctls", forbidden.join(", "), paths)
}

fn host_process(value: &Value) -> bool {
    security_context(value)
        .and_then(|sc| field(sc, "windowsOptions"))
        .and_then(|w| bool_field(w, "hostProcess"))
        == Some(true)
}

pub(crate) fn windows_host_process(pod: &Pod<'_>) -> Option<Violation> {
    let mut paths = Vec::new();
    let mut bad = Vec::new();
    for c in containers(pod.spec) {
        if host_process(c.value) {
            bad.push(c.name);
            paths.push(format!(
                "{}.securityContext.windowsOptions.hostProcess",
                c.path
            ));
        }
    }
    let pod_bad = host_process(pod.spec);
    if pod_bad {
        paths.insert(
            0,
            "spec.securityContext.windowsOptions.hostProcess".to_string(),
        );
    }
    let bad_setters = setters(pod_bad, &bad);
    if bad_setters.is_empty() {
        return None;
    }
    let detail = format!(
        "{} must not set securityContext.windowsOptions.hostProcess=true",
        bad_setters.join(" and ")
    );
    violation("windowsHostProcess", "hostProcess", detail, paths)
}

pub(crate) fn host_probes_and_host_lifecycle(pod: &Pod<'_>) -> Option<Violation> {
    let mut bad = BTreeSet::new();
    let mut hosts = BTreeSet::new();
    let mut paths = Vec::new();
    for c in containers(pod.spec) {
        let mut handlers = Vec::new();
        for probe in ["livenessProbe", "readinessProbe", "startupProbe"] {
            if let Some(v) = field(c.value, probe) {
                handlers.push((format!("{}.{probe}", c.path), v));
            }
        }
        if let Some(lifecycle) = field(c.value, "lifecycle") {
            for hook in ["postStart", "preStop"] {
                if let Some(v) = field(lifecycle, hook) {
                    handlers.push((format!("{}.lifecycle.{hook}", c.path), v));
                }
            }
        }
        for (at, handler) in handlers {
            for action in ["httpGet", "tcpSocket"] {
                if let Some(a) = field(handler, action) {
                    let host = str_field(a, "host");
                    if !host.is_empty() {
                        bad.insert(c.name.to_string());
                        hosts.insert(host.to_string());
                        paths.push(format!("{at}.{action}.host"));
                    }
                }
            }
        }
    }
    if bad.is_empty() {
        return None;
    }
    let (bad, hosts) = (sorted(bad), sorted(hosts));
    let detail = format!(
        "{} {} {} {} {}",
        pluralize("container", "containers", bad.len()),
        join_quote(&bad),
        pluralize("uses", "use", bad.len()),
        pluralize(
            "probe or lifecycle host",
            "probe or lifecycle hosts",
            hosts.len()
        ),
        join_quote(&hosts)
    );
    violation(
        "hostProbesAndHostLifecycle",
        "probe or lifecycle host",
        detail,
        paths,
    )
}

// -------------------------------------------------------------- restricted

/// Volume sources restricted allows (`image` was patched into the 1.0 revision upstream).
const ALLOWED_VOLUME_SOURCES: [&str; 9] = [
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// Every other volume source the core API knows, in upstream's order.
const RESTRICTED_VOLUME_SOURCES: [&str; 21] = [
    "hostPath",
    "gcePersistentDisk",
    "awsElasticBlockStore",
    "gitRepo",
    "nfs",
    "iscsi",
    "glusterfs",
    "rbd",
    "flexVolume",
    "cinder",
    "cephfs",
    "flocker",
    "fc",
    "azureFile",
    "vsphereVolume",
    "quobyte",
    "azureDisk",
    "photonPersistentDisk",
    "portworxVolume",
    "scaleIO",
    "storageos",
];

/// A volume without any known source is defaulted to `emptyDir` by the API server
/// (`SetDefaults_Volume`) before admission sees it, so it is allowed, as upstream's fixtures show.
pub(crate) fn restricted_volumes(pod: &Pod<'_>) -> Option<Violation> {
    let mut names = Vec::new();
    let mut kinds = BTreeSet::new();
    let mut paths = Vec::new();
    for (i, volume) in array(pod.spec, "volumes").iter().enumerate() {
        if ALLOWED_VOLUME_SOURCES
            .iter()
            .any(|k| field(volume, k).is_some())
        {
            continue;
        }
        if let Some(kind) = RESTRICTED_VOLUME_SOURCES
            .iter()
            .find(|k| field(volume, k).is_some())
        {
            names.push(str_field(volume, "name"));
            kinds.insert(kind.to_string());
            paths.push(format!("spec.volumes[{i}].{kind}"));
        }
    }
    if names.is_empty() {
        return None;
    }
    let kinds = sorted(kinds);
    let detail = format!(
        "{} {} {} {} {}",
        pluralize("volume", "volumes", names.len()),
        join_quote(&names),
        pluralize("uses", "use", names.len()),
        pluralize(
            "restricted volume type",
            "restricted volume types",
            kinds.len()
        ),
        join_quote(&kinds)
    );
    violation(
        "restrictedVolumes",
        "restricted volume types",
        detail,
        paths,
    )
}

pub(crate) fn allow_privilege_escalation(pod: &Pod<'_>, minor: u32) -> Option<Violation> {
    if minor >= 25 && is_windows(pod) {
        return None;
    }
    let mut bad = Vec::new();
    let mut paths = Vec::new();
    for c in containers(pod.spec) {
        let value =
            security_context(c.value).and_then(|sc| bool_field(sc, "allowPrivilegeEscalation"));
        if value != Some(false) {
            bad.push(c.name);
            paths.push(format!(
                "{}.securityContext.allowPrivilegeEscalation",
                c.path
            ));
        }
    }
    if bad.is_empty() {
        return None;
    }
    let detail = format!(
        "{} {} must set securityContext.allowPrivilegeEscalation=false",
        pluralize("container", "containers", bad.len()),
        join_quote(&bad)
    );
    violation(
        "allowPrivilegeEscalation",
        "allowPrivilegeEscalation != false",
        detail,
        paths,
    )
}

pub(crate) fn run_as_non_root(pod: &Pod<'_>, minor: u32) -> Option<Violation> {
    if minor >= 35 && in_user_namespace(pod) {
        return None;
    }
    let mut pod_bad = false;
    let mut pod_true = false;
    let mut explicit_paths = Vec::new();
    match security_context(pod.spec).and_then(|sc| bool_field(sc, "runAsNonRoot")) {
        Some(false) => {
            pod_bad = true;
            explicit_paths.push("spec.securityContext.runAsNonRoot".to_string());
        }
        Some(true) => pod_true = true,
        None => {}
    }
    let mut explicitly_bad = Vec::new();
    let mut implicitly_bad = Vec::new();
    let mut implicit_paths = Vec::new();
    for c in containers(pod.spec) {
        let path = format!("{}.securityContext.runAsNonRoot", c.path);
        match security_context(c.value).and_then(|sc| bool_field(sc, "runAsNonRoot")) {
            Some(false) => {
                explicitly_bad.push(c.name);
                explicit_paths.push(path);
            }
            Some(true) => {}
            None if !pod_true => {
                implicitly_bad.push(c.name);
                implicit_paths.push(path);
            }
            None => {}
        }
    }
    let bad_setters = setters(pod_bad, &explicitly_bad);
    if !bad_setters.is_empty() {
        let detail = format!(
            "{} must not set securityContext.runAsNonRoot=false",
            bad_setters.join(" and ")
        );
        return violation(
            "runAsNonRoot",
            "runAsNonRoot != true",
            detail,
            explicit_paths,
        );
    }
    if implicitly_bad.is_empty() {
        return None;
    }
    let detail = format!(
        "pod or {} {} must set securityContext.runAsNonRoot=true",
        pluralize("container", "containers", implicitly_bad.len()),
        join_quote(&implicitly_bad)
    );
    violation(
        "runAsNonRoot",
        "runAsNonRoot != true",
        detail,
        implicit_paths,
    )
}

pub(crate) fn run_as_user(pod: &Pod<'_>, minor: u32) -> Option<Violation> {
    if minor >= 35 && in_user_namespace(pod) {
        return None;
    }
    let is_root = |v: &Value| {
        security_context(v)
            .and_then(|sc| field(sc, "runAsUser"))
            .is_some_and(is_zero)
    };
    let mut paths = Vec::new();
    let pod_bad = is_root(pod.spec);
    if pod_bad {
        paths.push("spec.securityContext.runAsUser".to_string());
    }
    let mut bad = Vec::new();
    for c in containers(pod.spec) {
        if is_root(c.value) {
            bad.push(c.name);
            paths.push(format!("{}.securityContext.runAsUser", c.path));
        }
    }
    let bad_setters = setters(pod_bad, &bad);
    if bad_setters.is_empty() {
        return None;
    }
    let detail = format!("{} must not set runAsUser=0", bad_setters.join(" and "));
    violation("runAsUser", "runAsUser=0", detail, paths)
}

pub(crate) fn seccomp_profile_restricted(pod: &Pod<'_>, minor: u32) -> Option<Violation> {
    if minor >= 25 && is_windows(pod) {
        return None;
    }
    let survey = survey_seccomp(pod);
    if let Some(v) = seccomp_explicit_violation("seccompProfile_restricted", &survey) {
        return Some(v);
    }
    if survey.pod_set_valid || survey.unset.is_empty() {
        return None;
    }
    let names: Vec<&str> = survey.unset.iter().map(|(n, _)| *n).collect();
    let paths = survey.unset.iter().map(|(_, p)| p.clone()).collect();
    let detail = format!(
        "pod or {} {} must set securityContext.seccompProfile.type to \"RuntimeDefault\" or \"Localhost\"",
        pluralize("container", "containers", names.len()),
        join_quote(&names)
    );
    violation("seccompProfile_restricted", "seccompProfile", detail, paths)
}

pub(crate) fn capabilities_restricted(pod: &Pod<'_>, minor: u32) -> Option<Violation> {
    if minor >= 25 && is_windows(pod) {
        return None;
    }
    let mut missing_drop_all = Vec::new();
    let mut adding_forbidden = Vec::new();
    let mut forbidden_caps = BTreeSet::new();
    let mut paths = Vec::new();
    for c in containers(pod.spec) {
        let Some(cap) = capabilities(c.value) else {
            missing_drop_all.push(c.name);
            paths.push(format!("{}.securityContext.capabilities.drop", c.path));
            continue;
        };
        if !array(cap, "drop").iter().any(|d| d.as_str() == Some("ALL")) {
            missing_drop_all.push(c.name);
            paths.push(format!("{}.securityContext.capabilities.drop", c.path));
        }
        let mut added_forbidden = false;
        for (i, added) in array(cap, "add").iter().enumerate() {
            let name = added.as_str().unwrap_or("");
            if name != "NET_BIND_SERVICE" {
                added_forbidden = true;
                forbidden_caps.insert(name.to_string());
                paths.push(format!("{}.securityContext.capabilities.add[{i}]", c.path));
            }
        }
        if added_forbidden {
            adding_forbidden.push(c.name);
        }
    }
    let mut details = Vec::new();
    if !missing_drop_all.is_empty() {
        details.push(format!(
            "{} {} must set securityContext.capabilities.drop=[\"ALL\"]",
            pluralize("container", "containers", missing_drop_all.len()),
            join_quote(&missing_drop_all)
        ));
    }
    if !adding_forbidden.is_empty() {
        details.push(format!(
            "{} {} must not include {} in securityContext.capabilities.add",
            pluralize("container", "containers", adding_forbidden.len()),
            join_quote(&adding_forbidden),
            join_quote(&sorted(forbidden_caps))
        ));
    }
    if details.is_empty() {
        return None;
    }
    violation(
        "capabilities_restricted",
        "unrestricted capabilities",
        details.join("; "),
        paths,
    )
}
