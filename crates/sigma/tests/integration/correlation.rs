//! Correlation rules (event_count, value_count, temporal, temporal_ordered) with group-by,
//! timespan, aliases and generate; log-source routing; alert mapping.

use jiff::Timestamp;
use jobwarden_model::{Evidence, EvidenceKind, Severity};
use jobwarden_sigma::{
    AlertContext, CorrelationHit, Engine, EngineOptions, FieldMap, JsonEvent, LoadOptions,
    LogsourceKind, correlation_alert, load_str, match_alert,
};
use serde_json::{Value, json};

const BASE: &str = r#"
title: Pod exec
name: exec
id: 11111111-0000-0000-0000-000000000001
logsource: {product: kubernetes, service: audit}
level: low
tags: [attack.execution, attack.t1609]
detection:
  sel:
    objectRef.subresource: exec
  condition: sel
---
title: Secret read
name: secret_read
logsource: {product: kubernetes, service: audit}
detection:
  sel:
    objectRef.resource: secrets
    verb: get
  condition: sel
---
title: CronJob create
name: cron_create
logsource: {product: kubernetes, service: audit}
detection:
  sel:
    objectRef.resource: cronjobs
    verb: create
  condition: sel
"#;

fn engine(correlation: &str) -> Engine {
    let text = format!("{BASE}---\n{correlation}");
    let mut report = load_str(&text, "corr.yml", &LoadOptions::default());
    report.check_references();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    Engine::new(report.rules, EngineOptions::default()).expect("engine")
}

fn at(secs: i64) -> Timestamp {
    Timestamp::from_second(1_800_000_000 + secs).expect("time")
}

/// Feeds events in order; returns every hit (including those `finish` produces).
fn run(engine: &mut Engine, events: &[(i64, Value)]) -> Vec<CorrelationHit> {
    let map = FieldMap::raw();
    let mut hits = Vec::new();
    for (t, ev) in events {
        let e = JsonEvent::new(ev, &map);
        for m in engine.matches(LogsourceKind::K8sAudit, &e) {
            hits.extend(engine.observe(&m, &e, at(*t)));
        }
    }
    hits.extend(engine.finish());
    hits
}

fn exec(user: &str, pod: &str) -> Value {
    json!({"verb": "create", "user": {"username": user}, "objectRef": {"resource": "pods", "subresource": "exec", "name": pod}})
}

fn secret(user: &str) -> Value {
    json!({"verb": "get", "user": {"username": user}, "objectRef": {"resource": "secrets"}})
}

fn cron(user: &str) -> Value {
    json!({"verb": "create", "user": {"username": user}, "objectRef": {"resource": "cronjobs"}})
}

#[test]
fn event_count_groups_and_windows() {
    let corr = "title: Exec burst\ncorrelation:\n  type: event_count\n  rules: exec\n  group-by: [user.username]\n  timespan: 1m\n  condition:\n    gte: 3\nlevel: high\n";
    let mut e = engine(corr);
    let hits = run(
        &mut e,
        &[
            (0, exec("a", "p")),
            (10, exec("b", "p")),
            (20, exec("a", "p")),
            (30, exec("b", "p")),
            (50, exec("a", "p")),
        ],
    );
    assert_eq!(hits.len(), 1, "{hits:?}");
    let h = hits.first().expect("hit");
    assert_eq!(
        h.group,
        vec![("user.username".to_string(), "a".to_string())]
    );
    assert_eq!((h.count, h.first, h.last), (3, at(0), at(50)));
    // Outside the timespan nothing fires.
    let mut e = engine(corr);
    assert!(
        run(
            &mut e,
            &[
                (0, exec("a", "p")),
                (40, exec("a", "p")),
                (100, exec("a", "p"))
            ]
        )
        .is_empty()
    );
}

#[test]
fn event_count_upper_bounds_decide_when_the_window_closes() {
    let corr = "title: Few execs\ncorrelation:\n  type: event_count\n  rules: exec\n  group-by: [user.username]\n  timespan: 1m\n  condition:\n    lt: 2\n";
    let mut e = engine(corr);
    let hits = run(
        &mut e,
        &[
            (0, exec("a", "p")),
            (5, exec("b", "p")),
            (10, exec("b", "p")),
        ],
    );
    assert_eq!(
        hits.iter().map(|h| h.group.clone()).collect::<Vec<_>>(),
        vec![vec![("user.username".to_string(), "a".to_string())]]
    );
    let corr = "title: Range\ncorrelation:\n  type: event_count\n  rules: exec\n  timespan: 1m\n  condition:\n    range: 2..3\n";
    let mut e = engine(corr);
    // window 1 [0, 60): 2 events → fires when the event at 70 closes it; window 2: 4 events → no.
    let hits = run(
        &mut e,
        &[
            (0, exec("a", "p")),
            (5, exec("a", "p")),
            (70, exec("a", "p")),
            (71, exec("a", "p")),
            (72, exec("a", "p")),
            (73, exec("a", "p")),
        ],
    );
    assert_eq!(hits.iter().map(|h| h.count).collect::<Vec<_>>(), vec![2]);
}

#[test]
fn value_count_counts_distinct_values() {
    let corr = "title: Many pods\ncorrelation:\n  type: value_count\n  rules: exec\n  group-by: [user.username]\n  timespan: 5m\n  condition:\n    field: objectRef.name\n    gt: 2\n";
    let mut e = engine(corr);
    let hits = run(
        &mut e,
        &[
            (0, exec("a", "p1")),
            (1, exec("a", "p1")),
            (2, exec("a", "p2")),
            (3, exec("b", "p9")),
            (4, exec("a", "p3")),
        ],
    );
    assert_eq!(hits.len(), 1, "{hits:?}");
    assert_eq!(hits.first().map(|h| h.count), Some(3));
    let mut e = engine(corr);
    assert!(
        run(
            &mut e,
            &[
                (0, exec("a", "p1")),
                (1, exec("a", "p1")),
                (2, exec("a", "p2"))
            ]
        )
        .is_empty()
    );
}

#[test]
fn temporal_any_order_within_timespan() {
    let corr = "title: Exec and secret\ncorrelation:\n  type: temporal\n  rules: [exec, secret_read]\n  group-by: [user.username]\n  timespan: 2m\n";
    let mut e = engine(corr);
    let hits = run(
        &mut e,
        &[(0, secret("a")), (30, secret("b")), (60, exec("a", "p"))],
    );
    assert_eq!(hits.len(), 1);
    assert_eq!(
        hits.first().map(|h| h.group.clone()),
        Some(vec![("user.username".to_string(), "a".to_string())])
    );
    let mut e = engine(corr);
    assert!(
        run(&mut e, &[(0, secret("a")), (500, exec("a", "p"))]).is_empty(),
        "too far apart"
    );
}

#[test]
fn temporal_ordered_requires_the_order() {
    let corr = "title: Recon then persist\ncorrelation:\n  type: temporal_ordered\n  rules: [secret_read, exec, cron_create]\n  group-by: [user.username]\n  timespan: 10m\n";
    let mut e = engine(corr);
    assert_eq!(
        run(
            &mut e,
            &[(0, secret("a")), (10, exec("a", "p")), (20, cron("a"))]
        )
        .len(),
        1
    );
    let mut e = engine(corr);
    assert!(
        run(
            &mut e,
            &[(0, exec("a", "p")), (10, secret("a")), (20, cron("a"))]
        )
        .is_empty()
    );
    let mut e = engine(corr);
    assert!(
        run(
            &mut e,
            &[(0, secret("a")), (10, exec("b", "p")), (20, cron("a"))]
        )
        .is_empty(),
        "different users"
    );
}

#[test]
fn aliases_map_group_fields_per_rule() {
    let corr = "title: Same actor\ncorrelation:\n  type: temporal\n  rules: [exec, cron_create]\n  group-by: [actor]\n  timespan: 1h\n  aliases:\n    actor:\n      exec: user.username\n      cron_create: impersonatedUser.username\n";
    let mut e = engine(corr);
    let impersonated = json!({"verb": "create", "user": {"username": "admin"}, "impersonatedUser": {"username": "a"}, "objectRef": {"resource": "cronjobs"}});
    let hits = run(&mut e, &[(0, exec("a", "p")), (5, impersonated)]);
    assert_eq!(hits.len(), 1);
    assert_eq!(
        hits.first().map(|h| h.group.clone()),
        Some(vec![("actor".to_string(), "a".to_string())])
    );
}

#[test]
fn generate_controls_whether_base_matches_alert() {
    let quiet = engine(
        "title: q\ncorrelation:\n  type: event_count\n  rules: exec\n  timespan: 1m\n  condition: {gte: 2}\n",
    );
    let m = quiet.matches_json(LogsourceKind::K8sAudit, &exec("a", "p"));
    assert_eq!(m.iter().map(|m| m.emit).collect::<Vec<_>>(), vec![false]);
    let loud = engine(
        "title: q\ncorrelation:\n  type: event_count\n  rules: exec\n  timespan: 1m\n  condition: {gte: 2}\n  generate: true\n",
    );
    let m = loud.matches_json(LogsourceKind::K8sAudit, &exec("a", "p"));
    assert_eq!(m.iter().map(|m| m.emit).collect::<Vec<_>>(), vec![true]);
    let unrelated = quiet.matches_json(LogsourceKind::K8sAudit, &secret("a"));
    assert_eq!(
        unrelated.iter().map(|m| m.emit).collect::<Vec<_>>(),
        vec![true]
    );
}

#[test]
fn group_memory_is_bounded() {
    let corr = "title: c\ncorrelation:\n  type: event_count\n  rules: exec\n  group-by: [objectRef.name]\n  timespan: 1h\n  condition: {gte: 1000}\n";
    let text = format!("{BASE}---\n{corr}");
    let report = load_str(&text, "corr.yml", &LoadOptions::default());
    let options = EngineOptions {
        max_correlation_groups: 50,
        max_events_per_group: 10,
        ..EngineOptions::default()
    };
    let mut e = Engine::new(report.rules, options).expect("engine");
    let map = FieldMap::raw();
    for i in 0..500 {
        let ev = exec("a", &format!("pod-{}", i % 200));
        let je = JsonEvent::new(&ev, &map);
        for m in e.matches(LogsourceKind::K8sAudit, &je) {
            e.observe(&m, &je, at(i));
        }
        assert!(e.correlation_stats().groups <= 50);
    }
    let stats = e.correlation_stats();
    assert!(stats.evicted_groups > 0, "{stats:?}");
}

#[test]
fn logsource_routing_and_host_mapping() {
    let text = r#"
title: Curl pipe to shell
id: host-1
logsource: {product: linux, category: process_creation}
detection:
  sel:
    Image|endswith: /curl
    CommandLine|contains: '| sh'
    ParentImage|endswith: /cron
  condition: sel
---
title: Cron file written
id: host-2
logsource: {product: linux, category: file_event}
detection:
  sel:
    TargetFilename|startswith: /etc/cron.d/
  condition: sel
---
title: Windows thing
id: win-1
logsource: {product: windows, category: process_creation}
detection:
  sel:
    Image|endswith: '\cmd.exe'
  condition: sel
"#;
    let report = load_str(text, "host.yml", &LoadOptions::default());
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let e = Engine::new(report.rules, EngineOptions::default()).expect("engine");
    let proc_event = json!({"process": {"executable": "/usr/bin/curl", "command_line": "curl x | sh", "parent": {"executable": "/usr/sbin/cron"}}});
    let ids = |kind, ev: &Value| {
        e.matches_json(kind, ev)
            .into_iter()
            .map(|m| m.id)
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(LogsourceKind::HostProcess, &proc_event), ["host-1"]);
    assert!(ids(LogsourceKind::K8sAudit, &proc_event).is_empty());
    // jobwarden-host's own serialised ProcessEvent / FileEvent field names.
    let host_event = json!({"exe": "/usr/bin/curl", "argv": ["curl", "x"], "command_line": "curl x | sh", "parent_exe": "/usr/sbin/cron", "container": {"image": "alpine"}});
    assert_eq!(ids(LogsourceKind::HostProcess, &host_event), ["host-1"]);
    assert_eq!(
        ids(
            LogsourceKind::HostFile,
            &json!({"path": "/etc/cron.d/x", "operation": "create"})
        ),
        ["host-2"]
    );
    let taxonomy_event = json!({"Image": "/usr/bin/curl", "CommandLine": "curl | sh", "ParentImage": "/usr/sbin/cron"});
    assert_eq!(ids(LogsourceKind::HostProcess, &taxonomy_event), ["host-1"]);
    let file_event = json!({"file": {"path": "/etc/cron.d/evil"}});
    assert_eq!(ids(LogsourceKind::HostFile, &file_event), ["host-2"]);
    assert!(ids(LogsourceKind::HostProcess, &file_event).is_empty());
    let win = json!({"Event": {"EventData": {"Image": "C:\\Windows\\System32\\cmd.exe"}}});
    assert!(
        ids(LogsourceKind::HostProcess, &win).is_empty(),
        "windows rules are not bound to linux hosts"
    );
    assert_eq!(ids(LogsourceKind::Generic, &win), ["win-1"]);
}

#[test]
fn matches_and_hits_become_alerts() {
    let mut e = engine(
        "title: Exec burst\nid: corr-1\ncorrelation:\n  type: event_count\n  rules: exec\n  timespan: 1m\n  condition: {gte: 2}\n  generate: true\nlevel: critical\n",
    );
    let m = e.matches_json(LogsourceKind::K8sAudit, &exec("a", "p"));
    let m = m.first().expect("match");
    let evidence = vec![Evidence {
        source: "audit.log:7".into(),
        kind: EvidenceKind::K8sAudit,
        audit_id: Some("abc".into()),
        detail: Default::default(),
    }];
    let alert = match_alert(
        m,
        AlertContext {
            time: "2026-11-27T10:00:00Z".into(),
            evidence: evidence.clone(),
            ..AlertContext::default()
        },
    );
    assert_eq!(alert.rule.id, "11111111-0000-0000-0000-000000000001");
    assert_eq!(alert.rule.origin, "sigma:corr.yml");
    assert_eq!(alert.rule.attack, vec!["T1609"]);
    assert_eq!(alert.severity, Severity::Low);
    assert_eq!(alert.id.len(), 16);
    let ev = exec("a", "p");
    let map = FieldMap::raw();
    let je = JsonEvent::new(&ev, &map);
    assert!(e.observe(m, &je, at(0)).is_empty());
    let hits = e.observe(m, &je, at(1));
    let hit = hits.first().expect("hit");
    let alert = correlation_alert(
        hit,
        AlertContext {
            evidence,
            ..AlertContext::default()
        },
    );
    assert_eq!(
        (alert.rule.id.as_str(), alert.severity),
        ("corr-1", Severity::Critical)
    );
    assert!(alert.summary.contains("Exec burst"));
}

#[test]
fn chained_correlations_follow_the_specification_example() {
    // The specification's example: many failed logins, then a success, by the same user.
    let text = r#"
title: Correlation - Multiple Failed Logins Followed by Successful Login
id: b180ead8-d58f-40b2-ae54-c8940995b9b6
correlation:
    type: temporal_ordered
    rules:
        - multiple_failed_login
        - successful_login
    group-by:
        - User
    timespan: 10m
level: high
---
title: Multiple failed logons
id: a8418a5a-5fc4-46b5-b23b-6c73beb19d41
name: multiple_failed_login
correlation:
    type: event_count
    rules:
        - failed_login
    group-by:
        - User
    timespan: 10m
    condition:
        gte: 3
---
title: Single failed login
id: 53ba33fd-3a50-4468-a5ef-c583635cfa92
name: failed_login
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID:
            - 529
            - 4625
    condition: selection
---
title: Successful login
id: 4d0a2c83-c62c-4ed4-b475-c7e23a9269b8
name: successful_login
logsource:
    product: windows
    service: security
detection:
    selection:
        EventID:
            - 528
            - 4624
    condition: selection
"#;
    let mut report = load_str(text, "chain.yml", &LoadOptions::default());
    report.check_references();
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    let mut e = Engine::new(report.rules, EngineOptions::default()).expect("engine");
    let map = FieldMap::generic();
    let mut hits = Vec::new();
    let events = [
        (0, json!({"EventID": 4625, "User": "bob"})),
        (10, json!({"EventID": 4625, "User": "bob"})),
        (20, json!({"EventID": 4624, "User": "bob"})),
        (30, json!({"EventID": 4625, "User": "bob"})),
        (40, json!({"EventID": 4625, "User": "eve"})),
        (50, json!({"EventID": 4624, "User": "bob"})),
    ];
    for (t, ev) in &events {
        let je = JsonEvent::new(ev, &map);
        for m in e.matches(LogsourceKind::Generic, &je) {
            assert!(
                !m.emit,
                "base rules of a non-generating correlation do not alert"
            );
            hits.extend(e.observe(&m, &je, at(*t)));
        }
    }
    let titles: Vec<(&str, bool)> = hits.iter().map(|h| (h.title.as_str(), h.emit)).collect();
    assert_eq!(
        titles,
        vec![
            ("Multiple failed logons", false),
            (
                "Correlation - Multiple Failed Logins Followed by Successful Login",
                true
            )
        ]
    );
    assert_eq!(
        hits.last().map(|h| (h.group.clone(), h.last)),
        Some((vec![("User".to_string(), "bob".to_string())], at(50)))
    );
}

#[test]
fn temporal_condition_counts_distinct_rules() {
    let corr = "title: Two of three\ncorrelation:\n  type: temporal\n  rules: [exec, secret_read, cron_create]\n  group-by: [user.username]\n  timespan: 5m\n  condition:\n    gte: 2\n";
    let mut e = engine(corr);
    let hits = run(&mut e, &[(0, cron("a")), (1, cron("a")), (2, secret("a"))]);
    assert_eq!(hits.iter().map(|h| h.count).collect::<Vec<_>>(), vec![2]);
    let bad = "title: t\ncorrelation:\n  type: temporal\n  rules: [exec]\n  timespan: 5m\n  condition:\n    lt: 2\n";
    let report = load_str(bad, "bad.yml", &LoadOptions::default());
    assert_eq!(report.errors.len(), 1);
}
