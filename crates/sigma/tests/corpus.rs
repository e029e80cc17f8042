//! Conformance against shared data: the SigmaHQ regression corpus (rule + JSON event pairs) and
//! the SigmaHQ Kubernetes audit rules.

use jobwarden_sigma::{Engine, EngineOptions, LoadOptions, LogsourceKind, load_path};
use std::path::PathBuf;

fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var("JOBWARDEN_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")));
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!("shared data not found at {} (set JOBWARDEN_SHARED)", dir.display());
    }
    eprintln!("SKIP: shared data not found at {} (set JOBWARDEN_SHARED)", dir.display());
    None
}

#[test]
fn sigmahq_regression_corpus() {
    let Some(shared) = shared_dir() else { return };
    let root = shared.join("corpus/sigmahq-regression");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .expect("read corpus")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_dir())
        .collect();
    dirs.sort();
    let (mut total, mut loaded, mut matched) = (0, 0, 0);
    let mut misses = Vec::new();
    for dir in &dirs {
        let rule_path = dir.join("rule.yml");
        if !rule_path.exists() {
            continue;
        }
        total += 1;
        let report = load_path(&rule_path, &LoadOptions::default());
        if !report.errors.is_empty() || report.rules.is_empty() {
            misses.push(format!("LOAD {}: {:?}", dir.display(), report.errors));
            continue;
        }
        loaded += 1;
        let engine = Engine::new(report.rules, EngineOptions::default()).expect("engine");
        let mut hit = false;
        for entry in std::fs::read_dir(dir).expect("read dir").flatten() {
            let p = entry.path();
            if p.extension().and_then(|e| e.to_str()) != Some("json") {
                continue;
            }
            let text = std::fs::read_to_string(&p).expect("event");
            // One document, an array of them, or several concatenated (pretty-printed) ones.
            let mut events = Vec::new();
            for doc in serde_json::Deserializer::from_str(&text).into_iter::<serde_json::Value>() {
                match doc.expect("event JSON") {
                    serde_json::Value::Array(items) => events.extend(items),
                    other => events.push(other),
                }
            }
            hit |= events.iter().any(|ev| !engine.matches_json(LogsourceKind::Generic, ev).is_empty());
        }
        if hit {
            matched += 1;
        } else {
            misses.push(format!("MISS {}", dir.display()));
        }
    }
    eprintln!("sigmahq-regression: {total} rules, {loaded} loaded, {matched} matched their event");
    for m in &misses {
        eprintln!("  {m}");
    }
    assert!(total > 0, "no rules found in {}", root.display());
    assert_eq!(loaded, total, "every regression rule must load");
    assert!(matched * 100 >= total * 95, "at least 95% must match: {matched}/{total}");
}
