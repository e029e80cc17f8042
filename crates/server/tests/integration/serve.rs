//! End-to-end tests: the real server over TLS on 127.0.0.1, a real HTTPS client.

use crate::common;

use common::{Auth, TOKEN, request};
use serde_json::{Value, json};
use std::time::Duration;

async fn started(work: &std::path::Path) -> (common::Pki, jobwarden_server::Server) {
    let pki = common::pki(work);
    let settings = common::settings(&pki, work);
    let server = jobwarden_server::start(settings)
        .await
        .expect("server starts");
    (pki, server)
}

fn response_of(body: &str) -> Value {
    let v: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"));
    assert_eq!(v["apiVersion"], "admission.k8s.io/v1");
    assert_eq!(v["kind"], "AdmissionReview");
    v["response"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admission_decisions() {
    let work = tempfile::tempdir().expect("tempdir");
    let (pki, server) = started(work.path()).await;
    let addr = server.local_addr;

    // A privileged CronJob from a person: denied, naming the check and the field.
    let body = common::review(
        "uid-priv",
        "CronJob",
        "cronjobs",
        common::cronjob("miner", json!({"privileged": true})),
        "oidc:mallory@example.org",
        &["system:authenticated"],
    );
    let (status, text) = request(&pki, addr, "POST", "/validate", body, Auth::ClientCert).await;
    assert_eq!(status, 200, "{text}");
    let r = response_of(&text);
    assert_eq!(r["uid"], "uid-priv");
    assert_eq!(r["allowed"], false, "{r}");
    let message = r["status"]["message"].as_str().expect("message");
    assert_eq!(r["status"]["code"], 403);
    assert!(message.contains("privileged"), "{message}");
    assert!(
        message.contains(
            "spec.jobTemplate.spec.template.spec.containers[0].securityContext.privileged"
        ),
        "message names the field: {message}"
    );
    assert!(message.contains("CronJob reports/miner"), "{message}");

    // A clean CronJob: allowed.
    let body = common::review(
        "uid-clean",
        "CronJob",
        "cronjobs",
        common::cronjob("nightly", common::clean_security_context()),
        "oidc:alice@example.org",
        &["system:authenticated"],
    );
    let (status, text) = request(&pki, addr, "POST", "/validate", body, Auth::Token(TOKEN)).await;
    assert_eq!(status, 200, "{text}");
    let r = response_of(&text);
    assert_eq!(r["uid"], "uid-clean");
    assert_eq!(r["allowed"], true, "{r}");

    // The cronjob-controller creating a Job: allowed by identity, even with a risky template
    // (the CronJob was judged when it was written).
    let body = common::review(
        "uid-ctrl",
        "Job",
        "jobs",
        common::job(
            "nightly-29000000",
            Some("nightly"),
            json!({"privileged": true}),
        ),
        "system:serviceaccount:kube-system:cronjob-controller",
        &[
            "system:serviceaccounts",
            "system:serviceaccounts:kube-system",
            "system:authenticated",
        ],
    );
    let (status, text) = request(&pki, addr, "POST", "/validate", body, Auth::ClientCert).await;
    assert_eq!(status, 200, "{text}");
    let r = response_of(&text);
    assert_eq!(r["uid"], "uid-ctrl");
    assert_eq!(r["allowed"], true, "{r}");

    // The same Job, ownerReferences and annotation included, sent by a person: judged.
    let body = common::review(
        "uid-spoof",
        "Job",
        "jobs",
        common::job(
            "nightly-29000000",
            Some("nightly"),
            json!({"privileged": true}),
        ),
        "oidc:mallory@example.org",
        &["system:authenticated"],
    );
    let (status, text) = request(&pki, addr, "POST", "/validate", body, Auth::ClientCert).await;
    assert_eq!(status, 200, "{text}");
    let r = response_of(&text);
    assert_eq!(r["uid"], "uid-spoof");
    assert_eq!(
        r["allowed"], false,
        "spoofed ownerReferences must not exempt: {r}"
    );
    assert!(
        r["status"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("privileged")
    );

    // A Pod with hostPID from a service account that is not a controller: denied.
    let pod = json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": "debug"},
        "spec": {"hostPID": true, "containers": [{"name": "c", "image": "busybox"}]}
    });
    let body = common::review(
        "uid-pod",
        "Pod",
        "pods",
        pod,
        "system:serviceaccount:ci:deployer",
        &[],
    );
    let (_, text) = request(&pki, addr, "POST", "/validate", body, Auth::Token(TOKEN)).await;
    let r = response_of(&text);
    assert_eq!(r["allowed"], false, "{r}");
    assert!(
        r["status"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("hostPID"),
        "{r}"
    );

    // The metrics count the decisions.
    let (status, metrics) = request(
        &pki,
        addr,
        "GET",
        "/metrics",
        Vec::new(),
        Auth::Token(TOKEN),
    )
    .await;
    assert_eq!(status, 200);
    assert!(
        metrics.contains("jobwarden_admission_decisions_total"),
        "{metrics}"
    );
    assert!(metrics.contains("result=\"denied\""), "{metrics}");
    assert!(
        metrics.contains("jobwarden_request_duration_seconds_bucket"),
        "{metrics}"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warn_and_audit_modes_allow_with_findings() {
    let work = tempfile::tempdir().expect("tempdir");
    let pki = common::pki(work.path());
    for (mode, field) in [
        (jobwarden_server::Mode::Warn, "warnings"),
        (jobwarden_server::Mode::Audit, "auditAnnotations"),
    ] {
        let mut settings = common::settings(&pki, work.path());
        settings.admission.mode = mode;
        settings.spool_dir = work.path().join(format!("spool-{}", mode.as_str()));
        let server = jobwarden_server::start(settings)
            .await
            .expect("server starts");
        let body = common::review(
            "uid-m",
            "CronJob",
            "cronjobs",
            common::cronjob("miner", json!({"privileged": true})),
            "oidc:mallory@example.org",
            &[],
        );
        let (_, text) = request(
            &pki,
            server.local_addr,
            "POST",
            "/validate",
            body,
            Auth::ClientCert,
        )
        .await;
        let r = response_of(&text);
        assert_eq!(r["allowed"], true, "{mode:?}: {r}");
        assert!(r[field].to_string().contains("privileged"), "{mode:?}: {r}");
        server.shutdown().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn m1018_allowlist_restricts_batch_writers() {
    let work = tempfile::tempdir().expect("tempdir");
    let pki = common::pki(work.path());
    let mut settings = common::settings(&pki, work.path());
    settings.admission.batch_writers = vec!["oidc:batch-admins".to_string()];
    let server = jobwarden_server::start(settings)
        .await
        .expect("server starts");
    let clean = common::cronjob("nightly", common::clean_security_context());
    let (_, text) = request(
        &pki,
        server.local_addr,
        "POST",
        "/validate",
        common::review(
            "u1",
            "CronJob",
            "cronjobs",
            clean.clone(),
            "oidc:bob",
            &["system:authenticated"],
        ),
        Auth::ClientCert,
    )
    .await;
    let r = response_of(&text);
    assert_eq!(r["allowed"], false, "{r}");
    assert!(
        r["status"]["message"]
            .as_str()
            .unwrap_or("")
            .contains("m1018"),
        "{r}"
    );
    let (_, text) = request(
        &pki,
        server.local_addr,
        "POST",
        "/validate",
        common::review(
            "u2",
            "CronJob",
            "cronjobs",
            clean,
            "oidc:carol",
            &["oidc:batch-admins"],
        ),
        Auth::ClientCert,
    )
    .await;
    assert_eq!(response_of(&text)["allowed"], true);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_bodies_and_unauthenticated_clients_are_refused() {
    let work = tempfile::tempdir().expect("tempdir");
    let (pki, server) = started(work.path()).await;
    let addr = server.local_addr;

    let (status, text) = request(
        &pki,
        addr,
        "POST",
        "/validate",
        b"{not json".to_vec(),
        Auth::ClientCert,
    )
    .await;
    assert_eq!(status, 400);
    assert!(text.contains("not an AdmissionReview"), "{text}");
    let wrong = serde_json::to_vec(&json!({"apiVersion": "admission.k8s.io/v1beta1", "kind": "AdmissionReview", "request": {"uid": "x"}})).expect("json");
    let (status, text) = request(&pki, addr, "POST", "/validate", wrong, Auth::ClientCert).await;
    assert_eq!(status, 400);
    assert!(text.contains("admission.k8s.io/v1"), "{text}");

    let (status, text) = request(
        &pki,
        addr,
        "POST",
        "/audit",
        b"[1,2".to_vec(),
        Auth::Token(TOKEN),
    )
    .await;
    assert_eq!(status, 400);
    assert!(text.contains("EventList"), "{text}");
    let (status, text) = request(
        &pki,
        addr,
        "POST",
        "/audit",
        br#"{"kind":"Pod"}"#.to_vec(),
        Auth::Token(TOKEN),
    )
    .await;
    assert_eq!(status, 400, "{text}");

    // Oversized: past the configured 32 MiB audit limit.
    let big = vec![b' '; (32 << 20) + 1024];
    let (status, text) = request(&pki, addr, "POST", "/audit", big, Auth::Token(TOKEN)).await;
    assert_eq!(status, 413, "{text}");
    assert!(!text.is_empty());

    // No credentials, wrong token.
    let ok_review = common::review(
        "u",
        "CronJob",
        "cronjobs",
        common::cronjob("n", common::clean_security_context()),
        "a",
        &[],
    );
    let (status, text) = request(
        &pki,
        addr,
        "POST",
        "/validate",
        ok_review.clone(),
        Auth::None,
    )
    .await;
    assert_eq!(status, 401, "{text}");
    let (status, _) = request(
        &pki,
        addr,
        "POST",
        "/validate",
        ok_review,
        Auth::Token("s3cret-tokeX"),
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = request(
        &pki,
        addr,
        "POST",
        "/audit",
        common::event_list(vec![]),
        Auth::None,
    )
    .await;
    assert_eq!(status, 401);
    let (status, _) = request(&pki, addr, "GET", "/metrics", Vec::new(), Auth::None).await;
    assert_eq!(status, 401);
    // A client certificate from another CA: refused at the TLS layer (or with 401).
    let other_dir = tempfile::tempdir().expect("tempdir");
    let other = common::pki(other_dir.path());
    let stranger = common::Pki {
        client_cert: other.client_cert.clone(),
        client_key: other.client_key.clone(),
        ca: pki.ca.clone(),
        ..other
    };
    let body = common::event_list(vec![common::privileged_cronjob_event("x-1", "x")]);
    match common::try_request(&stranger, addr, "POST", "/audit", body, Auth::ClientCert).await {
        Ok((status, text)) => assert_eq!(status, 401, "{text}"),
        Err(e) => assert!(!e.is_empty()),
    }
    // Probes stay open.
    let (status, _) = request(&pki, addr, "GET", "/healthz", Vec::new(), Auth::None).await;
    assert_eq!(status, 200);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_batches_produce_alerts_once() {
    let work = tempfile::tempdir().expect("tempdir");
    let (pki, server) = started(work.path()).await;
    let addr = server.local_addr;
    let batch = common::event_list(vec![
        common::privileged_cronjob_event("a-1", "miner-1"),
        common::privileged_cronjob_event("a-2", "miner-2"),
        serde_json::json!({"kind": "Event", "apiVersion": "audit.k8s.io/v1", "level": "Metadata",
            "auditID": "r-1", "stage": "ResponseComplete", "verb": "get",
            "requestURI": "/api/v1/namespaces/apps/pods/web", "user": {"username": "kubelet"},
            "objectRef": {"resource": "pods", "namespace": "apps", "name": "web"},
            "responseStatus": {"code": 200}}),
    ]);
    let (status, text) = request(
        &pki,
        addr,
        "POST",
        "/audit",
        batch.clone(),
        Auth::ClientCert,
    )
    .await;
    assert_eq!(status, 200, "{text}");
    // The apiserver retries the same batch: no second alert.
    let (status, _) = request(&pki, addr, "POST", "/audit", batch, Auth::ClientCert).await;
    assert_eq!(status, 200);
    assert!(server.state.spool.wait_idle(Duration::from_secs(20)));
    let keys = common::alert_keys(&work.path().join("alerts.jsonl"));
    assert_eq!(
        common::alerted_ids(&keys),
        vec!["a-1".to_string(), "a-2".to_string()],
        "alerts: {keys:?}"
    );
    common::assert_no_duplicates(&keys);
    assert!(
        keys.iter().any(|k| k.starts_with("JW-AUD-0002 ")),
        "risky template alert: {keys:?}"
    );
    let (_, metrics) = request(&pki, addr, "GET", "/metrics", Vec::new(), Auth::ClientCert).await;
    assert!(
        metrics.contains("jobwarden_alerts_total{rule=\"JW-AUD-"),
        "{metrics}"
    );
    assert!(
        metrics.contains("jobwarden_duplicate_audit_events_total 2"),
        "{metrics}"
    );
    // The pod read is counted (once per delivery) without being parsed.
    assert!(
        metrics.contains("jobwarden_audit_events_total{result=\"prefiltered\"} 2"),
        "{metrics}"
    );
    assert!(
        metrics.contains("jobwarden_spool_depth_bytes 0"),
        "{metrics}"
    );
    if std::env::var_os("JW_SHOW_METRICS").is_some() {
        eprintln!("{metrics}");
    }
    server.shutdown().await;

    // Alerts written after the last checkpoint (a crash between delivery and checkpoint) are
    // cut off at restart, because their batch is replayed.
    let alerts_path = work.path().join("alerts.jsonl");
    let mut text = std::fs::read_to_string(&alerts_path).expect("alerts");
    text.push_str("{\"torn\": \"alert written after the checkpoint\"}\n");
    std::fs::write(&alerts_path, text).expect("append");
    // A restart replays nothing already processed.
    let settings = common::settings(&pki, work.path());
    let server = jobwarden_server::start(settings).await.expect("restart");
    assert!(server.state.spool.wait_idle(Duration::from_secs(20)));
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(common::alert_keys(&work.path().join("alerts.jsonl")), keys);
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_spool_answers_429() {
    let work = tempfile::tempdir().expect("tempdir");
    let pki = common::pki(work.path());
    let mut settings = common::settings(&pki, work.path());
    settings.max_spool_bytes = 1;
    let server = jobwarden_server::start(settings)
        .await
        .expect("server starts");
    // Stop the detection thread so nothing drains.
    server.state.spool.shutdown();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let batch = common::event_list(vec![common::privileged_cronjob_event("f-1", "x")]);
    let (first, _) = request(
        &pki,
        server.local_addr,
        "POST",
        "/audit",
        batch.clone(),
        Auth::ClientCert,
    )
    .await;
    assert_eq!(first, 200, "an empty spool takes one batch of any size");
    let (second, text) = request(
        &pki,
        server.local_addr,
        "POST",
        "/audit",
        batch,
        Auth::ClientCert,
    )
    .await;
    assert_eq!(second, 429, "{text}");
    assert!(text.contains("spool full"), "{text}");
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn certificate_is_reloaded_when_the_files_change() {
    let work = tempfile::tempdir().expect("tempdir");
    let pki = common::pki(work.path());
    let resolver =
        jobwarden_server::tls::ReloadingCert::new(&pki.server_cert, &pki.server_key).expect("load");
    assert!(
        !resolver.reload_if_changed(),
        "unchanged files are not re-read"
    );
    // New pair from a new CA, written over the old files.
    let other = tempfile::tempdir().expect("tempdir");
    let fresh = common::pki(other.path());
    std::thread::sleep(Duration::from_millis(20));
    std::fs::copy(&fresh.server_cert, &pki.server_cert).expect("copy cert");
    std::fs::copy(&fresh.server_key, &pki.server_key).expect("copy key");
    assert!(resolver.reload_if_changed(), "changed files are re-read");
    // A broken file keeps the old pair.
    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(&pki.server_key, "garbage").expect("write");
    assert!(!resolver.reload_if_changed());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn webhook_sink_retries_until_delivered() {
    use http_body_util::BodyExt;
    use std::sync::{Arc, Mutex};
    // A plain-HTTP receiver on loopback that refuses the first delivery.
    let received: Arc<Mutex<Vec<Value>>> = Arc::default();
    let attempts = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let receiver_addr = listener.local_addr().expect("addr");
    {
        let received = received.clone();
        let attempts = attempts.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let received = received.clone();
                let attempts = attempts.clone();
                tokio::spawn(async move {
                    let svc = hyper::service::service_fn(
                        move |req: hyper::Request<hyper::body::Incoming>| {
                            let received = received.clone();
                            let attempts = attempts.clone();
                            async move {
                                let auth = req.headers().get("authorization").cloned();
                                let body =
                                    req.into_body().collect().await.expect("body").to_bytes();
                                let n = attempts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                                let status = if n == 0 { 500 } else { 200 };
                                if status == 200 {
                                    assert_eq!(
                                        auth.as_ref().and_then(|v| v.to_str().ok()),
                                        Some("Bearer sink-token")
                                    );
                                    let v: Value =
                                        serde_json::from_slice(&body).expect("alerts JSON");
                                    received.lock().expect("lock").push(v);
                                }
                                hyper::Response::builder()
                                    .status(status)
                                    .body(http_body_util::Full::new(hyper::body::Bytes::new()))
                            }
                        },
                    );
                    let _ = hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(tcp), svc)
                        .await;
                });
            }
        });
    }
    let work = tempfile::tempdir().expect("tempdir");
    let pki = common::pki(work.path());
    let mut settings = common::settings(&pki, work.path());
    settings.sink_webhook = Some(jobwarden_server::settings::WebhookSink {
        url: format!("http://{receiver_addr}/alerts"),
        ca_file: None,
        token: Some("sink-token".to_string()),
        attempts: 3,
    });
    let server = jobwarden_server::start(settings)
        .await
        .expect("server starts");
    let batch = common::event_list(vec![common::privileged_cronjob_event("w-1", "miner")]);
    let (status, _) = request(
        &pki,
        server.local_addr,
        "POST",
        "/audit",
        batch,
        Auth::ClientCert,
    )
    .await;
    assert_eq!(status, 200);
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while received.lock().expect("lock").is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "webhook never delivered"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let got = received.lock().expect("lock").clone();
    assert!(
        attempts.load(std::sync::atomic::Ordering::SeqCst) >= 2,
        "the first refusal was retried"
    );
    let alerts = got[0].as_array().expect("array of alerts");
    assert!(
        alerts.iter().any(|a| a["evidence"][0]["audit_id"] == "w-1"),
        "{got:?}"
    );
    server.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_authentication_configured_it_serves_everyone_over_https_only() {
    let work = tempfile::tempdir().expect("tempdir");
    let pki = common::pki(work.path());
    let settings = jobwarden_server::ServeSettings::from_args(&jobwarden_server::ServeArgs {
        listen: Some("127.0.0.1:0".parse().expect("addr")),
        tls_cert: Some(pki.server_cert.clone()),
        tls_key: Some(pki.server_key.clone()),
        spool_dir: Some(work.path().join("spool")),
        alerts_file: Some(work.path().join("alerts.jsonl")),
        alerts_stdout: Some(false),
        ..Default::default()
    })
    .expect("settings");
    assert!(settings.unauthenticated());
    assert_eq!(settings.admission.mode, jobwarden_server::Mode::Enforce);
    let server = jobwarden_server::start(settings)
        .await
        .expect("server starts");
    let body = common::review(
        "u-open",
        "CronJob",
        "cronjobs",
        common::cronjob("miner", json!({"privileged": true})),
        "oidc:mallory",
        &[],
    );
    let (status, text) = request(
        &pki,
        server.local_addr,
        "POST",
        "/validate",
        body,
        Auth::None,
    )
    .await;
    assert_eq!(status, 200, "{text}");
    assert_eq!(
        response_of(&text)["allowed"],
        false,
        "default policy enforces"
    );
    // Plain HTTP gets no HTTP answer.
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut tcp = tokio::net::TcpStream::connect(server.local_addr)
        .await
        .expect("connect");
    tcp.write_all(b"GET /healthz HTTP/1.1\r\nhost: x\r\n\r\n")
        .await
        .expect("write");
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut buf)).await;
    assert!(
        !buf.starts_with(b"HTTP/1.1 200"),
        "plain HTTP must not be served"
    );
    server.shutdown().await;
}
