//! End-to-end tests of incidents (`JW-COR-0001`): host process events paired with the audit
//! log (`tests/data/incidents-paired`, Tetragon and ECS), the controllers' Jobs and Pods read
//! from the audit log, and node/proxy events joined to the pod they came from.

use jobwarden_testkit::repo_root as repo;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

fn hunt_in(dir: &Path, args: &[&str]) -> Vec<Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_jobwarden"))
        .current_dir(dir)
        .arg("hunt")
        .args(["--format", "jsonl", "--min-severity", "info", "-q"])
        .args(args)
        .output()
        .expect("run jobwarden");
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("each stdout line is one JSON alert"))
        .collect()
}

fn level(name: &str) -> u8 {
    match name {
        "critical" => 4,
        "high" => 3,
        "medium" => 2,
        "low" => 1,
        _ => 0,
    }
}

fn sev(a: &Value) -> u8 {
    level(a["severity"].as_str().unwrap_or(""))
}

fn sources(a: &Value) -> Vec<String> {
    a["evidence"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|e| e["source"].as_str().map(str::to_string))
        .collect()
}

fn incidents(alerts: &[Value]) -> Vec<&Value> {
    alerts
        .iter()
        .filter(|a| a["rule"]["id"] == "JW-COR-0001")
        .collect()
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s.as_str().map(str::to_string))
        .collect()
}

fn paired_root() -> std::path::PathBuf {
    repo().join("tests/data/incidents-paired")
}

fn scenarios() -> Vec<(std::path::PathBuf, Value)> {
    let mut dirs: Vec<_> = std::fs::read_dir(paired_root())
        .expect("paired scenarios")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("expected.json").is_file())
        .collect();
    dirs.sort();
    dirs.into_iter()
        .map(|d| {
            let spec = serde_json::from_str(
                &std::fs::read_to_string(d.join("expected.json")).expect("expected.json"),
            )
            .expect("expected.json parses");
            (d, spec)
        })
        .collect()
}

fn run_scenario(dir: &Path, spec: &Value, extra: &[&str]) -> Vec<Value> {
    let inputs = strings(&spec["inputs"]);
    let mut args: Vec<&str> = extra.to_vec();
    args.extend(inputs.iter().map(String::as_str));
    hunt_in(dir, &args)
}

#[test]
fn paired_scenarios_cite_the_right_process_lines_at_the_right_severity() {
    let all = scenarios();
    assert!(all.len() >= 6, "the paired scenarios shrank");
    let mut failures = Vec::new();
    for (dir, spec) in &all {
        let name = dir.file_name().map(|n| n.to_string_lossy().to_string());
        let name = name.unwrap_or_default();
        let found = run_scenario(dir, spec, &[]);
        match spec["kind"].as_str() {
            Some("attack") => {
                for cite in spec["must_cite"].as_array().into_iter().flatten() {
                    let line = cite["evidence"].as_str().unwrap_or_default();
                    let min = level(cite["min_severity"].as_str().unwrap_or("medium"));
                    if !found
                        .iter()
                        .any(|a| sev(a) >= min && sources(a).iter().any(|s| s == line))
                    {
                        failures.push(format!("{name}: {line} not cited at >= {min}"));
                    }
                }
                let want = &spec["incident"];
                let incident = incidents(&found).into_iter().find(|i| {
                    sources(i).first().map(String::as_str) == want["evidence"][0].as_str()
                });
                let Some(incident) = incident else {
                    failures.push(format!(
                        "{name}: no incident led by {}",
                        want["evidence"][0]
                    ));
                    continue;
                };
                if sev(incident) < level(want["min_severity"].as_str().unwrap_or("medium")) {
                    failures.push(format!("{name}: incident at {}", incident["severity"]));
                }
                let cited = sources(incident);
                for line in strings(&want["evidence"]) {
                    if !cited.contains(&line) {
                        failures.push(format!("{name}: incident lacks {line}: {cited:?}"));
                    }
                }
                for line in strings(&want["not_evidence"]) {
                    if cited.contains(&line) {
                        failures.push(format!("{name}: incident wrongly cites {line}"));
                    }
                }
                let ids: Vec<String> = incident["evidence"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|e| e["audit_id"].as_str().map(str::to_string))
                    .collect();
                for id in strings(&want["audit_ids"]) {
                    if !ids.contains(&id) {
                        failures.push(format!("{name}: incident lacks auditID {id}"));
                    }
                }
                assert_eq!(incident["evidence"][0]["kind"], "process", "{name}");
                for line in strings(&spec["below_medium"]) {
                    if let Some(a) = found
                        .iter()
                        .find(|a| sev(a) >= 2 && sources(a).contains(&line))
                    {
                        failures.push(format!(
                            "{name}: {line} cited at {} by {}",
                            a["severity"], a["rule"]["id"]
                        ));
                    }
                }
            }
            Some("benign") => {
                let max = level(spec["max_severity"].as_str().unwrap_or("low"));
                for a in found.iter().filter(|a| sev(a) > max) {
                    failures.push(format!(
                        "{name}: {} at {}: {}",
                        a["rule"]["id"], a["severity"], a["summary"]
                    ));
                }
            }
            other => failures.push(format!("{name}: unknown kind {other:?}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn cronjob_incident_follows_the_controllers_job_and_pod_to_the_container_and_proxy() {
    let dir = paired_root().join("tetragon-pod-sa-cronjob");
    let found = hunt_in(
        &dir,
        &["audit.jsonl", "process.tetragon.jsonl", "proxy.envoy.jsonl"],
    );
    let all = incidents(&found);
    assert_eq!(all.len(), 1, "{found:?}");
    let incident = all[0];
    let kinds: Vec<&str> = incident["evidence"]
        .as_array()
        .expect("evidence")
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "process",
            "k8s_audit",
            "k8s_audit",
            "k8s_audit",
            "container",
            "proxy"
        ]
    );
    let chain = strings(&incident["provenance"]);
    let starts: Vec<&str> = chain
        .iter()
        .map(|s| s.split(':').next().unwrap_or_default())
        .collect();
    assert_eq!(
        starts,
        ["process", "audit", "job", "pod", "container", "proxy"]
    );
    assert!(chain[2].contains("cronjob-controller"), "{chain:?}");
    assert!(chain[3].contains("job-controller"), "{chain:?}");
    assert!(chain[4].contains("on node worker-3"), "{chain:?}");
    assert!(chain[5].contains("45.9.148.21:3333"), "{chain:?}");
    assert_eq!(incident["severity"], "high");
}

#[test]
fn without_the_prefilter_the_schedulers_binding_names_the_node() {
    let dir = paired_root().join("tetragon-pod-sa-cronjob");
    let found = hunt_in(
        &dir,
        &["--no-prefilter", "audit.jsonl", "process.tetragon.jsonl"],
    );
    let incident = incidents(&found)[0];
    let chain = strings(&incident["provenance"]);
    let pod = chain
        .iter()
        .find(|s| s.starts_with("pod:"))
        .expect("pod step");
    assert!(
        pod.contains("on node worker-3 (binding audit.jsonl:"),
        "{pod}"
    );
    assert!(
        incident["evidence"]
            .as_array()
            .expect("evidence")
            .iter()
            .any(|e| e["detail"]["subresource"] == "binding" && e["detail"]["node"] == "worker-3")
    );
}

#[test]
fn a_client_created_job_claiming_the_cronjob_is_not_a_controller_run() {
    let src = paired_root().join("tetragon-pod-sa-cronjob");
    let tmp = tempfile::tempdir().expect("tempdir");
    let audit = std::fs::read_to_string(src.join("audit.jsonl")).expect("audit");
    // A person creates a Job that claims the CronJob as its owner (same uid), later.
    let cronjob_uid = audit
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find_map(|e| {
            (e["objectRef"]["resource"] == "cronjobs" && e["verb"] == "create")
                .then(|| {
                    e["responseObject"]["metadata"]["uid"]
                        .as_str()
                        .map(str::to_string)
                })
                .flatten()
        })
        .expect("the CronJob's uid");
    let forged = serde_json::json!({
        "kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "RequestResponse",
        "auditID": "f0f0f0f0-0000-4000-8000-000000000001", "stage": "ResponseComplete",
        "requestURI": "/apis/batch/v1/namespaces/web/jobs", "verb": "create",
        "user": {"username": "mallory", "groups": ["system:authenticated"]},
        "sourceIPs": ["10.9.9.9"], "userAgent": "kubectl/v1.29.0 (linux/amd64) kubernetes/3f7a50f",
        "objectRef": {"resource": "jobs", "namespace": "web", "name": "cache-warmup-forged", "apiGroup": "batch", "apiVersion": "v1"},
        "responseStatus": {"metadata": {}, "code": 201},
        "responseObject": {"kind": "Job", "apiVersion": "batch/v1", "metadata": {
            "name": "cache-warmup-forged", "namespace": "web", "uid": "f0f0f0f0-0000-4000-8000-0000000000aa",
            "ownerReferences": [{"apiVersion": "batch/v1", "kind": "CronJob", "name": "cache-warmup", "uid": cronjob_uid, "controller": true}]},
            "spec": {"template": {"spec": {"containers": [{"name": "x", "image": "busybox"}], "restartPolicy": "Never"}}}},
        "requestReceivedTimestamp": "2026-03-10T09:46:00.000000Z", "stageTimestamp": "2026-03-10T09:46:00.010000Z"
    });
    std::fs::write(tmp.path().join("audit.jsonl"), format!("{audit}{forged}\n")).expect("write");
    std::fs::copy(
        src.join("process.tetragon.jsonl"),
        tmp.path().join("process.tetragon.jsonl"),
    )
    .expect("copy");
    let found = hunt_in(tmp.path(), &["audit.jsonl", "process.tetragon.jsonl"]);
    let incident = incidents(&found)
        .into_iter()
        .find(|i| i["subject"]["name"] == "cache-warmup")
        .expect("the CronJob's incident");
    let chain = strings(&incident["provenance"]);
    assert!(
        chain
            .iter()
            .any(|s| s.starts_with("job: web/cache-warmup-2955"))
    );
    assert!(
        !chain.iter().any(|s| s.contains("cache-warmup-forged")),
        "{chain:?}"
    );
}

#[test]
fn proxy_lines_join_their_pod_by_log_path_or_pod_ip() {
    let src = paired_root().join("tetragon-pod-sa-cronjob");
    let tmp = tempfile::tempdir().expect("tempdir");
    for f in ["audit.jsonl", "process.tetragon.jsonl"] {
        std::fs::copy(src.join(f), tmp.path().join(f)).expect("copy");
    }
    let audit = std::fs::read_to_string(src.join("audit.jsonl")).expect("audit");
    let (pod, uid) = audit
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find_map(|e| {
            let meta = &e["responseObject"]["metadata"];
            let done = e["stage"] == "ResponseComplete";
            (done && e["objectRef"]["resource"] == "pods" && e["verb"] == "create").then(|| {
                (
                    meta["name"].as_str().unwrap_or_default().to_string(),
                    meta["uid"].as_str().unwrap_or_default().to_string(),
                )
            })
        })
        .expect("the job pod's create");
    // Vector: the raw Istio text line in `message`, only the kubelet log path names the pod.
    let text = r#"[2026-03-10T09:45:09.120Z] "- - -" 0 - - - "-" 1520 88311 120344 - "-" "-" "-" "-" "45.9.148.21:3333" PassthroughCluster 10.244.3.17:51022 45.9.148.21:3333 10.244.3.17:51020 - -"#;
    let vector = serde_json::json!({
        "file": format!("/var/log/pods/web_{pod}_{uid}/istio-proxy/0.log"),
        "message": text, "source_type": "kubernetes_logs", "stream": "stdout",
        "timestamp": "2026-03-10T09:45:09.121Z"
    });
    std::fs::write(tmp.path().join("proxy-vector.jsonl"), format!("{vector}\n")).expect("write");
    let found = hunt_in(
        tmp.path(),
        &[
            "audit.jsonl",
            "process.tetragon.jsonl",
            "proxy-vector.jsonl",
        ],
    );
    let incident = incidents(&found)[0];
    assert!(
        sources(incident).contains(&"proxy-vector.jsonl:1".to_string()),
        "{incident}"
    );

    // Falco shows the pod's IP; a bare Envoy JSON line only its address.
    let falco = serde_json::json!({
        "hostname": "worker-3", "output": "Container started", "priority": "Notice",
        "rule": "Container Started", "time": "2026-03-10T09:45:03.500000000Z",
        "output_fields": {"evt.type": "container", "container.id": "9a8b7c6d5e4f",
            "container.image.repository": "docker.io/library/alpine", "container.image.tag": "3.19",
            "k8s.ns.name": "web", "k8s.pod.name": pod, "k8s.pod.ip": "10.244.3.17"}
    });
    std::fs::write(tmp.path().join("falco.jsonl"), format!("{falco}\n")).expect("write");
    let bare = r#"{"start_time":"2026-03-10T09:45:09.120Z","method":null,"path":null,"response_code":0,"upstream_host":"45.9.148.21:3333","upstream_cluster":"PassthroughCluster","downstream_remote_address":"10.244.3.17:51020"}"#;
    std::fs::write(tmp.path().join("proxy-bare.jsonl"), format!("{bare}\n")).expect("write");
    let found = hunt_in(
        tmp.path(),
        &[
            "audit.jsonl",
            "falco.jsonl",
            "proxy-bare.jsonl",
            "process.tetragon.jsonl",
        ],
    );
    let incident = incidents(&found)[0];
    let cited = sources(incident);
    assert!(cited.contains(&"falco.jsonl:1".to_string()), "{cited:?}");
    assert!(
        cited.contains(&"proxy-bare.jsonl:1".to_string()),
        "{cited:?}"
    );
}

#[test]
fn a_token_bound_to_another_pod_does_not_pair_with_this_pods_kubectl() {
    let src = paired_root().join("tetragon-pod-sa-cronjob");
    let tmp = tempfile::tempdir().expect("tempdir");
    std::fs::copy(src.join("audit.jsonl"), tmp.path().join("audit.jsonl")).expect("copy");
    let host = std::fs::read_to_string(src.join("process.tetragon.jsonl")).expect("host");
    // The same command seen in a different pod: the token names storefront-7c9d8b6f5-x2x7q.
    let moved = host.replace("storefront-7c9d8b6f5-x2x7q", "checkout-5f6d7c8b9-a1b2c");
    std::fs::write(tmp.path().join("process.tetragon.jsonl"), moved).expect("write");
    let found = hunt_in(tmp.path(), &["audit.jsonl", "process.tetragon.jsonl"]);
    assert!(incidents(&found).is_empty(), "{:?}", incidents(&found));
}

#[test]
fn one_thread_and_many_give_the_same_incidents() {
    for (dir, spec) in scenarios() {
        let one = run_scenario(&dir, &spec, &["--threads", "1"]);
        let many = run_scenario(&dir, &spec, &["--threads", "4"]);
        assert_eq!(one, many, "{}", dir.display());
    }
}

#[test]
fn a_cronjob_logged_without_its_body_still_leads_to_its_runs() {
    let src = paired_root().join("tetragon-pod-sa-cronjob");
    let tmp = tempfile::tempdir().expect("tempdir");
    let audit = std::fs::read_to_string(src.join("audit.jsonl")).expect("audit");
    // The policy logs CronJobs at Metadata level; the controllers' writes keep their bodies.
    let metadata_only: Vec<String> = audit
        .lines()
        .map(|l| {
            let mut e: Value = serde_json::from_str(l).expect("json");
            if e["objectRef"]["resource"] == "cronjobs"
                && let Some(o) = e.as_object_mut()
            {
                o.remove("requestObject");
                o.remove("responseObject");
                o.insert("level".into(), "Metadata".into());
            }
            e.to_string()
        })
        .collect();
    std::fs::write(
        tmp.path().join("audit.jsonl"),
        metadata_only.join("\n") + "\n",
    )
    .expect("write");
    std::fs::copy(
        src.join("process.tetragon.jsonl"),
        tmp.path().join("process.tetragon.jsonl"),
    )
    .expect("copy");
    let found = hunt_in(tmp.path(), &["audit.jsonl", "process.tetragon.jsonl"]);
    let incident = incidents(&found)
        .into_iter()
        .find(|i| i["subject"]["kind"] == "CronJob")
        .expect("the CronJob's incident");
    let chain = strings(&incident["provenance"]);
    assert!(
        chain
            .iter()
            .any(|s| s.starts_with("job: web/cache-warmup-")),
        "{chain:?}"
    );
    assert!(
        chain
            .iter()
            .any(|s| s.starts_with("pod: web/cache-warmup-")),
        "{chain:?}"
    );
    // The kubectl line's own alert (high, from a container) is the strongest link.
    assert!(sev(incident) >= 3, "{incident}");
}

#[test]
fn an_sres_manual_run_is_a_low_incident_that_shows_the_client_set_owner() {
    let dir = paired_root().join("ecs-auditbeat-sre-routine");
    let found = hunt_in(&dir, &["audit.jsonl", "process.ecs.jsonl"]);
    let all = incidents(&found);
    assert_eq!(all.len(), 1, "{found:?}");
    let incident = all[0];
    assert_eq!(incident["severity"], "low");
    assert_eq!(sources(incident)[0], "process.ecs.jsonl:2");
    let chain = strings(&incident["provenance"]);
    assert!(
        chain.iter().any(|s| s.starts_with(
            "claim: Job reports/nightly-report-manual-0314 names CronJob nightly-report"
        )),
        "{chain:?}"
    );
    assert!(
        chain
            .iter()
            .any(|s| s.starts_with("pod: reports/nightly-report-manual-0314-"))
    );
    // The reads before and after are not part of it.
    assert!(
        !sources(incident)
            .iter()
            .any(|s| s == "process.ecs.jsonl:1" || s == "process.ecs.jsonl:3")
    );
}

#[test]
fn controller_records_out_of_order_still_chain() {
    let src = paired_root().join("tetragon-pod-sa-cronjob");
    let tmp = tempfile::tempdir().expect("tempdir");
    let audit = std::fs::read_to_string(src.join("audit.jsonl")).expect("audit");
    let mut lines: Vec<&str> = audit.lines().collect();
    let is = |l: &str, resource: &str| {
        l.contains(&format!("\"resource\":\"{resource}\",\"namespace\""))
            && l.contains("\"verb\":\"create\"")
            && !l.contains("\"subresource\"")
    };
    // The CronJob's ResponseComplete before its RequestReceived; the Pod before its Job.
    let cronjob: Vec<usize> = (0..lines.len())
        .filter(|&i| is(lines[i], "cronjobs"))
        .collect();
    lines.swap(cronjob[0], cronjob[1]);
    let pods: Vec<&str> = lines.iter().copied().filter(|l| is(l, "pods")).collect();
    assert_eq!((cronjob.len(), pods.len()), (2, 2));
    lines.retain(|l| !is(l, "pods"));
    let job_at = lines.iter().position(|l| is(l, "jobs")).expect("the Job");
    for (k, p) in pods.into_iter().enumerate() {
        lines.insert(job_at + k, p);
    }
    std::fs::write(tmp.path().join("audit.jsonl"), lines.join("\n") + "\n").expect("write");
    std::fs::copy(
        src.join("process.tetragon.jsonl"),
        tmp.path().join("process.tetragon.jsonl"),
    )
    .expect("copy");
    let found = hunt_in(tmp.path(), &["audit.jsonl", "process.tetragon.jsonl"]);
    let all = incidents(&found);
    assert_eq!(all.len(), 1, "{found:?}");
    let chain = strings(&all[0]["provenance"]);
    let starts: Vec<&str> = chain
        .iter()
        .map(|s| s.split(':').next().unwrap_or_default())
        .collect();
    assert_eq!(starts, ["process", "audit", "job", "pod", "container"]);
}
