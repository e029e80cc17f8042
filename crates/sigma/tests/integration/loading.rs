//! Loader behaviour: collections, correlation parsing, errors that name file and line, and a
//! no-panic property over random rule text.

use jobwarden_sigma::{
    CorrelationType, Engine, EngineOptions, LoadOptions, LogsourceKind, Rule, load_path,
    load_paths, load_str,
};
use proptest::prelude::*;
use serde_json::json;

fn load(text: &str) -> jobwarden_sigma::LoadReport {
    load_str(text, "rules/x.yml", &LoadOptions::default())
}

#[test]
fn errors_name_file_line_and_construct() {
    let cases: Vec<(&str, usize, &str)> = vec![
        (
            "title: a\nlogsource:\n  product: kubernetes\ndetection:\n  sel:\n    verb|bogus: create\n  condition: sel\n",
            6,
            "unsupported modifier `bogus`",
        ),
        (
            "title: a\nlogsource: {}\ndetection:\n  sel:\n    verb: x\n  condition: sel and other\n",
            6,
            "`other`",
        ),
        (
            "title: a\nlogsource: {}\ndetection:\n  sel:\n    verb: x\n  condition: sel | count() > 5\n",
            6,
            "aggregation",
        ),
        (
            "title: a\nlogsource: {}\ndetection:\n  sel:\n    verb: x\n",
            3,
            "no `condition`",
        ),
        (
            "title: a\nlogsource: {}\nlevel: severe\ndetection:\n  sel:\n    verb: x\n  condition: sel\n",
            3,
            "unknown level",
        ),
        (
            "title: a\nlogsource: {}\ndetection:\n  sel:\n    verb|re: '(?<=x)y'\n  condition: sel\n",
            5,
            "regular expression",
        ),
        (
            "title: a\nlogsource: {}\ndetection:\n  sel:\n    ip|cidr: 10.0.0.0/99\n  condition: sel\n",
            5,
            "CIDR",
        ),
        (
            "title: a\nlogsource: {}\ndetection:\n  sel:\n    n|gt: many\n  condition: sel\n",
            5,
            "not a number",
        ),
        (
            "title: a\nlogsource: {}\ndetection:\n  sel:\n    ts|soundex: 5\n  condition: sel\n",
            5,
            "unsupported modifier `soundex`",
        ),
        (
            "title: a\nlogsource: {}\ndetection:\n  sel:\n    verb:\n      nested: map\n  condition: sel\n",
            5,
            "not a map",
        ),
        (
            "title: a\nlogsource: {}\ndetection:\n  sel: []\n  condition: sel\n",
            4,
            "empty",
        ),
        (
            "title: a\ndetection:\n  sel:\n    verb: x\n  condition: sel\n",
            1,
            "no `logsource`",
        ),
        (
            "title: a\nfoo: bar\n",
            1,
            "neither `detection` nor `correlation`",
        ),
        (
            "title: a\nlogsource: {}\ndetection:\n  sel:\n    x: 1\n  condition: 2 of sel\n",
            6,
            "`2 of`",
        ),
        (
            "title: c\ncorrelation:\n  type: event_count\n  rules: [r]\n  timespan: 5 minutes\n  condition: {gte: 2}\n",
            5,
            "invalid timespan",
        ),
        (
            "title: c\ncorrelation:\n  type: value_sum\n  rules: [r]\n  timespan: 5m\n",
            3,
            "unsupported correlation type `value_sum`",
        ),
        (
            "title: c\ncorrelation:\n  type: value_count\n  rules: [r]\n  timespan: 5m\n  condition: {gte: 2}\n",
            6,
            "condition.field",
        ),
        (
            "action: explode\ntitle: x\n",
            1,
            "unsupported collection action `explode`",
        ),
    ];
    for (text, line, needle) in cases {
        let report = load(text);
        assert!(report.rules.is_empty(), "should not load:\n{text}");
        assert_eq!(report.errors.len(), 1, "{text}\n{:?}", report.errors);
        let e = report.errors.first().expect("error");
        assert_eq!(e.file, "rules/x.yml");
        assert!(
            e.message.contains(needle),
            "message `{}` lacks `{needle}`",
            e.message
        );
        assert_eq!(e.line, line, "wrong line for `{}`:\n{text}", e.message);
        assert!(e.to_string().starts_with(&format!("rules/x.yml:{line}: ")));
    }
}

#[test]
fn invalid_yaml_reports_its_line_and_other_documents_still_load() {
    let text = "title: ok\nlogsource: {}\ndetection:\n  sel:\n    a: b\n  condition: sel\n---\ntitle: bad\ndetection: [unclosed\n";
    let report = load(text);
    assert_eq!(report.rules.len(), 1);
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    let e = report.errors.first().expect("error");
    assert!(e.message.starts_with("invalid YAML"), "{}", e.message);
    assert!(
        e.line >= 8,
        "line {} should point into the second document",
        e.line
    );
}

#[test]
fn collections_global_repeat_reset() {
    let text = r#"
action: global
title: Base
logsource:
  product: kubernetes
  service: audit
level: high
detection:
  condition: sel
---
id: r1
detection:
  sel:
    verb: create
---
action: repeat
id: r2
detection:
  sel:
    verb: delete
---
action: reset
---
id: r3
title: Standalone
logsource: {product: kubernetes, service: audit}
detection:
  sel:
    verb: get
  condition: sel
"#;
    let report = load(text);
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let rules: Vec<_> = report
        .rules
        .iter()
        .map(|r| match r {
            Rule::Detection(d) => (d.id.clone(), d.title.clone(), d.level, d.line),
            _ => panic!("only detection rules here"),
        })
        .collect();
    assert_eq!(rules.len(), 3);
    assert_eq!(
        rules.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
        ["r1", "r2", "r3"]
    );
    assert_eq!(rules.first().map(|r| r.1.as_str()), Some("Base"));
    assert_eq!(
        rules.get(2).map(|r| r.2),
        Some(None),
        "reset drops the global level"
    );
    assert_eq!(rules.first().map(|r| r.3), Some(11));
    let engine = Engine::new(report.rules, EngineOptions::default()).expect("engine");
    let ids = |ev: serde_json::Value| -> Vec<String> {
        engine
            .matches_json(LogsourceKind::K8sAudit, &ev)
            .into_iter()
            .map(|m| m.id)
            .collect()
    };
    // repeat replaces the `sel` values of the previous document, merged key by key.
    assert_eq!(ids(json!({"verb": "create"})), ["r1"]);
    assert_eq!(ids(json!({"verb": "delete"})), ["r2"]);
    assert_eq!(ids(json!({"verb": "get"})), ["r3"]);
}

#[test]
fn correlation_rules_parse_and_references_are_checked() {
    let text = r#"
title: Failed login
name: failed_login
logsource: {product: kubernetes, service: audit}
detection:
  sel:
    responseStatus.code: 401
  condition: sel
---
title: Many failures
correlation:
  type: event_count
  rules: failed_login
  group-by: [user.username]
  timespan: 10m
  condition:
    range: 3..10
  generate: true
level: high
---
title: Broken reference
correlation:
  type: temporal
  rules: [failed_login, missing_rule]
  timespan: 1h
"#;
    let report = load_str(text, "c.yml", &LoadOptions::default());
    let mut report2 = report.clone();
    report2.check_references();
    assert_eq!(report2.errors.len(), 1, "{:?}", report2.errors);
    let e = report2.errors.first().expect("error");
    assert!(e.message.contains("missing_rule") && e.line == 21, "{e}");
    let c = report2
        .rules
        .iter()
        .find_map(|r| match r {
            Rule::Correlation(c) => Some(c.clone()),
            _ => None,
        })
        .expect("correlation");
    assert_eq!(c.kind, CorrelationType::EventCount);
    assert_eq!(c.timespan_secs, 600);
    assert_eq!((c.condition.gte, c.condition.lte), (Some(3), Some(10)));
    assert!(c.generate);
    // Engine::new refuses what check_references would have removed.
    assert!(Engine::new(report.rules, EngineOptions::default()).is_err());
}

#[test]
fn files_and_directories() {
    let dir = std::env::temp_dir().join(format!("jobwarden-sigma-load-{}", std::process::id()));
    let sub = dir.join("nested");
    std::fs::create_dir_all(&sub).expect("mkdir");
    std::fs::write(
        dir.join("a.yml"),
        "title: a\nlogsource: {}\ndetection:\n  s:\n    x: 1\n  condition: s\n",
    )
    .expect("write");
    std::fs::write(
        sub.join("b.yaml"),
        "title: b\nlogsource: {}\ndetection:\n  s:\n    x|nope: 1\n  condition: s\n",
    )
    .expect("write");
    std::fs::write(dir.join("notes.txt"), "not a rule").expect("write");
    let report = load_path(&dir, &LoadOptions::default());
    assert_eq!(report.rules.len(), 1);
    assert_eq!(report.errors.len(), 1);
    assert!(
        report
            .errors
            .iter()
            .all(|e| e.file.ends_with("b.yaml") && e.line == 5)
    );
    let missing = load_paths(&[dir.join("absent.yml")], &LoadOptions::default());
    assert_eq!(missing.errors.len(), 1);
    assert!(
        missing
            .errors
            .iter()
            .all(|e| e.message.contains("cannot read"))
    );
    std::fs::remove_dir_all(&dir).expect("cleanup");
}

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("title: t\n".to_string()),
        Just("logsource: {product: kubernetes, service: audit}\n".to_string()),
        Just("detection:\n".to_string()),
        Just("  sel:\n".to_string()),
        Just("    verb|contains|all: [a, b]\n".to_string()),
        Just("    x|base64offset|contains: '*'\n".to_string()),
        Just("    x|utf16le|base64: 'a*'\n".to_string()),
        Just("    x|re|i: '(['\n".to_string()),
        Just("    x|windash: '-'\n".to_string()),
        Just("    x|cidr: '::/0'\n".to_string()),
        Just("    x|fieldref: y\n".to_string()),
        Just("    x|expand: '%a%%'\n".to_string()),
        Just("    x: ['\\\\', '\\*', '?', null, 1.5]\n".to_string()),
        Just("  - x\n".to_string()),
        Just("  condition: sel and not (1 of s* or all of them)\n".to_string()),
        Just("  condition: ((\n".to_string()),
        Just("correlation:\n  type: temporal_ordered\n  rules: [t]\n  timespan: 1s\n".to_string()),
        Just(
            "filter:\n  rules: [t]\n  selection:\n    x: y\n  condition: not selection\n"
                .to_string()
        ),
        Just("    ts|hour|gte: 3\n".to_string()),
        Just("name: t\n".to_string()),
        Just("  condition: {gte: 1, field: x}\n  group-by: [verb]\n".to_string()),
        Just("---\n".to_string()),
        Just("action: global\n".to_string()),
        Just("action: repeat\n".to_string()),
        "[ -~]{0,30}\n",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn random_rule_text_never_panics(parts in proptest::collection::vec(fragment(), 0..14)) {
        let text: String = parts.concat();
        let mut report = load_str(&text, "p.yml", &LoadOptions::default());
        report.check_references();
        for e in &report.errors {
            prop_assert!(e.line <= text.lines().count() + 1);
        }
        if let Ok(mut engine) = Engine::new(report.rules, EngineOptions::default()) {
            let ev = json!({"verb": "a b", "x": ["-", "::1", 3], "y": "-"});
            for m in engine.matches_json(LogsourceKind::Generic, &ev) {
                let _ = engine.observe(&m, &jobwarden_sigma::JsonEvent::new(&ev, &jobwarden_sigma::FieldMap::generic()), jiff::Timestamp::UNIX_EPOCH);
            }
            let _ = engine.needles();
            let _ = engine.lint();
            let _ = engine.finish();
        }
    }

    #[test]
    fn arbitrary_bytes_never_panic(text in "\\PC{0,300}") {
        let _ = load_str(&text, "p.yml", &LoadOptions::default());
    }
}

#[test]
fn filter_rules_tune_the_rules_they_name() {
    let text = r#"
title: Secret read
id: 6f3e2987-db24-4c78-a860-b4f4095a7095
name: secret_read
logsource: {product: kubernetes, service: audit}
detection:
  sel:
    objectRef.resource: secrets
    verb: get
  condition: sel
---
title: Exec
id: exec-rule
logsource: {product: kubernetes, service: audit}
detection:
  sel:
    objectRef.subresource: exec
  condition: sel
---
title: Windows only
id: win-rule
logsource: {product: windows, category: process_creation}
detection:
  sel:
    Image|endswith: '\x.exe'
  condition: sel
---
title: Filter the dashboard
logsource:
  product: kubernetes
filter:
  rules:
    - secret_read
    - win-rule
    - not-loaded
  selection:
    user.username|startswith: 'system:serviceaccount:kubernetes-dashboard:'
  condition: selection
---
title: Filter nothing loaded
logsource: {product: kubernetes}
filter:
  rules: [gone]
  selection:
    verb: get
  condition: selection
"#;
    let mut report = load_str(text, "f.yml", &LoadOptions::default());
    report.check_references();
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert!(
        report
            .errors
            .iter()
            .all(|e| e.message.contains("names no loaded rule") && e.line == 40)
    );
    let engine = Engine::new(report.rules, EngineOptions::default()).expect("engine");
    let ids = |user: &str| -> Vec<String> {
        let ev = json!({"verb": "get", "user": {"username": user}, "objectRef": {"resource": "secrets"}});
        engine
            .matches_json(LogsourceKind::K8sAudit, &ev)
            .into_iter()
            .map(|m| m.id)
            .collect()
    };
    assert_eq!(ids("alice"), ["6f3e2987-db24-4c78-a860-b4f4095a7095"]);
    assert!(ids("system:serviceaccount:kubernetes-dashboard:kubernetes-dashboard").is_empty());
    let notes: Vec<String> = engine.lint().into_iter().map(|w| w.message).collect();
    assert!(
        notes
            .iter()
            .any(|m| m.contains("win-rule") && m.contains("does not cover")),
        "{notes:?}"
    );
    assert!(notes.iter().any(|m| m.contains("not-loaded")), "{notes:?}");
    // Filters never remove needles: the rule's own literals still guard it.
    assert!(engine.rule_needles(0).is_some());
    // Evaluating only prefilter candidates gives the same answer for those rules.
    let ev = json!({"verb": "create", "objectRef": {"resource": "pods", "subresource": "exec"}});
    let all = engine.matches_json(LogsourceKind::K8sAudit, &ev);
    let map = jobwarden_sigma::FieldMap::raw();
    let some = engine.matches_among(
        LogsourceKind::K8sAudit,
        &[0, 1, 2],
        &jobwarden_sigma::JsonEvent::new(&ev, &map),
    );
    assert_eq!(all, some);
    assert_eq!(some.len(), 1);
}
