//! The baseline on the generated log `hunt` is benchmarked on (jobwarden-loadgen): learn a
//! benign log, then judge a later log of the same cluster with injected attacks; and the
//! throughput benchmark (`--ignored`).

use jobwarden_baseline::{Baseline, BaselineConfig, Observation};
use jobwarden_model::AuditEvent;
use std::collections::BTreeMap;
use std::time::Instant;

fn generated(
    size: u64,
    attacks: usize,
    start_unix: u64,
) -> (Vec<AuditEvent>, jobwarden_loadgen::Stats) {
    let cfg = jobwarden_loadgen::Config {
        size,
        attacks,
        start_unix,
        ..jobwarden_loadgen::Config::default()
    };
    let mut buf = Vec::new();
    let stats = jobwarden_loadgen::generate(&cfg, &mut buf).expect("generate");
    let text = String::from_utf8(buf).expect("utf-8");
    let events = text
        .lines()
        .enumerate()
        .map(|(i, l)| {
            serde_json::from_str(l).unwrap_or_else(|e| panic!("generated line {}: {e}", i + 1))
        })
        .collect();
    (events, stats)
}

fn observations(events: &[AuditEvent], name: &str) -> Vec<Observation> {
    events
        .iter()
        .enumerate()
        .filter_map(|(i, e)| {
            Observation::from_event(e, &format!("{name}:{}", i + 1))
                .expect("generated events have times")
        })
        .collect()
}

#[test]
fn attacks_in_a_generated_log_are_new_against_a_learned_benign_one() {
    let start = jiff::Timestamp::from_second(1_749_686_400).expect("time");
    let (history, _) = generated(24 << 20, 0, start.as_second() as u64);
    let history_obs = observations(&history, "history.jsonl");
    assert!(
        history_obs.len() > 20,
        "the generated history has batch writes"
    );
    let last = history_obs.iter().map(|o| o.time).max().expect("times");
    let (today, stats) = generated(6 << 20, 5, last.as_second() as u64 + 3600);

    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = BaselineConfig {
        learning_days: 0,
        ..BaselineConfig::default()
    };
    let mut baseline = Baseline::open(dir.path().join("b.redb"), cfg).expect("open");
    for o in &history_obs {
        baseline.learn(o).expect("learn");
    }
    let attacks: BTreeMap<&str, &str> = stats
        .attacks
        .iter()
        .map(|a| (a.audit_id.as_str(), a.kind))
        .collect();
    let mut flagged_attacks = Vec::new();
    let (mut benign, mut benign_flagged) = (0u32, 0u32);
    for o in observations(&today, "today.jsonl") {
        let anomalies = baseline.observe(&o, true).expect("observe");
        match attacks.get(o.audit_id.as_str()) {
            Some(kind) if !anomalies.is_empty() => flagged_attacks.push(*kind),
            Some(_) => {}
            None => {
                benign += 1;
                benign_flagged += u32::from(!anomalies.is_empty());
            }
        }
    }
    baseline.finish().expect("finish");
    // Every attack that took effect was made by an identity or from a registry the cluster's
    // batch history never had (the RBAC-denied attempt is not a write that took effect).
    let expected: Vec<&str> = stats
        .attacks
        .iter()
        .map(|a| a.kind)
        .filter(|k| !k.contains("denied"))
        .collect();
    println!(
        "attacks flagged: {flagged_attacks:?}; benign batch writes flagged: {benign_flagged} of {benign}"
    );
    assert_eq!(flagged_attacks, expected, "attacks flagged");
    assert!(benign > 0);
    assert!(
        f64::from(benign_flagged) <= f64::from(benign) * 0.2,
        "{benign_flagged} of {benign} benign batch writes flagged after learning"
    );
}

/// `cargo test -p jobwarden-baseline --release --test integration generated:: -- --ignored --nocapture`
/// (size with `JOBWARDEN_BENCH_MB`, default 128): what the baseline adds to each event of the
/// generated log — `Observation::from_event` on every event (the filter `hunt` would run), then
/// `observe` on the batch writes, commits included — and `observe` alone on synthetic
/// observations. Compare the first figure with `hunt`'s events/s on the same log.
#[test]
#[ignore]
fn observe_throughput() {
    let mb: u64 = std::env::var("JOBWARDEN_BENCH_MB")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(128);
    let (events, _) = generated(mb << 20, 6, 1_749_686_400);
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = BaselineConfig {
        learning_days: 0,
        ..BaselineConfig::default()
    };
    let mut baseline = Baseline::open(dir.path().join("b.redb"), cfg.clone()).expect("open");
    // The filter alone, as `hunt` would run it on every event.
    let started = Instant::now();
    let mut batch = 0u64;
    for e in &events {
        batch += u64::from(
            Observation::from_event(e, "gen")
                .expect("extract")
                .is_some(),
        );
    }
    let filter = started.elapsed().as_secs_f64();
    // The whole path: filter every event, observe the batch writes (commits included).
    let started = Instant::now();
    let mut anomalies = 0usize;
    for e in &events {
        if let Some(o) = Observation::from_event(e, "gen").expect("extract") {
            anomalies += baseline.observe(&o, true).expect("observe").len();
        }
    }
    let whole = started.elapsed().as_secs_f64();
    // Extraction of the batch writes alone (schedule shapes now cached, as in a long run).
    let writes: Vec<&AuditEvent> = events
        .iter()
        .filter(|e| Observation::from_event(e, "gen").ok().flatten().is_some())
        .collect();
    let started = Instant::now();
    for e in &writes {
        let _ = Observation::from_event(e, "gen");
    }
    let extract = started.elapsed().as_secs_f64() / writes.len().max(1) as f64;
    let started = Instant::now();
    baseline.finish().expect("finish");
    let finish = started.elapsed().as_secs_f64();
    let n = events.len() as f64;
    println!(
        "generated log: {} events, {batch} batch writes, {anomalies} anomalies; filter {:.0} ns/event; \
         filter+observe {:.0} ns/event ({:.0} events/s); final durable commit {:.1} ms (once per run); extracting one batch write {:.1} µs",
        events.len(),
        filter * 1e9 / n,
        whole * 1e9 / n,
        n / whole,
        finish * 1e3,
        extract * 1e6
    );

    // Synthetic: the generated batch writes replayed with rotating identities and namespaces.
    let base = observations(&events, "gen");
    assert!(!base.is_empty());
    let mut baseline = Baseline::open(dir.path().join("synthetic.redb"), cfg).expect("open");
    let n = 100_000usize;
    let synthetic: Vec<Observation> = (0..n)
        .map(|i| {
            let mut o = base[i % base.len()].clone();
            o.identity = format!("user-{}", i % 50);
            o.namespace = format!("ns-{}", i % 20);
            o.hour_of_week = (i % 168) as u8;
            o
        })
        .collect();
    let started = Instant::now();
    for o in &synthetic {
        baseline.observe(o, true).expect("observe");
    }
    baseline.finish().expect("finish");
    let spent = started.elapsed().as_secs_f64();
    println!(
        "synthetic: {n} observations in {spent:.3} s = {:.0} observations/s ({:.1} µs each)",
        n as f64 / spent,
        spent * 1e6 / n as f64
    );
}
