//! End-to-end tests of the baseline: learn a benign stream, judge new activity, survive
//! restarts, refuse foreign and damaged files, serve readers while writing.

use crate::common;

use common::{Write, at, benign_stream};
use jobwarden_baseline::{
    Anomaly, AnomalyKind, Baseline, BaselineConfig, BaselineError, BaselineReader, CLUSTER_WIDE,
    ForgetTarget, Observation, SummaryFilter, TemplateVerdict, to_alerts,
};
use jobwarden_model::Severity;
use std::path::Path;

fn config() -> BaselineConfig {
    BaselineConfig {
        learning_until: Some("2024-01-15T00:00:00Z".into()),
        learning_days: 0,
        min_identity_observations: 10,
        ..BaselineConfig::default()
    }
}

fn obs(w: &Write, seq: u64) -> Observation {
    Observation::from_event(&w.event(seq), &format!("test.jsonl:{seq}"))
        .expect("extracts")
        .expect("is a batch write")
}

/// Learn `writes` through `observe(learn = true)`, returning every anomaly.
fn feed(baseline: &mut Baseline, writes: &[Write], first_seq: u64) -> Vec<Anomaly> {
    let mut all = Vec::new();
    for (i, w) in writes.iter().enumerate() {
        all.extend(
            baseline
                .observe(&obs(w, first_seq + i as u64), true)
                .expect("observe"),
        );
    }
    all
}

/// Like [`feed`], but stops at the first error instead of failing the test.
fn feed_checked(baseline: &mut Baseline, writes: &[Write]) -> Result<(), BaselineError> {
    for (i, w) in writes.iter().enumerate() {
        baseline.observe(&obs(w, i as u64), true)?;
    }
    baseline.flush()
}

fn kinds(anomalies: &[Anomaly]) -> Vec<AnomalyKind> {
    let mut k: Vec<_> = anomalies.iter().map(|a| a.kind).collect();
    k.sort();
    k
}

/// After the window (the third week): the same kinds of writes as the benign stream.
fn normal_week() -> Vec<Write> {
    let shift = jiff::SignedDuration::from_hours(14 * 24);
    benign_stream(7)
        .into_iter()
        .map(|mut w| {
            w.time = w.time.checked_add(shift).expect("in range");
            w.name.push_str("-w3");
            w
        })
        .collect()
}

#[test]
fn benign_learning_then_new_activity_alerts_and_repetition_does_not() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut baseline = Baseline::open(dir.path().join("b.redb"), config()).expect("open");
    let learned = feed(&mut baseline, &benign_stream(14), 0);
    assert!(
        learned.is_empty(),
        "nothing alerts in the learning window: {learned:?}"
    );

    // Repetition of normal activity after the window: silence.
    let repeat = feed(&mut baseline, &normal_week(), 10_000);
    assert!(repeat.is_empty(), "normal activity alerted: {repeat:?}");

    // A new creator in payments, with a risky template: high, quoting the known creators.
    let t = at("2024-01-23T11:00:00Z");
    let mut mallory = Write::cronjob("payments", "cleanup", "mallory", t);
    mallory.images = vec!["ghcr.io/acme/settle:2.1".into()];
    let o = obs(&mallory, 20_000);
    let anomalies = baseline.observe(&o, true).expect("observe");
    assert_eq!(
        kinds(&anomalies),
        vec![AnomalyKind::Creator],
        "{anomalies:?}"
    );
    let creator = &anomalies[0];
    assert_eq!(creator.scope, "payments");
    assert_eq!(creator.value, "mallory");
    assert!(creator.known.iter().any(|k| k.value
        == "system:serviceaccount:argocd:argocd-application-controller"
        && k.count > 0));
    assert_eq!(
        creator.known_distinct, 2,
        "argocd and the cronjob-controller: {:?}",
        creator.known
    );
    let risky = TemplateVerdict {
        worst_template_severity: Severity::High,
        actor_is_known_controller: false,
    };
    let alerts = to_alerts(&o, &anomalies, risky);
    assert_eq!(alerts.len(), 1);
    assert_eq!(alerts[0].rule.id, "JW-BASE-0001");
    assert_eq!(alerts[0].severity, Severity::High);
    assert!(
        alerts[0].summary.contains("mallory") && alerts[0].summary.contains("argocd"),
        "{}",
        alerts[0].summary
    );
    assert_eq!(alerts[0].evidence[0].source, "test.jsonl:20000");
    assert!(alerts[0].evidence[0].audit_id.is_some());
    assert_eq!(alerts[0].subject.namespace.as_deref(), Some("payments"));
    // ... and once learned, the same creator is normal: no alert storm.
    mallory.name = "cleanup-2".into();
    assert!(
        baseline
            .observe(&obs(&mallory, 20_001), true)
            .expect("observe")
            .is_empty()
    );

    // A known controller pulling from a registry nobody used: one registry alert (not also a
    // repository alert), low for a clean template from a known controller.
    let mut argo = normal_week()[0].clone();
    argo.name = "new-reg".into();
    argo.time = at("2024-01-23T12:00:00Z");
    argo.images = vec![
        "45.9.148.1:5000/m:latest".into(),
        "ghcr.io/acme/settle:2.1".into(),
    ];
    let o = obs(&argo, 20_002);
    let anomalies = baseline.observe(&o, true).expect("observe");
    assert_eq!(
        kinds(&anomalies),
        vec![AnomalyKind::Registry],
        "{anomalies:?}"
    );
    assert!(anomalies[0].known.iter().any(|k| k.value == "ghcr.io"));
    let clean_controller = TemplateVerdict {
        worst_template_severity: Severity::Info,
        actor_is_known_controller: true,
    };
    assert_eq!(
        to_alerts(&o, &anomalies, clean_controller)[0].severity,
        Severity::Low
    );
    assert_eq!(
        to_alerts(&o, &anomalies, TemplateVerdict::default())[0].severity,
        Severity::Medium
    );

    // A new repository in a known registry.
    let mut repo = argo.clone();
    repo.name = "new-repo".into();
    repo.images = vec!["ghcr.io/someone/tools:1".into()];
    let anomalies = baseline
        .observe(&obs(&repo, 20_003), true)
        .expect("observe");
    assert_eq!(
        kinds(&anomalies),
        vec![AnomalyKind::Repository],
        "{anomalies:?}"
    );

    // alice with python-requests, from a new network, on Sunday 03:00: client, network, hours.
    let mut alice = Write::job("ops", "odd", "alice", at("2024-01-28T03:00:00Z"));
    alice.user_agent = "python-requests/2.31.0".into();
    alice.ip = "198.51.100.23".into();
    let o = obs(&alice, 20_004);
    let anomalies = baseline.observe(&o, true).expect("observe");
    assert_eq!(
        kinds(&anomalies),
        vec![
            AnomalyKind::Client,
            AnomalyKind::Network,
            AnomalyKind::Hours
        ],
        "{anomalies:?}"
    );
    let client = anomalies
        .iter()
        .find(|a| a.kind == AnomalyKind::Client)
        .expect("client");
    assert_eq!(client.value, "python-requests");
    assert_eq!(client.known[0].value, "kubectl");
    let hours = anomalies
        .iter()
        .find(|a| a.kind == AnomalyKind::Hours)
        .expect("hours")
        .hours
        .clone()
        .expect("evidence");
    assert!(hours.distance_hours > 3, "{hours:?}");
    assert!(
        hours
            .usual
            .iter()
            .all(|(h, _)| h % 24 >= 9 && h % 24 < 17 && *h < 5 * 24)
    );
    let alerts = to_alerts(&o, &anomalies, TemplateVerdict::default());
    assert_eq!(alerts.len(), 3);
    assert!(alerts.iter().all(|a| a.severity == Severity::Low));
    let ids: std::collections::BTreeSet<_> = alerts.iter().map(|a| a.id.clone()).collect();
    assert_eq!(ids.len(), 3, "alert ids differ per rule");
    // Repeating that exact behaviour is learned.
    alice.name = "odd-2".into();
    assert!(
        baseline
            .observe(&obs(&alice, 20_005), true)
            .expect("observe")
            .is_empty()
    );

    // The cronjob-controller in a brand-new namespace is quiet; a person there is not.
    let mut tick = normal_week()[1].clone();
    tick.namespace = "newteam".into();
    tick.time = at("2024-01-24T00:00:00Z");
    assert!(
        baseline
            .observe(&obs(&tick, 20_006), true)
            .expect("observe")
            .is_empty()
    );
    let bob = Write::job("newteam", "first", "bob", at("2024-01-24T10:00:00Z"));
    let bob_anoms = baseline.observe(&obs(&bob, 20_007), true).expect("observe");
    assert_eq!(
        kinds(&bob_anoms),
        vec![AnomalyKind::Creator],
        "a new identity is reported once, as a creator: {bob_anoms:?}"
    );
    let stats = baseline.finish().expect("finish");
    assert!(stats.commits >= 1 && stats.anomalies == 7, "{stats:?}");
}

#[test]
fn learning_days_window_counts_from_the_first_observation() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = BaselineConfig {
        learning_days: 2,
        ..BaselineConfig::default()
    };
    let mut baseline = Baseline::open(dir.path().join("b.redb"), cfg).expect("open");
    let day1 = Write::job("ops", "a", "alice", at("2024-03-01T10:00:00Z"));
    assert!(
        baseline
            .observe(&obs(&day1, 1), true)
            .expect("observe")
            .is_empty()
    );
    let day2 = Write::job("ops", "b", "bob", at("2024-03-02T23:00:00Z"));
    assert!(
        baseline
            .observe(&obs(&day2, 2), true)
            .expect("observe")
            .is_empty(),
        "still learning"
    );
    let day3 = Write::job("ops", "c", "carol", at("2024-03-03T10:00:01Z"));
    let anomalies = baseline.observe(&obs(&day3, 3), true).expect("observe");
    assert_eq!(kinds(&anomalies), vec![AnomalyKind::Creator]);
    let stats = baseline.finish().expect("finish");
    assert_eq!(stats.in_learning_window, 2);
}

#[test]
fn frozen_baseline_reports_a_first_seen_value_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut baseline = Baseline::open(dir.path().join("b.redb"), config()).expect("open");
    for (i, w) in benign_stream(14).iter().enumerate() {
        baseline.learn(&obs(w, i as u64)).expect("learn");
    }
    let eve = Write::job("ops", "x", "eve", at("2024-01-20T10:00:00Z"));
    assert_eq!(
        baseline
            .observe(&obs(&eve, 1), false)
            .expect("observe")
            .len(),
        1
    );
    assert!(
        baseline
            .observe(&obs(&eve, 2), false)
            .expect("observe")
            .is_empty()
    );
    baseline.finish().expect("finish");
    // Not learned: a fresh process reports eve again.
    let mut baseline = Baseline::open(dir.path().join("b.redb"), config()).expect("reopen");
    assert_eq!(
        baseline
            .observe(&obs(&eve, 3), false)
            .expect("observe")
            .len(),
        1
    );
}

fn summary_json(path: &Path) -> serde_json::Value {
    let reader = BaselineReader::open(path).expect("reader");
    let mut v = serde_json::to_value(reader.summary(&SummaryFilter::default()).expect("summary"))
        .expect("json");
    v["state_file"] = serde_json::Value::Null;
    v
}

#[test]
fn restart_mid_stream_keeps_the_state() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stream = benign_stream(14);
    let (first, second) = stream.split_at(stream.len() / 2);
    let cfg = BaselineConfig {
        commit_every: 7,
        ..config()
    };

    let restarted = dir.path().join("restarted.redb");
    {
        let mut b = Baseline::open(&restarted, cfg.clone()).expect("open");
        feed(&mut b, first, 0);
        // Dropped without finish: the pending transaction is committed on drop.
    }
    {
        let mut b = Baseline::open(&restarted, cfg.clone()).expect("reopen");
        feed(&mut b, second, first.len() as u64);
        b.finish().expect("finish");
    }
    let single = dir.path().join("single.redb");
    {
        let mut b = Baseline::open(&single, cfg.clone()).expect("open");
        feed(&mut b, &stream, 0);
        b.finish().expect("finish");
    }
    assert_eq!(summary_json(&restarted), summary_json(&single));

    // What was learned before the restart is known after it.
    let cfg = BaselineConfig {
        commit_every: 1000,
        commit_interval_seconds: 3600,
        ..cfg
    };
    let mut b = Baseline::open(&restarted, cfg).expect("reopen");
    let again = normal_week();
    assert!(feed(&mut b, &again[..50], 90_000).is_empty());
    let reader = b.reader();
    let stats = reader
        .scope_stats("prod", CLUSTER_WIDE)
        .expect("read")
        .expect("present");
    assert_eq!(
        stats.count,
        stream.len() as u64,
        "the reader sees commits only"
    );
    b.flush().expect("flush");
    let stats = reader
        .scope_stats("prod", CLUSTER_WIDE)
        .expect("read")
        .expect("present");
    assert_eq!(stats.count, stream.len() as u64 + 50);
}

#[test]
fn foreign_and_damaged_files_give_clear_errors() {
    let dir = tempfile::tempdir().expect("tempdir");

    let text = dir.path().join("notes.txt");
    std::fs::write(&text, "just some notes\n").expect("write");
    let err = Baseline::open(&text, config()).err().expect("refused");
    assert!(matches!(err, BaselineError::NotABaseline { .. }), "{err}");
    let msg = err.to_string();
    assert!(
        msg.contains("notes.txt")
            && msg.contains("not a jobwarden baseline")
            && msg.contains("not a redb database"),
        "{msg}"
    );
    assert_eq!(
        std::fs::read_to_string(&text).expect("read"),
        "just some notes\n",
        "the file is untouched"
    );
    assert!(BaselineReader::open(&text).is_err());

    // Another program's redb database.
    let foreign = dir.path().join("other.redb");
    {
        let db = redb::Database::create(&foreign).expect("create");
        let txn = db.begin_write().expect("txn");
        {
            let def: redb::TableDefinition<&str, u64> = redb::TableDefinition::new("users");
            let mut t = txn.open_table(def).expect("table");
            t.insert("root", &0).expect("insert");
        }
        txn.commit().expect("commit");
    }
    let err = Baseline::open(&foreign, config()).err().expect("refused");
    let msg = err.to_string();
    assert!(
        matches!(err, BaselineError::NotABaseline { .. })
            && msg.contains("another program")
            && msg.contains("users"),
        "{msg}"
    );
    assert!(matches!(
        BaselineReader::open(&foreign),
        Err(BaselineError::NotABaseline { .. })
    ));

    // A real baseline, damaged in several ways: never a panic, always an error naming the file.
    let good = dir.path().join("good.redb");
    {
        let mut b = Baseline::open(&good, config()).expect("open");
        feed(&mut b, &benign_stream(3), 0);
        b.finish().expect("finish");
    }
    let bytes = std::fs::read(&good).expect("read");
    let damaged: Vec<(&str, Vec<u8>)> = vec![
        ("truncated-header", bytes[..20].to_vec()),
        ("truncated-half", bytes[..bytes.len() / 2].to_vec()),
        ("zeroed-header", {
            let mut b = bytes.clone();
            for x in b.iter_mut().skip(9).take(500) {
                *x = 0;
            }
            b
        }),
        ("scribbled-pages", {
            let mut b = bytes.clone();
            let len = b.len();
            for x in b.iter_mut().skip(len / 3).take(len / 3) {
                *x ^= 0x5a;
            }
            b
        }),
        ("garbage-after-magic", {
            let mut b = bytes[..9].to_vec();
            b.extend((0..20_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
            b
        }),
    ];
    for (name, content) in damaged {
        let path = dir.path().join(format!("{name}.redb"));
        std::fs::write(&path, &content).expect("write");
        for result in [
            Baseline::open(&path, config()).map(|_| ()),
            BaselineReader::open(&path).map(|_| ()),
        ] {
            match result {
                Err(e) => assert!(
                    e.to_string().contains(&format!("{name}.redb")),
                    "{name}: {e}"
                ),
                // redb may repair some damage (or not read the damaged pages yet): reading and
                // learning must then give results or errors, never a panic.
                Ok(()) => {
                    let read = BaselineReader::open(&path)
                        .and_then(|r| r.summary(&SummaryFilter::default()).map(|_| ()));
                    if let Err(e) = read {
                        assert!(
                            e.to_string().contains(&format!("{name}.redb")),
                            "{name}: {e}"
                        );
                    }
                    if let Ok(mut b) = Baseline::open(&path, config()) {
                        let _ = feed_checked(&mut b, &benign_stream(1));
                    }
                }
            }
        }
    }

    // A directory where the file should be; a missing file for a reader.
    let err = Baseline::open(dir.path(), config()).err().expect("refused");
    assert!(!err.to_string().is_empty());
    let err = BaselineReader::open(dir.path().join("absent.redb"))
        .err()
        .expect("missing");
    assert!(
        matches!(err, BaselineError::Missing { .. }) && err.to_string().contains("baseline learn"),
        "{err}"
    );
}

#[test]
fn schema_version_mismatch_is_explained() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("b.redb");
    Baseline::open(&path, config())
        .expect("create")
        .finish()
        .expect("finish");
    {
        let db = redb::Database::open(&path).expect("raw open");
        let txn = db.begin_write().expect("txn");
        {
            let def: redb::TableDefinition<&str, &str> = redb::TableDefinition::new("jw_meta");
            let mut t = txn.open_table(def).expect("meta");
            t.insert("schema_version", "999").expect("insert");
        }
        txn.commit().expect("commit");
    }
    let err = Baseline::open(&path, config()).err().expect("refused");
    let msg = err.to_string();
    assert!(
        matches!(err, BaselineError::SchemaMismatch { ref found, expected: 1, .. } if found == "999"),
        "{msg}"
    );
    assert!(
        msg.contains("schema version 999")
            && msg.contains("reads schema version 1")
            && msg.contains("b.redb"),
        "{msg}"
    );
    assert!(matches!(
        BaselineReader::open(&path),
        Err(BaselineError::SchemaMismatch { .. })
    ));
}

#[test]
fn a_second_writer_or_a_reader_process_is_told_the_file_is_in_use() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("b.redb");
    let b = Baseline::open(&path, config()).expect("open");
    let err = Baseline::open(&path, config()).err().expect("locked");
    assert!(
        matches!(err, BaselineError::InUse { .. })
            && err.to_string().contains("another jobwarden process"),
        "{err}"
    );
    assert!(matches!(
        BaselineReader::open(&path),
        Err(BaselineError::InUse { .. })
    ));
    b.finish().expect("finish");
    // Once closed, several readers may share it.
    let r1 = BaselineReader::open(&path).expect("reader 1");
    let r2 = BaselineReader::open(&path).expect("reader 2");
    assert!(
        r1.summary(&SummaryFilter::default())
            .expect("summary")
            .clusters
            .is_empty()
    );
    drop((r1, r2));
}

#[test]
fn readers_in_other_threads_see_consistent_commits_while_writing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = BaselineConfig {
        commit_every: 25,
        ..config()
    };
    let mut b = Baseline::open(dir.path().join("b.redb"), cfg).expect("open");
    let reader = b.reader();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let stop_reader = std::sync::Arc::clone(&stop);
    let handle = std::thread::spawn(move || {
        let mut seen = Vec::new();
        while !stop_reader.load(std::sync::atomic::Ordering::Relaxed) {
            let wide = reader
                .scope_stats("prod", CLUSTER_WIDE)
                .expect("read")
                .map_or(0, |s| s.count);
            let per_ns: u64 = ["payments", "ops"]
                .iter()
                .map(|ns| {
                    reader
                        .scope_stats("prod", ns)
                        .expect("read")
                        .map_or(0, |s| s.count)
                })
                .sum();
            // Separate transactions: the cluster-wide count can only have grown in between.
            assert!(per_ns >= wide, "namespaces {per_ns} < cluster-wide {wide}");
            let summary = reader.summary(&SummaryFilter::default()).expect("summary");
            if let Some(c) = summary.clusters.first() {
                let total: u64 = c
                    .scopes
                    .iter()
                    .filter(|s| s.namespace != CLUSTER_WIDE)
                    .map(|s| s.observations)
                    .sum();
                assert_eq!(
                    total, c.scopes[0].observations,
                    "one snapshot is consistent"
                );
            }
            seen.push(wide);
        }
        seen
    });
    let stream = benign_stream(14);
    feed(&mut b, &stream, 0);
    b.flush().expect("flush");
    std::thread::sleep(std::time::Duration::from_millis(20));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let seen = handle.join().expect("reader thread");
    assert!(
        seen.windows(2).all(|w| w[0] <= w[1]),
        "counts never go back"
    );
    assert!(!seen.is_empty());
    b.finish().expect("finish");
}

#[test]
fn forget_identity_namespace_and_everything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let stream = benign_stream(14);
    let path = dir.path().join("b.redb");
    let mut b = Baseline::open(&path, config()).expect("open");
    feed(&mut b, &stream, 0);

    // Forgetting alice makes her first-seen again.
    let removed = b
        .forget(&ForgetTarget::Identity("alice".into()), None)
        .expect("forget");
    assert!(removed > 0);
    let alice = Write::job("ops", "again", "alice", at("2024-01-22T10:00:00Z"));
    assert_eq!(
        kinds(&b.observe(&obs(&alice, 1), false).expect("observe")),
        vec![AnomalyKind::Creator]
    );

    // Forgetting a namespace recomputes the cluster-wide aggregate exactly.
    b.forget(&ForgetTarget::Namespace("payments".into()), Some("prod"))
        .expect("forget ns");
    b.finish().expect("finish");
    let only_ops = dir.path().join("ops.redb");
    {
        let mut o = Baseline::open(&only_ops, config()).expect("open");
        let ops: Vec<Write> = stream
            .iter()
            .filter(|w| w.namespace == "ops")
            .cloned()
            .collect();
        feed(&mut o, &ops, 0);
        o.forget(&ForgetTarget::Identity("alice".into()), None)
            .expect("forget");
        o.finish().expect("finish");
    }
    assert_eq!(summary_json(&path), summary_json(&only_ops));

    let mut b = Baseline::open(&path, config()).expect("reopen");
    assert!(
        b.forget(&ForgetTarget::Everything, Some("elsewhere"))
            .expect("forget")
            == 0
    );
    assert!(b.forget(&ForgetTarget::Everything, None).expect("forget") > 0);
    assert!(
        b.summary(&SummaryFilter::default())
            .expect("summary")
            .clusters
            .is_empty()
    );
}

#[test]
fn show_and_export() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("b.redb");
    let mut b = Baseline::open(&path, config()).expect("open");
    feed(&mut b, &benign_stream(14), 0);
    b.finish().expect("finish");
    let reader = BaselineReader::open(&path).expect("reader");
    let ops = reader
        .summary(&SummaryFilter {
            cluster: Some("prod".into()),
            namespace: Some("ops".into()),
        })
        .expect("summary");
    assert_eq!(ops.clusters.len(), 1);
    assert_eq!(ops.clusters[0].scopes.len(), 1);
    let scope = &ops.clusters[0].scopes[0];
    assert_eq!(scope.namespace, "ops");
    let alice = scope
        .identities
        .iter()
        .find(|i| i.identity == "alice")
        .expect("alice");
    assert_eq!(alice.client_versions[0].value, "kubectl/1.29");
    assert_eq!(alice.networks[0].value, "10.20.0.0/24");
    assert_eq!(
        alice.hours.len(),
        5 * 8,
        "weekdays 09:00-16:59 fold onto 40 hours of the week"
    );
    assert!(
        alice.hours.iter().all(|h| h.count == 2),
        "two weeks, once an hour"
    );
    let text = ops.render_text(5);
    assert!(
        text.contains("namespace ops")
            && text.contains("alice")
            && text.contains("registry.corp.example"),
        "{text}"
    );

    let export = serde_json::to_value(reader.summary(&SummaryFilter::default()).expect("all"))
        .expect("json");
    assert_eq!(export["schema"], "jobwarden.baseline/v1");
    assert_eq!(export["schema_version"], 1);
    let scopes = export["clusters"][0]["scopes"].as_array().expect("scopes");
    assert_eq!(scopes[0]["namespace"], "*", "cluster-wide first");
    assert!(scopes.iter().any(|s| s["namespace"] == "payments"));
}
