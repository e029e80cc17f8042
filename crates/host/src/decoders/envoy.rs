//! Envoy and Istio access logs: JSON (`start_time`, `method`, `path`, `response_code`, ...)
//! and the default text formats:
//!
//! * Envoy: `[%START_TIME%] "%REQ(:METHOD)% %REQ(X-ENVOY-ORIGINAL-PATH?:PATH)% %PROTOCOL%"
//!   %RESPONSE_CODE% %RESPONSE_FLAGS% %BYTES_RECEIVED% %BYTES_SENT% %DURATION%
//!   %RESP(X-ENVOY-UPSTREAM-SERVICE-TIME)% "%REQ(X-FORWARDED-FOR)%" "%REQ(USER-AGENT)%"
//!   "%REQ(X-REQUEST-ID)%" "%REQ(:AUTHORITY)%" "%UPSTREAM_HOST%"`
//! * Istio adds `%RESPONSE_CODE_DETAILS% %CONNECTION_TERMINATION_DETAILS%
//!   "%UPSTREAM_TRANSPORT_FAILURE_REASON%"` before the byte counts and `%UPSTREAM_CLUSTER%
//!   %UPSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_LOCAL_ADDRESS% %DOWNSTREAM_REMOTE_ADDRESS% ...` after.
//!
//! The text is cut into bracketed, quoted and bare tokens; the five quoted fields at the end
//! are always XFF, user agent, request id, authority and upstream host, which tells the two
//! layouts apart.

use super::{lookup, parse_json, parse_time, str_at, time_at, u64_at};
use crate::error::{HostErrorCode, RecordError};
use crate::event::{HostRecord, ProxyEvent, pod_of_log_path};
use serde_json::Value;

/// True for a default-format text access-log line.
pub fn looks_like_text(line: &[u8]) -> bool {
    let Some(close) = line.iter().position(|b| *b == b']') else {
        return false;
    };
    line.first() == Some(&b'[')
        && close >= 11
        && line.get(1).is_some_and(u8::is_ascii_digit)
        && line.get(close + 1..close + 3) == Some(b" \"")
}

/// Keys under which log shippers keep the raw line they read (Fluent Bit `log`, Vector and
/// Filebeat `message`).
const PAYLOAD_KEYS: [&str; 2] = ["log", "message"];

/// The raw access-log line inside a log shipper's envelope (Fluent Bit, Vector, Filebeat),
/// when `value` is such an envelope around an Envoy/Istio line.
pub fn envelope_payload(value: &Value) -> Option<&str> {
    if lookup(value, "response_code").is_some() {
        return None;
    }
    PAYLOAD_KEYS.iter().find_map(|k| {
        let text = value.get(*k)?.as_str()?.trim();
        let inner_is_envoy = if text.starts_with('{') {
            serde_json::from_str::<Value>(text)
                .ok()
                .is_some_and(|inner| {
                    lookup(&inner, "response_code").is_some()
                        && (lookup(&inner, "method").is_some()
                            || lookup(&inner, "upstream_host").is_some()
                            || lookup(&inner, "authority").is_some())
                })
        } else {
            looks_like_text(text.as_bytes())
        };
        inner_is_envoy.then_some(text)
    })
}

/// Decode one access-log line (JSON or text), bare or inside a log shipper's envelope whose
/// enrichment (`kubernetes.*`, the log file path) names the pod that wrote it.
pub fn decode(line: &str) -> Result<Vec<HostRecord>, RecordError> {
    let trimmed = line.trim();
    if trimmed.starts_with('{') {
        let outer = parse_json(trimmed)?;
        let mut records = match envelope_payload(&outer) {
            Some(inner) => decode_bare(inner)?,
            None => decode_bare_json(&outer)?,
        };
        for record in &mut records {
            if let HostRecord::Proxy(p) = record {
                enrich(p, &outer);
            }
        }
        return Ok(records);
    }
    decode_bare(trimmed)
}

/// The pod identity a shipper adds: Fluent Bit's `kubernetes` filter (`pod_name`,
/// `namespace_name`, `pod_id`, `host`), Vector's `kubernetes_logs` source (`pod_name`,
/// `pod_namespace`, `pod_uid`, `pod_ip`, `pod_node_name`, `file`), Filebeat/Elastic Agent
/// (`kubernetes.pod.name`, `kubernetes.namespace`, `kubernetes.pod.uid`, `log.file.path`);
/// what they leave out is taken from the kubelet log path.
fn enrich(p: &mut ProxyEvent, v: &Value) {
    let first = |keys: &[&str]| keys.iter().find_map(|k| str_at(v, k));
    let pod = &mut p.pod;
    pod.pod = first(&["kubernetes.pod_name", "kubernetes.pod.name", "k8s.pod.name"]);
    pod.namespace = first(&[
        "kubernetes.namespace_name",
        "kubernetes.pod_namespace",
        "kubernetes.namespace",
        "kubernetes.namespace.name",
        "k8s.namespace.name",
    ]);
    pod.pod_uid = first(&[
        "kubernetes.pod_id",
        "kubernetes.pod_uid",
        "kubernetes.pod.uid",
        "k8s.pod.uid",
    ]);
    pod.pod_ip = first(&["kubernetes.pod_ip", "kubernetes.pod.ip", "k8s.pod.ip"]);
    pod.name = first(&[
        "kubernetes.container_name",
        "kubernetes.container.name",
        "k8s.container.name",
    ]);
    for key in ["kubernetes.labels", "kubernetes.pod_labels"] {
        if let Some(Value::Object(m)) = lookup(v, key) {
            pod.labels = m
                .iter()
                .filter_map(|(k, val)| val.as_str().map(|s| (k.clone(), s.to_string())))
                .collect();
            break;
        }
    }
    p.host = first(&[
        "kubernetes.host",
        "kubernetes.pod_node_name",
        "kubernetes.node.name",
        "k8s.node.name",
        "host.name",
        "host.hostname",
    ]);
    // Fluent Bit's `Path_Key` has no fixed name; `path` may also be the request's own (a merged
    // JSON line), so only a kubelet log path counts there.
    p.log_path = first(&["file", "log.file.path"]).or_else(|| {
        ["path", "filename", "log_file"]
            .iter()
            .filter_map(|k| str_at(v, k))
            .find(|f| pod_of_log_path(f).is_some())
    });
    if p.time.is_none() {
        p.time = time_at(v, "time")
            .or_else(|| time_at(v, "@timestamp"))
            .or_else(|| time_at(v, "timestamp"));
    }
    if let Some(from_path) = p.log_path.as_deref().and_then(pod_of_log_path) {
        let pod = &mut p.pod;
        pod.namespace = pod.namespace.take().or(Some(from_path.namespace));
        pod.pod = pod.pod.take().or(Some(from_path.pod));
        pod.pod_uid = pod.pod_uid.take().or(from_path.uid);
        pod.name = pod.name.take().or(from_path.container);
    }
}

/// Decode a bare access-log line (JSON or text).
fn decode_bare(line: &str) -> Result<Vec<HostRecord>, RecordError> {
    let trimmed = line.trim();
    if trimmed.starts_with('{') {
        return decode_bare_json(&parse_json(trimmed)?);
    }
    decode_text(trimmed)
}

/// Decode an access-log line written as JSON.
fn decode_bare_json(v: &Value) -> Result<Vec<HostRecord>, RecordError> {
    let status = match u64_at(v, "response_code")? {
        Some(code) => u16::try_from(code).map_err(|_| {
            RecordError::field(
                HostErrorCode::InvalidField,
                "response_code",
                format!("not an HTTP status: {code}"),
            )
        })?,
        None => 0,
    };
    let method = str_at(v, "method").unwrap_or_else(|| "-".into());
    let path = str_at(v, "path")
        .or_else(|| str_at(v, "x_envoy_original_path"))
        .unwrap_or_default();
    Ok(vec![HostRecord::Proxy(ProxyEvent {
        time: time_at(v, "start_time").or_else(|| time_at(v, "timestamp")),
        method,
        path,
        authority: str_at(v, "authority")
            .or_else(|| str_at(v, ":authority"))
            .or_else(|| str_at(v, "host")),
        status,
        user_agent: str_at(v, "user_agent"),
        upstream: str_at(v, "upstream_host"),
        upstream_cluster: str_at(v, "upstream_cluster"),
        downstream: str_at(v, "downstream_remote_address")
            .or_else(|| str_at(v, "downstream_peer_address")),
        forwarded_for: str_at(v, "x_forwarded_for"),
        bytes_received: u64_at(v, "bytes_received")?,
        bytes_sent: u64_at(v, "bytes_sent")?,
        request_id: str_at(v, "request_id").or_else(|| str_at(v, "x_request_id")),
        upstream_local: str_at(v, "upstream_local_address"),
        ..ProxyEvent::default()
    })])
}

/// Decode a default-format text access-log line.
fn decode_text(trimmed: &str) -> Result<Vec<HostRecord>, RecordError> {
    if !looks_like_text(trimmed.as_bytes()) {
        return Err(RecordError::new(
            HostErrorCode::UnknownFormat,
            "not an Envoy/Istio access-log line",
        ));
    }
    let tokens = tokenize(trimmed);
    let mut it = tokens.iter();
    let Some(Token::Bracket(time)) = it.next() else {
        return Err(RecordError::field(
            HostErrorCode::MissingField,
            "start_time",
            "no [start time]",
        ));
    };
    let Some(Token::Quoted(request)) = it.next() else {
        return Err(RecordError::field(
            HostErrorCode::MissingField,
            "request",
            "no \"METHOD PATH PROTOCOL\"",
        ));
    };
    let mut request_parts = request.split(' ');
    let method = request_parts.next().unwrap_or("-").to_string();
    let path = request_parts.next().unwrap_or("-").to_string();
    let status_text = match it.next() {
        Some(Token::Bare(s)) => s.clone(),
        _ => {
            return Err(RecordError::field(
                HostErrorCode::MissingField,
                "response_code",
                "no response code",
            ));
        }
    };
    let status = status_text.parse::<u16>().map_err(|_| {
        RecordError::field(
            HostErrorCode::InvalidField,
            "response_code",
            format!("not an HTTP status: {status_text:?}"),
        )
    })?;
    let rest: Vec<&Token> = it.collect();
    let quoted: Vec<(usize, &String)> = rest
        .iter()
        .enumerate()
        .filter_map(|(i, t)| match t {
            Token::Quoted(s) => Some((i, s)),
            _ => None,
        })
        .collect();
    let tail = quoted.len().saturating_sub(5);
    let named = quoted.get(tail..).unwrap_or_default();
    let dash = |s: &String| (s != "-" && !s.is_empty()).then(|| s.clone());
    let field = |n: usize| named.get(n).and_then(|(_, s)| dash(s));
    // The byte counts: the first run of three numeric bare tokens.
    let bare: Vec<&String> = rest
        .iter()
        .filter_map(|t| match t {
            Token::Bare(s) => Some(s),
            _ => None,
        })
        .collect();
    let mut bytes = (None, None);
    for w in bare.windows(3) {
        if w.iter().all(|s| s.bytes().all(|b| b.is_ascii_digit())) {
            bytes = (w[0].parse().ok(), w[1].parse().ok());
            break;
        }
    }
    // Istio: after the upstream host come cluster, upstream local, downstream local,
    // downstream remote.
    let after: Vec<&String> = named
        .last()
        .map(|(i, _)| {
            rest.iter()
                .skip(i + 1)
                .filter_map(|t| match t {
                    Token::Bare(s) => Some(s),
                    _ => None,
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(vec![HostRecord::Proxy(ProxyEvent {
        time: parse_time(time),
        method,
        path,
        authority: field(3),
        status,
        user_agent: field(1),
        upstream: field(4),
        upstream_cluster: after.first().and_then(|s| dash(s)),
        downstream: after.get(3).and_then(|s| dash(s)),
        forwarded_for: field(0),
        bytes_received: bytes.0,
        bytes_sent: bytes.1,
        request_id: field(2),
        upstream_local: after.get(1).and_then(|s| dash(s)),
        ..ProxyEvent::default()
    })])
}

#[derive(Debug)]
enum Token {
    Bracket(String),
    Quoted(String),
    Bare(String),
}

fn tokenize(line: &str) -> Vec<Token> {
    let mut out = Vec::new();
    let mut chars = line.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            ' ' | '\t' => {
                chars.next();
            }
            '[' => {
                chars.next();
                let s: String = chars.by_ref().take_while(|c| *c != ']').collect();
                out.push(Token::Bracket(s));
            }
            '"' => {
                chars.next();
                let mut s = String::new();
                while let Some(d) = chars.next() {
                    match d {
                        '"' => break,
                        '\\' => {
                            if let Some(e) = chars.next() {
                                s.push(e);
                            }
                        }
                        d => s.push(d),
                    }
                }
                out.push(Token::Quoted(s));
            }
            _ => {
                let mut s = String::new();
                while let Some(&d) = chars.peek() {
                    if d == ' ' || d == '\t' {
                        break;
                    }
                    s.push(d);
                    chars.next();
                }
                out.push(Token::Bare(s));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn envoy_default_text() {
        let line = r#"[2026-01-01T00:00:00.123Z] "POST /apis/batch/v1/namespaces/default/cronjobs HTTP/1.1" 201 - 812 1290 25 24 "10.1.2.3" "curl/8.5.0" "7f1c-44" "kubernetes.default.svc" "10.96.0.1:443""#;
        let HostRecord::Proxy(p) = &decode(line).expect("decodes")[0] else {
            panic!()
        };
        assert_eq!((p.method.as_str(), p.status), ("POST", 201));
        assert_eq!(p.user_agent.as_deref(), Some("curl/8.5.0"));
        assert_eq!(p.authority.as_deref(), Some("kubernetes.default.svc"));
        assert_eq!(p.upstream.as_deref(), Some("10.96.0.1:443"));
        assert_eq!((p.bytes_received, p.bytes_sent), (Some(812), Some(1290)));
    }

    #[test]
    fn istio_default_text() {
        let line = r#"[2026-01-01T00:00:00.123Z] "GET /apis/batch/v1/cronjobs HTTP/1.1" 200 - via_upstream - "-" 0 5120 12 11 "-" "kubectl/v1.29.0 (linux/amd64) kubernetes/abc" "rid-1" "10.96.0.1" "10.96.0.1:443" outbound|443||kubernetes.default.svc.cluster.local 10.244.1.7:40312 10.96.0.1:443 10.244.1.7:40310 - default"#;
        let HostRecord::Proxy(p) = &decode(line).expect("decodes")[0] else {
            panic!()
        };
        assert_eq!(p.path, "/apis/batch/v1/cronjobs");
        assert_eq!(p.request_id.as_deref(), Some("rid-1"));
        assert_eq!(
            p.upstream_cluster.as_deref(),
            Some("outbound|443||kubernetes.default.svc.cluster.local")
        );
        assert_eq!(p.downstream.as_deref(), Some("10.244.1.7:40310"));
        assert_eq!(p.bytes_sent, Some(5120));
    }

    #[test]
    fn shipper_envelopes_name_the_pod() {
        // Fluent Bit, kubernetes filter, no Merge_Log: the JSON line as a string in `log`.
        let fluent = r#"{"time":"2026-01-01T00:00:01Z","log":"{\"start_time\":\"2026-01-01T00:00:00Z\",\"method\":\"GET\",\"path\":\"/x\",\"response_code\":200,\"upstream_host\":\"1.2.3.4:3333\"}","kubernetes":{"pod_name":"cj-29000000-abcde","namespace_name":"prod","pod_id":"u-1","host":"node-3","container_name":"istio-proxy","labels":{"job-name":"cj-29000000"}}}"#;
        let HostRecord::Proxy(p) = &decode(fluent).expect("decodes")[0] else {
            panic!()
        };
        assert_eq!(p.pod.pod.as_deref(), Some("cj-29000000-abcde"));
        assert_eq!(p.pod.namespace.as_deref(), Some("prod"));
        assert_eq!(p.pod.pod_uid.as_deref(), Some("u-1"));
        assert_eq!(p.host.as_deref(), Some("node-3"));
        assert_eq!(
            p.pod.labels.get("job-name").map(String::as_str),
            Some("cj-29000000")
        );
        assert_eq!(p.upstream.as_deref(), Some("1.2.3.4:3333"));
        // Vector: the text line in `message`, only the kubelet log path names the pod.
        let vector = r#"{"file":"/var/log/pods/prod_cj-1-abcde_0a1b2c3d-1111-2222-3333-444455556666/istio-proxy/0.log","message":"[2026-01-01T00:00:00.000Z] \"GET /x HTTP/1.1\" 200 - 0 1 2 1 \"-\" \"curl\" \"id\" \"a\" \"1.2.3.4:80\"","timestamp":"2026-01-01T00:00:00.001Z"}"#;
        let HostRecord::Proxy(p) = &decode(vector).expect("decodes")[0] else {
            panic!()
        };
        assert_eq!(p.pod.pod.as_deref(), Some("cj-1-abcde"));
        assert_eq!(
            p.pod.pod_uid.as_deref(),
            Some("0a1b2c3d-1111-2222-3333-444455556666")
        );
        assert_eq!(p.pod.name.as_deref(), Some("istio-proxy"));
        // Merged JSON (Merge_Log On): `path` is the request's, not a log file.
        let merged = r#"{"start_time":"2026-01-01T00:00:00Z","method":"GET","path":"/var/log/x","response_code":200,"kubernetes":{"pod_name":"p","namespace_name":"n"}}"#;
        let HostRecord::Proxy(p) = &decode(merged).expect("decodes")[0] else {
            panic!()
        };
        assert_eq!(p.path, "/var/log/x");
        assert_eq!(p.log_path, None);
        assert_eq!(p.pod.pod.as_deref(), Some("p"));
        // An envelope around something else is not an access log.
        assert!(envelope_payload(&serde_json::json!({"log": "hello"})).is_none());
        assert_eq!(
            crate::format::sniff(vector.as_bytes()),
            Some(crate::HostFormat::Envoy)
        );
    }

    #[test]
    fn json_and_errors() {
        let HostRecord::Proxy(p) = &decode(r#"{"start_time":"2026-01-01T00:00:00Z","method":"PATCH","path":"/apis/batch/v1/namespaces/a/cronjobs/b","response_code":"200","authority":"api"}"#).expect("decodes")[0] else { panic!() };
        assert_eq!(p.status, 200);
        assert_eq!(
            decode(r#"{"response_code":70000}"#)
                .expect_err("bad")
                .field
                .as_deref(),
            Some("response_code")
        );
        assert!(decode(r#"[2026-01-01T00:00:00Z] "GET / HTTP/1.1" abc"#).is_err());
    }
}
