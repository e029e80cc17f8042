//! Table-driven tests of every modifier, value form and condition form, with matching and
//! non-matching events, plus prefilter soundness on each matching case.

use base64::Engine as _;
use jobwarden_sigma::{Engine, EngineOptions, LoadOptions, LogsourceKind, load_str};
use serde_json::{Value, json};
use std::collections::HashMap;

fn engine_with(detection: &str, options: &LoadOptions) -> Engine {
    engine_opts(detection, options, EngineOptions::default())
}

fn engine_opts(detection: &str, options: &LoadOptions, engine_options: EngineOptions) -> Engine {
    let text = format!(
        "title: t\nid: test-rule\nlogsource:\n  product: kubernetes\n  service: audit\nlevel: high\ndetection:\n{detection}\n"
    );
    let report = load_str(&text, "test.yml", options);
    assert!(
        report.errors.is_empty(),
        "rule failed to load: {:?}\n{text}",
        report.errors
    );
    Engine::new(report.rules, engine_options).expect("engine")
}

fn indent(det: &str) -> String {
    det.lines()
        .map(|l| format!("  {l}"))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Checks the verdict and, for matches, that the rule's needles occur in the lowercased line.
fn check(det: &str, event: &Value, want: bool, options: &LoadOptions) {
    let engine = engine_with(&indent(det), options);
    let got = !engine
        .matches_json(LogsourceKind::K8sAudit, event)
        .is_empty();
    assert_eq!(got, want, "detection:\n{det}\nevent: {event}");
    if got && let Some(needles) = engine.needles() {
        let line = serde_json::to_string(event)
            .expect("json")
            .to_ascii_lowercase();
        assert!(
            needles.iter().any(|n| line.contains(n.as_str())),
            "prefilter would drop a matching event: needles {needles:?}, line {line}\n{det}"
        );
    }
    if got {
        requirements_hold(det, event, options);
    }
}

/// Prefilter soundness, property-style: for a matching event, the rule's requirement (every
/// clause) holds on the event's compact JSON line, for audit events with and without key
/// context and for generic JSON.
fn requirements_hold(det: &str, event: &Value, options: &LoadOptions) {
    let line = serde_json::to_string(event)
        .expect("json")
        .to_ascii_lowercase();
    for key_context_needles in [false, true] {
        let engine = engine_opts(
            &indent(det),
            options,
            EngineOptions {
                key_context_needles,
                ..EngineOptions::default()
            },
        );
        for kind in [LogsourceKind::K8sAudit, LogsourceKind::Generic] {
            let matched = !engine.matches_json(kind, event).is_empty();
            for (index, requirement) in engine.requirements_for(kind).unwrap_or_default() {
                assert!(
                    !matched || requirement.holds(&line),
                    "requirement {:?} of rule {index} misses a matching event ({kind:?}, key context {key_context_needles}): {line}\n{det}",
                    requirement.clauses
                );
            }
            let filter = engine.requirement_filter(kind);
            assert!(
                !matched || !filter.candidates(line.as_bytes()).is_empty(),
                "requirement filter drops a matching event ({kind:?}): {line}\n{det}"
            );
        }
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

fn utf16le(s: &str) -> Vec<u8> {
    s.encode_utf16().flat_map(u16::to_le_bytes).collect()
}

#[test]
fn modifiers_and_values() {
    let opts = LoadOptions::default();
    let cases: Vec<(&str, Value, bool)> = vec![
        // plain equality, case-insensitive by default
        (
            "sel:\n  verb: Create\ncondition: sel",
            json!({"verb": "cREATE"}),
            true,
        ),
        (
            "sel:\n  verb: create\ncondition: sel",
            json!({"verb": "created"}),
            false,
        ),
        // cased
        (
            "sel:\n  verb|cased: Create\ncondition: sel",
            json!({"verb": "create"}),
            false,
        ),
        (
            "sel:\n  verb|cased: Create\ncondition: sel",
            json!({"verb": "Create"}),
            true,
        ),
        // contains / startswith / endswith
        (
            "sel:\n  requestURI|contains: /Exec\ncondition: sel",
            json!({"requestURI": "/api/v1/pods/x/exec?c=sh"}),
            true,
        ),
        (
            "sel:\n  requestURI|contains: /attach\ncondition: sel",
            json!({"requestURI": "/api/v1/pods/x/exec"}),
            false,
        ),
        (
            "sel:\n  userAgent|startswith: kubectl/\ncondition: sel",
            json!({"userAgent": "kubectl/v1.30"}),
            true,
        ),
        (
            "sel:\n  userAgent|startswith: kubectl/\ncondition: sel",
            json!({"userAgent": "my-kubectl/v1"}),
            false,
        ),
        (
            "sel:\n  requestURI|endswith: /exec\ncondition: sel",
            json!({"requestURI": "/pods/x/exec"}),
            true,
        ),
        (
            "sel:\n  requestURI|endswith: /exec\ncondition: sel",
            json!({"requestURI": "/pods/x/exec/y"}),
            false,
        ),
        // many contains (Aho-Corasick path)
        (
            "sel:\n  requestURI|contains: [aaa1, bbb2, ccc3, ddd4, eee5, fff6, ggg7, hhh8]\ncondition: sel",
            json!({"requestURI": "/x/GGG7/y"}),
            true,
        ),
        (
            "sel:\n  requestURI|contains: [aaa1, bbb2, ccc3, ddd4, eee5, fff6, ggg7, hhh8]\ncondition: sel",
            json!({"requestURI": "/x/ggg/y"}),
            false,
        ),
        // wildcards and escapes
        (
            "sel:\n  objectRef.name: 'web-*-abc?'\ncondition: sel",
            json!({"objectRef": {"name": "web-123-abcd"}}),
            true,
        ),
        (
            "sel:\n  objectRef.name: 'web-*-abc?'\ncondition: sel",
            json!({"objectRef": {"name": "web-123-abc"}}),
            false,
        ),
        (
            "sel:\n  objectRef.name: 'a\\*b'\ncondition: sel",
            json!({"objectRef": {"name": "a*b"}}),
            true,
        ),
        (
            "sel:\n  objectRef.name: 'a\\*b'\ncondition: sel",
            json!({"objectRef": {"name": "axxb"}}),
            false,
        ),
        (
            "sel:\n  objectRef.name: 'a\\?b'\ncondition: sel",
            json!({"objectRef": {"name": "axb"}}),
            false,
        ),
        (
            "sel:\n  objectRef.name: 'c:\\\\*'\ncondition: sel",
            json!({"objectRef": {"name": "c:\\temp"}}),
            true,
        ),
        (
            "sel:\n  objectRef.name: '\\reg.exe'\ncondition: sel",
            json!({"objectRef": {"name": "\\REG.exe"}}),
            true,
        ),
        (
            "sel:\n  objectRef.name: '*'\ncondition: sel",
            json!({"objectRef": {"name": "anything"}}),
            true,
        ),
        (
            "sel:\n  objectRef.name: '*'\ncondition: sel",
            json!({"objectRef": {}}),
            false,
        ),
        // all
        (
            "sel:\n  requestURI|contains|all: [exec, command=sh]\ncondition: sel",
            json!({"requestURI": "/exec?command=sh"}),
            true,
        ),
        (
            "sel:\n  requestURI|contains|all: [exec, command=sh]\ncondition: sel",
            json!({"requestURI": "/exec?command=bash"}),
            false,
        ),
        // windash
        (
            "sel:\n  requestURI|windash|contains: ' -enc '\ncondition: sel",
            json!({"requestURI": "x /enc y"}),
            true,
        ),
        (
            "sel:\n  requestURI|windash|contains: ' -enc '\ncondition: sel",
            json!({"requestURI": "x \u{2013}enc y"}),
            true,
        ),
        (
            "sel:\n  requestURI|windash|contains: ' -enc '\ncondition: sel",
            json!({"requestURI": "x +enc y"}),
            false,
        ),
        (
            "sel:\n  requestURI|contains|windash: '-a -b'\ncondition: sel",
            json!({"requestURI": "run /a \u{2014}b"}),
            true,
        ),
        (
            "sel:\n  requestURI|contains|windash: '-a -b'\ncondition: sel",
            json!({"requestURI": "run /a b"}),
            false,
        ),
        // base64 / base64offset
        (
            "sel:\n  requestURI|base64|contains: 'curl '\ncondition: sel",
            json!({"requestURI": format!("x{}y", b64(b"curl "))}),
            true,
        ),
        (
            "sel:\n  requestURI|base64: 'curl'\ncondition: sel",
            json!({"requestURI": b64(b"curl")}),
            true,
        ),
        (
            "sel:\n  requestURI|base64|cased: 'curl'\ncondition: sel",
            json!({"requestURI": b64(b"curl").to_lowercase()}),
            false,
        ),
        (
            "sel:\n  requestURI|base64offset|contains: 'http://'\ncondition: sel",
            json!({"requestURI": b64(b"xhttp://evil")}),
            true,
        ),
        (
            "sel:\n  requestURI|base64offset|contains: 'http://'\ncondition: sel",
            json!({"requestURI": b64(b"xxhttp://evil")}),
            true,
        ),
        (
            "sel:\n  requestURI|base64offset|contains: 'http://'\ncondition: sel",
            json!({"requestURI": b64(b"ftp://evil")}),
            false,
        ),
        // utf16 family, combined with base64offset as SigmaHQ writes it
        (
            "sel:\n  requestURI|utf16le|base64offset|contains: 'cmd'\ncondition: sel",
            json!({"requestURI": b64(&utf16le(" cmd /c"))}),
            true,
        ),
        (
            "sel:\n  requestURI|wide|base64offset|contains: 'cmd'\ncondition: sel",
            json!({"requestURI": b64(&utf16le("xx cmd"))}),
            true,
        ),
        (
            "sel:\n  requestURI|utf16be|base64|contains: 'ab'\ncondition: sel",
            json!({"requestURI": b64(&[0, b'a', 0, b'b'])}),
            true,
        ),
        (
            "sel:\n  requestURI|utf16|base64|contains: 'ab'\ncondition: sel",
            json!({"requestURI": b64(&[0xFF, 0xFE, b'a', 0, b'b', 0])}),
            true,
        ),
        (
            "sel:\n  requestURI|utf16le|base64offset|contains: 'cmd'\ncondition: sel",
            json!({"requestURI": b64(b" cmd /c")}),
            false,
        ),
        // re with flags
        (
            "sel:\n  requestURI|re: '^/api/v1/namespaces/[a-z-]+/pods$'\ncondition: sel",
            json!({"requestURI": "/api/v1/namespaces/kube-system/pods"}),
            true,
        ),
        (
            "sel:\n  requestURI|re: '^/API'\ncondition: sel",
            json!({"requestURI": "/api"}),
            false,
        ),
        (
            "sel:\n  requestURI|re|i: '^/API'\ncondition: sel",
            json!({"requestURI": "/api"}),
            true,
        ),
        (
            "sel:\n  requestURI|re|m: '^second$'\ncondition: sel",
            json!({"requestURI": "first\nsecond"}),
            true,
        ),
        (
            "sel:\n  requestURI|re: '^second$'\ncondition: sel",
            json!({"requestURI": "first\nsecond"}),
            false,
        ),
        (
            "sel:\n  requestURI|re|s: 'first.second'\ncondition: sel",
            json!({"requestURI": "first\nsecond"}),
            true,
        ),
        (
            "sel:\n  requestURI|re: 'first.second'\ncondition: sel",
            json!({"requestURI": "first\nsecond"}),
            false,
        ),
        // cidr over arrays
        (
            "sel:\n  sourceIPs|cidr: 10.0.0.0/8\ncondition: sel",
            json!({"sourceIPs": ["192.168.1.1", "10.2.3.4"]}),
            true,
        ),
        (
            "sel:\n  sourceIPs|cidr: [10.0.0.0/8, 'fd00::/8']\ncondition: sel",
            json!({"sourceIPs": ["fd12::1"]}),
            true,
        ),
        (
            "sel:\n  sourceIPs|cidr: 10.0.0.0/8\ncondition: sel",
            json!({"sourceIPs": ["11.0.0.1", "not-an-ip"]}),
            false,
        ),
        // exists
        (
            "sel:\n  impersonatedUser|exists: true\ncondition: sel",
            json!({"impersonatedUser": {"username": "x"}}),
            true,
        ),
        (
            "sel:\n  impersonatedUser|exists: true\ncondition: sel",
            json!({"verb": "get"}),
            false,
        ),
        (
            "sel:\n  impersonatedUser|exists: false\ncondition: sel",
            json!({"verb": "get"}),
            true,
        ),
        // neq
        (
            "sel:\n  verb|neq: get\ncondition: sel",
            json!({"verb": "list"}),
            true,
        ),
        (
            "sel:\n  verb|neq: get\ncondition: sel",
            json!({"verb": "GET"}),
            false,
        ),
        (
            "sel:\n  verb|neq: [get, list]\ncondition: sel",
            json!({"verb": "list"}),
            false,
        ),
        // numeric comparisons, numbers and numeric strings
        (
            "sel:\n  responseStatus.code|gte: 400\ncondition: sel",
            json!({"responseStatus": {"code": 403}}),
            true,
        ),
        (
            "sel:\n  responseStatus.code|gt: 403\ncondition: sel",
            json!({"responseStatus": {"code": 403}}),
            false,
        ),
        (
            "sel:\n  responseStatus.code|lt: 300\ncondition: sel",
            json!({"responseStatus": {"code": "201"}}),
            true,
        ),
        (
            "sel:\n  responseStatus.code|lte: 200\ncondition: sel",
            json!({"responseStatus": {"code": 201}}),
            false,
        ),
        (
            "sel:\n  responseStatus.code|lte: 200\ncondition: sel",
            json!({"responseStatus": {"code": "abc"}}),
            false,
        ),
        // numbers compare textually against numbers and strings
        (
            "sel:\n  responseStatus.code: 403\ncondition: sel",
            json!({"responseStatus": {"code": 403}}),
            true,
        ),
        (
            "sel:\n  responseStatus.code: '403'\ncondition: sel",
            json!({"responseStatus": {"code": 403}}),
            true,
        ),
        (
            "sel:\n  responseStatus.code: 403\ncondition: sel",
            json!({"responseStatus": {"code": "403"}}),
            true,
        ),
        (
            "sel:\n  responseStatus.code: 403\ncondition: sel",
            json!({"responseStatus": {"code": 4030}}),
            false,
        ),
        (
            "sel:\n  responseStatus.code: 'ALLOW'\ncondition: sel",
            json!({"responseStatus": {"code": 200}}),
            false,
        ),
        // time modifiers (UTC parts of RFC 3339 or civil date-times)
        (
            "sel:\n  stageTimestamp|hour: 3\ncondition: sel",
            json!({"stageTimestamp": "2026-11-27T03:15:00.5Z"}),
            true,
        ),
        (
            "sel:\n  stageTimestamp|hour: 3\ncondition: sel",
            json!({"stageTimestamp": "2026-11-27T04:15:00Z"}),
            false,
        ),
        (
            "sel:\n  stageTimestamp|hour|gte: 22\ncondition: sel",
            json!({"stageTimestamp": "2026-11-27T23:59:00+00:00"}),
            true,
        ),
        (
            "sel:\n  stageTimestamp|minute: 44\ncondition: sel",
            json!({"stageTimestamp": "2025-10-25 13:44:33.433"}),
            true,
        ),
        (
            "sel:\n  stageTimestamp|day: 27\ncondition: sel",
            json!({"stageTimestamp": "2026-11-27T00:00:00Z"}),
            true,
        ),
        (
            "sel:\n  stageTimestamp|week: 48\ncondition: sel",
            json!({"stageTimestamp": "2026-11-27T00:00:00Z"}),
            true,
        ),
        (
            "sel:\n  stageTimestamp|month: 11\ncondition: sel",
            json!({"stageTimestamp": "2026-11-27T00:00:00Z"}),
            true,
        ),
        (
            "sel:\n  stageTimestamp|year|lt: 2026\ncondition: sel",
            json!({"stageTimestamp": "2026-11-27T00:00:00Z"}),
            false,
        ),
        (
            "sel:\n  stageTimestamp|year: 2026\ncondition: sel",
            json!({"stageTimestamp": "not a date"}),
            false,
        ),
        // booleans
        (
            "sel:\n  requestObject.spec.hostPID: true\ncondition: sel",
            json!({"requestObject": {"spec": {"hostPID": true}}}),
            true,
        ),
        (
            "sel:\n  requestObject.spec.hostPID: true\ncondition: sel",
            json!({"requestObject": {"spec": {"hostPID": false}}}),
            false,
        ),
        // fieldref
        (
            "sel:\n  user.username|fieldref: impersonatedUser.username\ncondition: sel",
            json!({"user": {"username": "Bob"}, "impersonatedUser": {"username": "bob"}}),
            true,
        ),
        (
            "sel:\n  user.username|fieldref: impersonatedUser.username\ncondition: sel",
            json!({"user": {"username": "bob"}, "impersonatedUser": {"username": "alice"}}),
            false,
        ),
        (
            "sel:\n  user.username|fieldref|startswith: objectRef.name\ncondition: sel",
            json!({"user": {"username": "system:x"}, "objectRef": {"name": "system:"}}),
            true,
        ),
        // null
        (
            "sel:\n  objectRef.subresource: null\ncondition: sel",
            json!({"objectRef": {"resource": "pods"}}),
            true,
        ),
        (
            "sel:\n  objectRef.subresource: null\ncondition: sel",
            json!({"objectRef": {"subresource": null}}),
            true,
        ),
        (
            "sel:\n  objectRef.subresource: null\ncondition: sel",
            json!({"objectRef": {"subresource": "exec"}}),
            false,
        ),
        // empty string
        (
            "sel:\n  objectRef.namespace: ''\ncondition: sel",
            json!({"objectRef": {"namespace": ""}}),
            true,
        ),
        (
            "sel:\n  objectRef.namespace: ''\ncondition: sel",
            json!({"objectRef": {"namespace": "x"}}),
            false,
        ),
        // array fan-out over nested lists
        (
            "sel:\n  requestObject.spec.containers.image|contains: xmrig\ncondition: sel",
            json!({"requestObject": {"spec": {"containers": [{"image": "nginx"}, {"image": "evil/XMRig:1"}]}}}),
            true,
        ),
        (
            "sel:\n  requestObject.spec.containers.image|contains: xmrig\ncondition: sel",
            json!({"requestObject": {"spec": {"containers": [{"image": "nginx"}]}}}),
            false,
        ),
        // keywords: list, single, with `|all`
        (
            "keywords:\n  - 'curl http'\n  - wget\ncondition: keywords",
            json!({"requestObject": {"cmd": ["sh", "-c", "CURL http://x | sh"]}}),
            true,
        ),
        (
            "keywords:\n  - 'curl http'\n  - wget\ncondition: keywords",
            json!({"requestObject": {"cmd": ["sleep"]}}),
            false,
        ),
        (
            "keywords: xmrig\ncondition: keywords",
            json!({"a": {"b": "run xmrig now"}}),
            true,
        ),
        (
            "keywords:\n  '|all': [curl, sh]\ncondition: keywords",
            json!({"a": "curl", "b": ["sh"]}),
            true,
        ),
        (
            "keywords:\n  '|all': [curl, sh]\ncondition: keywords",
            json!({"a": "curl"}),
            false,
        ),
        // list of maps is an OR, a map is an AND
        (
            "sel:\n  - verb: create\n    objectRef.resource: pods\n  - verb: delete\ncondition: sel",
            json!({"verb": "delete", "objectRef": {"resource": "x"}}),
            true,
        ),
        (
            "sel:\n  - verb: create\n    objectRef.resource: pods\n  - verb: delete\ncondition: sel",
            json!({"verb": "create", "objectRef": {"resource": "x"}}),
            false,
        ),
    ];
    for (det, event, want) in &cases {
        check(det, event, *want, &opts);
    }
}

#[test]
fn expand_uses_configured_placeholders() {
    let mut placeholders = HashMap::new();
    placeholders.insert(
        "admins".to_string(),
        vec!["alice".to_string(), "bob".to_string()],
    );
    let opts = LoadOptions { placeholders };
    let det = "sel:\n  user.username|expand: 'corp:%admins%'\ncondition: sel";
    check(det, &json!({"user": {"username": "corp:bob"}}), true, &opts);
    check(
        det,
        &json!({"user": {"username": "corp:eve"}}),
        false,
        &opts,
    );
    let report = load_str(
        "title: t\nlogsource: {product: kubernetes, service: audit}\ndetection:\n  sel:\n    user.username|expand: '%nobody%'\n  condition: sel\n",
        "x.yml",
        &LoadOptions::default(),
    );
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert!(
        report
            .errors
            .iter()
            .all(|e| e.message.contains("%nobody%") && e.line == 5)
    );
}

#[test]
fn condition_forms() {
    let opts = LoadOptions::default();
    let sels = "sel_a:\n  verb: create\nsel_b:\n  objectRef.resource: pods\nfilter:\n  user.username|startswith: 'system:'\n";
    let create_pod_user =
        json!({"verb": "create", "objectRef": {"resource": "pods"}, "user": {"username": "alice"}});
    let create_pod_system = json!({"verb": "create", "objectRef": {"resource": "pods"}, "user": {"username": "system:kcm"}});
    let get_secret =
        json!({"verb": "get", "objectRef": {"resource": "secrets"}, "user": {"username": "alice"}});
    let create_secret = json!({"verb": "create", "objectRef": {"resource": "secrets"}, "user": {"username": "alice"}});
    let cases: Vec<(&str, &Value, bool)> = vec![
        ("sel_a and sel_b", &create_pod_user, true),
        ("sel_a and sel_b", &create_secret, false),
        ("sel_a or sel_b", &create_secret, true),
        ("sel_a or sel_b", &get_secret, false),
        ("not sel_a", &get_secret, true),
        ("not sel_a", &create_secret, false),
        ("sel_a and sel_b and not filter", &create_pod_user, true),
        ("sel_a and sel_b and not filter", &create_pod_system, false),
        ("sel_a and (sel_b or filter)", &create_secret, false),
        ("(sel_a or sel_b) and not filter", &create_secret, true),
        ("not (sel_a or sel_b)", &get_secret, true),
        ("1 of sel_*", &create_secret, true),
        ("any of sel_*", &get_secret, false),
        ("all of sel_*", &create_pod_user, true),
        ("all of sel_*", &create_secret, false),
        ("1 of them", &create_pod_system, true),
        ("all of them", &create_pod_system, true),
        ("all of them", &create_pod_user, false),
        ("all of sel_* and not 1 of filter*", &create_pod_user, true),
        ("sel_a AND NOT filter", &create_secret, true),
    ];
    for (cond, event, want) in cases {
        check(&format!("{sels}condition: {cond}"), event, want, &opts);
    }
    // A list of conditions is an OR.
    check(
        &format!("{sels}condition:\n  - sel_b\n  - sel_a"),
        &create_secret,
        true,
        &opts,
    );
    // `them` skips selections starting with an underscore.
    check(
        "_helper:\n  verb: get\nsel:\n  verb: create\ncondition: all of them",
        &create_secret,
        true,
        &opts,
    );
}

#[test]
fn needles_are_withheld_when_unsound() {
    let opts = LoadOptions::default();
    let none = [
        "sel:\n  verb|neq: get\ncondition: sel",
        "sel:\n  verb: create\ncondition: not sel",
        "sel:\n  requestURI|re: 'abc'\ncondition: sel",
        "sel:\n  responseStatus.code|gte: 400\ncondition: sel",
        "sel:\n  verb|exists: true\ncondition: sel",
        "sel:\n  verb|contains: ab\ncondition: sel",
        "sel:\n  verb: ''\ncondition: sel",
        "sel:\n  verb: create\nother:\n  sourceIPs|cidr: 10.0.0.0/8\ncondition: sel or other",
    ];
    for det in none {
        assert_eq!(engine_with(&indent(det), &opts).needles(), None, "{det}");
    }
    let e = engine_with(
        &indent("sel:\n  verb: Create\n  objectRef.resource|re: 'x'\ncondition: sel"),
        &opts,
    );
    assert_eq!(e.needles(), Some(vec!["\"create\"".to_string()]));
    let e = engine_with(
        &indent("sel:\n  objectRef.name|endswith: '\\Evil\"x'\ncondition: sel"),
        &opts,
    );
    assert_eq!(e.needles(), Some(vec!["\\\\evil\\\"x\"".to_string()]));
    let e = engine_with(
        &indent(
            "a:\n  verb: delete\nb:\n  objectRef.resource: [events, secrets]\ncondition: a or b",
        ),
        &opts,
    );
    assert_eq!(
        e.needles(),
        Some(vec![
            "\"delete\"".into(),
            "\"events\"".into(),
            "\"secrets\"".into()
        ])
    );
}

#[test]
fn key_context_needles_for_scalar_audit_fields() {
    let opts = LoadOptions::default();
    let det = "sel:\n  verb: create\n  responseStatus.code: 403\n  objectRef.name|startswith: web\ncondition: sel";
    let keyed = EngineOptions {
        key_context_needles: true,
        ..EngineOptions::default()
    };
    let e = engine_opts(&indent(det), &opts, keyed);
    let n = e.needles_for(LogsourceKind::K8sAudit).expect("needles");
    assert_eq!(
        n,
        vec!["\"verb\":\"create\"".to_string()],
        "the longest keyed needle wins"
    );
    let det = "sel:\n  responseStatus.code: [401, 403]\ncondition: sel";
    let keyed = EngineOptions {
        key_context_needles: true,
        ..EngineOptions::default()
    };
    let e = engine_opts(&indent(det), &opts, keyed);
    assert_eq!(
        e.needles_for(LogsourceKind::K8sAudit).expect("needles"),
        [
            "\"code\":\"401\"",
            "\"code\":\"403\"",
            "\"code\":401",
            "\"code\":403"
        ]
    );
    // Without key context the bare number is the only certain text of the typed code.
    let e = engine_with(&indent(det), &opts);
    assert_eq!(
        e.needles_for(LogsourceKind::K8sAudit).expect("needles"),
        ["401", "403"]
    );
    // In untyped JSON a number's text may differ from the one compared (`4.03e2`): none.
    assert_eq!(e.needles(), None);
    // Array-valued fields never get key context.
    let det = "sel:\n  sourceIPs: 10.1.2.3\ncondition: sel";
    let keyed = EngineOptions {
        key_context_needles: true,
        ..EngineOptions::default()
    };
    let e = engine_opts(&indent(det), &opts, keyed);
    assert_eq!(
        e.needles_for(LogsourceKind::K8sAudit).expect("needles"),
        ["\"10.1.2.3\""]
    );
    check(det, &json!({"sourceIPs": ["10.1.2.3"]}), true, &opts);
}

#[test]
fn lint_tells_never_firing_rules_from_dead_selections() {
    use jobwarden_sigma::LintKind;
    let opts = LoadOptions::default();
    let lint = |det: &str| -> Vec<(LintKind, usize)> {
        engine_with(&indent(det), &opts)
            .lint()
            .into_iter()
            .map(|w| (w.kind, w.line))
            .collect()
    };
    // Lines: the rule text puts `detection:` on line 7, so selections start on line 8.
    assert_eq!(
        lint("sel:\n  hostPath: '*'\n  verb: create\ncondition: sel"),
        [(LintKind::NeverFires, 9)]
    );
    assert_eq!(
        lint("a:\n  hostPath: '*'\nb:\n  verb: create\ncondition: a or b"),
        [(LintKind::DeadSelection, 9)]
    );
    // Under `not`, an absent field makes the selection constantly false: still fires.
    assert_eq!(
        lint("a:\n  verb: create\nb:\n  hostPath: x\ncondition: a and not b"),
        [(LintKind::DeadSelection, 11)]
    );
    assert_eq!(
        lint("sel:\n  responseStatus.code: ALLOW\ncondition: sel"),
        [(LintKind::NeverFires, 9)]
    );
    assert!(lint("sel:\n  responseStatus.code: [401, '403']\ncondition: sel").is_empty());
    assert!(
        lint("sel:\n  hostPath|exists: false\n  verb: get\ncondition: sel")
            .iter()
            .all(|(k, _)| *k == LintKind::DeadSelection)
    );
    assert_eq!(
        lint("keywords: [xmrig]\ncondition: keywords"),
        [(LintKind::KeywordScan, 1)]
    );
}

#[test]
fn requirements_are_conjunctions_of_branches() {
    let opts = LoadOptions::default();
    let keyed = || EngineOptions {
        key_context_needles: true,
        ..EngineOptions::default()
    };
    let det = "sel:\n  verb: create\n  objectRef.resource: pods\n  objectRef.namespace: kube-system\ncondition: sel";
    let e = engine_opts(&indent(det), &opts, keyed());
    let req = e.requirement(0).expect("requirement");
    let mut clauses = req.clauses.clone();
    clauses.sort();
    assert_eq!(
        clauses,
        [
            vec!["\"namespace\":\"kube-system\"".to_string()],
            vec!["\"resource\":\"pods\"".to_string()],
            vec!["\"verb\":\"create\"".to_string()],
        ]
    );
    // The anchor is the most selective clause.
    assert_eq!(req.anchor(), ["\"namespace\":\"kube-system\""]);
    assert!(
        req.holds(r#"{"verb":"create","objectref":{"resource":"pods","namespace":"kube-system"}}"#)
    );
    assert!(
        !req.holds(r#"{"verb":"get","objectref":{"resource":"pods","namespace":"kube-system"}}"#)
    );
    let create_pod =
        json!({"verb": "create", "objectRef": {"resource": "pods", "namespace": "kube-system"}});
    check(det, &create_pod, true, &opts);

    // OR: (a and b) or c needs (a or c) and (b or c).
    let det = "a:\n  verb: delete\n  objectRef.resource: secrets\nc:\n  objectRef.subresource: exec\ncondition: a or c";
    let e = engine_opts(&indent(det), &opts, keyed());
    let req = e.requirement(0).expect("requirement");
    assert_eq!(req.clauses.len(), 2, "{:?}", req.clauses);
    assert!(
        req.clauses
            .iter()
            .all(|c| c.contains(&"\"subresource\":\"exec\"".to_string()))
    );
    check(
        det,
        &json!({"verb": "delete", "objectRef": {"resource": "secrets"}}),
        true,
        &opts,
    );
    check(
        det,
        &json!({"verb": "get", "objectRef": {"resource": "pods", "subresource": "exec"}}),
        true,
        &opts,
    );

    // `not`, numbers in bodies, and the defaulted `stage` add no clause.
    let det = "sel:\n  verb: create\n  stage: ResponseComplete\n  requestObject.spec.replicas: 3\nfilter:\n  user.username: admin\ncondition: sel and not filter";
    let e = engine_opts(&indent(det), &opts, keyed());
    assert_eq!(
        e.requirement(0).expect("requirement").clauses,
        [vec!["\"verb\":\"create\"".to_string()]]
    );
    check(
        det,
        &json!({"verb": "create", "stage": "ResponseComplete", "requestObject": {"spec": {"replicas": 3.0}}}),
        true,
        &opts,
    );

    // Derived fields are not in the line: they require what the caller says their events hold.
    let derived = EngineOptions {
        derived_fields: vec![("jobwarden.".to_string(), vec!["jobs".to_string()])],
        ..keyed()
    };
    let det = "sel:\n  jobwarden.privileged: true\ncondition: sel";
    let e = engine_opts(&indent(det), &opts, derived.clone());
    assert_eq!(
        e.requirement(0).expect("req").clauses,
        [vec!["jobs".to_string()]]
    );
    assert!(
        e.lint().is_empty(),
        "derived fields are not absent: {:?}",
        e.lint()
    );
    // A test that holds without the field needs nothing.
    let det = "sel:\n  jobwarden.privileged|exists: false\n  verb: get\ncondition: sel";
    let e = engine_opts(&indent(det), &opts, derived);
    assert_eq!(
        e.requirement(0).expect("req").clauses,
        [vec!["\"verb\":\"get\"".to_string()]]
    );
}
