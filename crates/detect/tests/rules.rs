//! Per-rule fixtures, ruff style: every built-in rule has `fixtures/<ID>/` with
//! `fires.jsonl` (realistic kube-apiserver audit events the rule must fire on), `benign.jsonl`
//! (look-alikes it must stay quiet on) and `expect.json` (how loud each may be). The fixtures are
//! written by `fixtures/generate.py`.
//!
//! Each file runs through a whole [`Detector`] with the default config, as `jobwarden hunt`
//! would, and only the alerts of the rule under test are judged, so the rules' interplay (stage
//! merging, state, deduplication) is part of what is tested. The alerts a rule raises on its
//! fixtures are kept as insta snapshots under `tests/snapshots/`.

use jobwarden_detect::{Config, Detector, rules};
use jobwarden_model::{Alert, AuditEvent, Severity};
use serde::Deserialize;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};

/// `fixtures/<ID>/expect.json`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    /// Alerts at or above this severity count as hits on `fires.jsonl`.
    fires_min_severity: Severity,
    /// How many hits `fires.jsonl` must give at least (one per firing case).
    min_hits: usize,
    /// The loudest the rule may be on `benign.jsonl`; `null`: no alert at all.
    benign_max_severity: Option<Severity>,
}

fn fixtures_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures")
}

fn rule_ids() -> Vec<&'static str> {
    rules::builtin().iter().map(|r| r.meta().id).collect()
}

fn load_expect(id: &str) -> Expect {
    let path = fixtures_root().join(id).join("expect.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Run a fresh default detector over one fixture file; evidence sources read `<file>:<line>`.
fn run_file(path: &Path) -> Vec<Alert> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let file = path
        .file_name()
        .and_then(|n| n.to_str())
        .expect("fixture file name is UTF-8");
    let mut detector = Detector::new(Config::default());
    let mut alerts = Vec::new();
    for (index, line) in text.lines().enumerate() {
        let line_no = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        let event: AuditEvent = serde_json::from_str(line)
            .unwrap_or_else(|e| panic!("{}:{line_no}: not an audit event: {e}", path.display()));
        detector.push(event, format!("{file}:{line_no}"), &mut alerts);
    }
    detector.finish(&mut alerts);
    alerts
}

/// The alerts of rule `id` over `fixtures/<id>/<file>`.
fn alerts_of(id: &str, file: &str) -> Vec<Alert> {
    run_file(&fixtures_root().join(id).join(file))
        .into_iter()
        .filter(|a| a.rule.id == id)
        .collect()
}

fn describe(alerts: &[Alert]) -> String {
    alerts
        .iter()
        .map(|a| {
            let source = a.evidence.first().map(|e| e.source.as_str()).unwrap_or("?");
            format!("  {} {}: {}", a.severity.as_str(), source, a.summary)
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_rule_has_fixtures_and_every_fixture_a_rule() {
    let ids = rule_ids();
    let mut problems = Vec::new();
    for id in &ids {
        for file in ["fires.jsonl", "benign.jsonl", "expect.json"] {
            let path = fixtures_root().join(id).join(file);
            if !path.is_file() {
                problems.push(format!("{id}: missing {}", path.display()));
            }
        }
    }
    let entries = std::fs::read_dir(fixtures_root()).expect("fixtures directory exists");
    for entry in entries {
        let entry = entry.expect("readable fixtures directory");
        if !entry.path().is_dir() {
            continue;
        }
        let name = entry.file_name().to_string_lossy().into_owned();
        if !ids.contains(&name.as_str()) {
            problems.push(format!("fixtures/{name}: no built-in rule has this id"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_fixture_line_is_an_audit_event_with_an_audit_id() {
    for id in rule_ids() {
        for file in ["fires.jsonl", "benign.jsonl"] {
            let path = fixtures_root().join(id).join(file);
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
            assert!(
                (2..=40).contains(&lines.len()),
                "{}: keep fixtures small (2..=40 lines), found {}",
                path.display(),
                lines.len()
            );
            for (index, line) in lines.iter().enumerate() {
                let event: AuditEvent = serde_json::from_str(line).unwrap_or_else(|e| {
                    panic!("{}:{}: not an audit event: {e}", path.display(), index + 1)
                });
                assert!(
                    !event.audit_id.is_empty(),
                    "{}:{}: auditID is empty",
                    path.display(),
                    index + 1
                );
            }
        }
    }
}

#[test]
fn each_rule_fires_on_its_fixtures() {
    let mut failures = Vec::new();
    for id in rule_ids() {
        let expect = load_expect(id);
        let alerts = alerts_of(id, "fires.jsonl");
        let hits = alerts
            .iter()
            .filter(|a| a.severity >= expect.fires_min_severity)
            .count();
        if hits < expect.min_hits {
            failures.push(format!(
                "{id}: {hits} alert(s) at or above {} on fires.jsonl, expected at least {}:\n{}",
                expect.fires_min_severity.as_str(),
                expect.min_hits,
                describe(&alerts)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn each_rule_stays_quiet_on_its_look_alikes() {
    let mut failures = Vec::new();
    for id in rule_ids() {
        let expect = load_expect(id);
        let alerts = alerts_of(id, "benign.jsonl");
        let too_loud: Vec<Alert> = alerts
            .into_iter()
            .filter(|a| {
                expect
                    .benign_max_severity
                    .is_none_or(|max| a.severity > max)
            })
            .collect();
        if !too_loud.is_empty() {
            failures.push(format!(
                "{id}: louder than {} on benign.jsonl:\n{}",
                expect
                    .benign_max_severity
                    .map_or("nothing", Severity::as_str),
                describe(&too_loud)
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// What a snapshot keeps of an alert: enough to see what fired, how loud, on what and why.
fn snapshot_view(alerts: &[Alert]) -> Value {
    Value::Array(
        alerts
            .iter()
            .map(|a| {
                json!({
                    "id": a.id,
                    "severity": a.severity,
                    "summary": a.summary,
                    "subject": a.subject,
                    "evidence": a.evidence.iter().map(|e| json!({
                        "source": e.source,
                        "audit_id": e.audit_id,
                    })).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

#[test]
fn alerts_on_fixtures_match_snapshots() {
    let mut settings = insta::Settings::clone_current();
    settings.set_prepend_module_to_snapshot(false);
    settings.bind(|| {
        for id in rule_ids() {
            for (file, suffix) in [("fires.jsonl", "fires"), ("benign.jsonl", "benign")] {
                let view = snapshot_view(&alerts_of(id, file));
                insta::assert_json_snapshot!(format!("{id}_{suffix}"), view);
            }
        }
    });
}
