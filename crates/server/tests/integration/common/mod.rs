//! Shared test harness: rcgen certificates, a real HTTPS client (tokio-rustls + hyper), and
//! audit events / admission reviews built from parts.
#![allow(dead_code)]

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;
use jobwarden_server::settings::{FileSinkConfig, ServeSettings};
use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair,
    KeyUsagePurpose,
};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// PEM files for a test CA, the server (localhost / 127.0.0.1) and one client.
pub struct Pki {
    pub dir: PathBuf,
    pub ca: PathBuf,
    pub server_cert: PathBuf,
    pub server_key: PathBuf,
    pub client_cert: String,
    pub client_key: String,
}

pub fn pki(dir: &Path) -> Pki {
    let ca_key = KeyPair::generate().expect("ca key");
    let mut ca_params = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "jobwarden test CA");
    let ca_cert = ca_params.self_signed(&ca_key).expect("ca cert");
    let issuer = Issuer::new(ca_params, ca_key);

    let server_key = KeyPair::generate().expect("server key");
    let mut sp = CertificateParams::new(vec!["localhost".to_string(), "127.0.0.1".to_string()])
        .expect("server params");
    sp.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let server_cert = sp.signed_by(&server_key, &issuer).expect("server cert");

    let client_key = KeyPair::generate().expect("client key");
    let mut cp = CertificateParams::new(Vec::<String>::new()).expect("client params");
    cp.distinguished_name
        .push(DnType::CommonName, "kube-apiserver");
    cp.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
    let client_cert = cp.signed_by(&client_key, &issuer).expect("client cert");

    let write = |name: &str, text: String| {
        let p = dir.join(name);
        std::fs::write(&p, text).expect("write pem");
        p
    };
    Pki {
        dir: dir.to_path_buf(),
        ca: write("ca.pem", ca_cert.pem()),
        server_cert: write("server.pem", server_cert.pem()),
        server_key: write("server-key.pem", server_key.serialize_pem()),
        client_cert: client_cert.pem(),
        client_key: client_key.serialize_pem(),
    }
}

/// Settings for a loopback server with a bearer token and client CA, alerts to a file.
pub fn settings(pki: &Pki, work: &Path) -> ServeSettings {
    std::fs::write(work.join("token"), "s3cret-token\n").expect("token");
    let mut s = ServeSettings::from_args(&jobwarden_server::ServeArgs {
        listen: Some("127.0.0.1:0".parse().expect("addr")),
        tls_cert: Some(pki.server_cert.clone()),
        tls_key: Some(pki.server_key.clone()),
        client_ca: Some(pki.ca.clone()),
        bearer_token_file: Some(work.join("token")),
        spool_dir: Some(work.join("spool")),
        alerts_file: Some(work.join("alerts.jsonl")),
        ..Default::default()
    })
    .expect("settings");
    s.sink_stdout = false;
    s.sink_file = Some(FileSinkConfig {
        path: work.join("alerts.jsonl"),
        max_bytes: None,
        keep: None,
    });
    s
}

pub const TOKEN: &str = "s3cret-token";

/// How the client authenticates.
#[derive(Clone, Copy, PartialEq)]
pub enum Auth<'a> {
    None,
    Token(&'a str),
    ClientCert,
}

/// One HTTPS request; returns status and body text.
pub async fn request(
    pki: &Pki,
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Vec<u8>,
    auth: Auth<'_>,
) -> (u16, String) {
    try_request(pki, addr, method, path, body, auth)
        .await
        .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
}

/// One HTTPS request; connection failures are errors (the server may have been killed).
pub async fn try_request(
    pki: &Pki,
    addr: SocketAddr,
    method: &str,
    path: &str,
    body: Vec<u8>,
    auth: Auth<'_>,
) -> Result<(u16, String), String> {
    let mut roots = rustls::RootCertStore::empty();
    for c in CertificateDer::pem_file_iter(&pki.ca).expect("ca") {
        roots.add(c.expect("ca cert")).expect("add root");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots);
    let config = if auth == Auth::ClientCert {
        let chain = CertificateDer::pem_slice_iter(pki.client_cert.as_bytes())
            .collect::<Result<Vec<_>, _>>()
            .expect("client chain");
        let key = PrivateKeyDer::from_pem_slice(pki.client_key.as_bytes()).expect("client key");
        builder
            .with_client_auth_cert(chain, key)
            .expect("client auth")
    } else {
        builder.with_no_client_auth()
    };
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| e.to_string())?;
    let tls = connector
        .connect(ServerName::try_from("localhost").expect("name"), tcp)
        .await
        .map_err(|e| e.to_string())?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(tls))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    let mut req = hyper::Request::builder()
        .method(method)
        .uri(path)
        .header("host", "localhost")
        .header("content-type", "application/json");
    if let Auth::Token(t) = auth {
        req = req.header("authorization", format!("Bearer {t}"));
    }
    let resp = sender
        .send_request(req.body(Full::new(Bytes::from(body))).expect("request"))
        .await
        .map_err(|e| e.to_string())?;
    let status = resp.status().as_u16();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes();
    Ok((status, String::from_utf8_lossy(&bytes).into_owned()))
}

/// A pod template with a given container security context.
pub fn pod_spec(security_context: Value) -> Value {
    json!({
        "restartPolicy": "Never",
        "securityContext": {"runAsNonRoot": true, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{
            "name": "main",
            "image": "registry.example.org/team/report:1.2.3",
            "command": ["/bin/report"],
            "securityContext": security_context
        }]
    })
}

pub fn clean_security_context() -> Value {
    json!({
        "allowPrivilegeEscalation": false,
        "runAsNonRoot": true,
        "readOnlyRootFilesystem": true,
        "capabilities": {"drop": ["ALL"]}
    })
}

pub fn cronjob(name: &str, security_context: Value) -> Value {
    json!({
        "apiVersion": "batch/v1",
        "kind": "CronJob",
        "metadata": {"name": name, "namespace": "reports"},
        "spec": {
            "schedule": "30 1 * * *",
            "jobTemplate": {"spec": {"ttlSecondsAfterFinished": 3600, "template": {"spec": pod_spec(security_context)}}}
        }
    })
}

pub fn job(name: &str, owner_cronjob: Option<&str>, security_context: Value) -> Value {
    let mut meta = json!({"name": name, "namespace": "reports"});
    if let Some(owner) = owner_cronjob {
        meta["ownerReferences"] = json!([{
            "apiVersion": "batch/v1", "kind": "CronJob", "name": owner,
            "uid": "7d1c2b9e-0000-4000-8000-000000000001", "controller": true, "blockOwnerDeletion": true
        }]);
        meta["annotations"] = json!({"cronjob.kubernetes.io/instantiate": "manual"});
    }
    json!({
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": meta,
        "spec": {"ttlSecondsAfterFinished": 3600, "template": {"spec": pod_spec(security_context)}}
    })
}

pub fn review(
    uid: &str,
    kind: &str,
    resource: &str,
    object: Value,
    username: &str,
    groups: &[&str],
) -> Vec<u8> {
    let group = if kind == "Pod" { "" } else { "batch" };
    serde_json::to_vec(&json!({
        "apiVersion": "admission.k8s.io/v1",
        "kind": "AdmissionReview",
        "request": {
            "uid": uid,
            "kind": {"group": group, "version": "v1", "kind": kind},
            "resource": {"group": group, "version": "v1", "resource": resource},
            "requestKind": {"group": group, "version": "v1", "kind": kind},
            "name": object["metadata"]["name"],
            "namespace": "reports",
            "operation": "CREATE",
            "userInfo": {"username": username, "groups": groups},
            "object": object,
            "oldObject": null,
            "dryRun": false,
            "options": {"apiVersion": "meta.k8s.io/v1", "kind": "CreateOptions"}
        }
    }))
    .expect("review json")
}

/// A ResponseComplete audit event: `username` created a privileged CronJob `name`.
pub fn privileged_cronjob_event(audit_id: &str, name: &str) -> Value {
    json!({
        "kind": "Event",
        "apiVersion": "audit.k8s.io/v1",
        "level": "RequestResponse",
        "auditID": audit_id,
        "stage": "ResponseComplete",
        "requestURI": "/apis/batch/v1/namespaces/reports/cronjobs",
        "verb": "create",
        "user": {"username": "oidc:mallory@example.org", "groups": ["system:authenticated"]},
        "sourceIPs": ["10.0.0.9"],
        "userAgent": "kubectl/v1.31.0 (linux/amd64) kubernetes/abc",
        "objectRef": {"resource": "cronjobs", "namespace": "reports", "name": name, "apiGroup": "batch", "apiVersion": "v1"},
        "responseStatus": {"metadata": {}, "code": 201},
        "requestObject": cronjob(name, json!({"privileged": true})),
        "responseObject": cronjob(name, json!({"privileged": true})),
        "requestReceivedTimestamp": "2026-11-27T10:00:00.000000Z",
        "stageTimestamp": "2026-11-27T10:00:00.100000Z"
    })
}

pub fn event_list(events: Vec<Value>) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "kind": "EventList",
        "apiVersion": "audit.k8s.io/v1",
        "metadata": {},
        "items": events
    }))
    .expect("event list")
}

/// `rule auditID` of each complete alert line in the alert file. A last line without its
/// newline is still being appended by the running server (a reader can see part of a write)
/// and is left for the next read, as any tailer does.
pub fn alert_keys(path: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let complete = match text.rfind('\n') {
        Some(end) => &text[..=end],
        None => "",
    };
    complete
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("alert line is JSON");
            format!(
                "{} {}",
                v["rule"]["id"].as_str().unwrap_or(""),
                v["evidence"][0]["audit_id"].as_str().unwrap_or("")
            )
        })
        .collect()
}

/// The auditIDs alerted on, without repeats.
pub fn alerted_ids(keys: &[String]) -> Vec<String> {
    let mut ids: Vec<String> = keys
        .iter()
        .filter_map(|k| k.split_once(' ').map(|(_, id)| id.to_string()))
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Panics when one rule alerted twice on one event.
pub fn assert_no_duplicates(keys: &[String]) {
    let mut sorted = keys.to_vec();
    sorted.sort();
    let before = sorted.len();
    sorted.dedup();
    assert_eq!(before, sorted.len(), "duplicate alerts: {keys:?}");
}
