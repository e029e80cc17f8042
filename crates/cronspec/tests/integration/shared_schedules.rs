//! Every CronJob schedule found in the shared corpus and fixtures (YAML `schedule:` lines and
//! JSON `"schedule": "..."` members) parses or is rejected with a reason, and the figures of
//! the ones that parse agree with each other.

use std::path::{Path, PathBuf};

use jobwarden_cronspec::Schedule;

fn shared_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("JOBWARDEN_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared")));
    if dir.is_dir() {
        return Some(dir);
    }
    if std::env::var("CI").as_deref() == Ok("true") {
        panic!(
            "shared data not found at {} (set JOBWARDEN_SHARED)",
            dir.display()
        );
    }
    eprintln!(
        "SKIP: shared data not found at {} (set JOBWARDEN_SHARED)",
        dir.display()
    );
    None
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, files);
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e, "yaml" | "yml" | "json" | "jsonl"))
        {
            files.push(path);
        }
    }
}

/// The quoted or bare value that follows `key` on a line, if the line has one.
fn value_after<'l>(line: &'l str, key: &str) -> Option<&'l str> {
    let at = line.find(key)?;
    let rest = line.get(at + key.len()..)?.trim_start();
    let rest = rest.strip_prefix(':')?.trim_start();
    if let Some(quoted) = rest.strip_prefix('"').or_else(|| rest.strip_prefix("\\\"")) {
        let end = quoted.find(['"', '\\'])?;
        return quoted.get(..end);
    }
    if let Some(quoted) = rest.strip_prefix('\'') {
        return quoted.get(..quoted.find('\'')?);
    }
    let bare = rest.split('#').next()?.trim();
    (!bare.is_empty() && !bare.starts_with(['{', '[', '|', '>'])).then_some(bare)
}

#[test]
fn shared_schedules_parse_consistently() {
    let Some(dir) = shared_dir() else { return };
    let mut files = Vec::new();
    walk(&dir, &mut files);
    let from: jiff::Timestamp = "2024-01-01T00:00:00Z".parse().expect("timestamp");
    let (mut parsed, mut rejected) = (0usize, 0usize);
    for file in files {
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        for (number, line) in text.lines().enumerate() {
            let Some(spec) = value_after(line, "\"schedule\"")
                .or_else(|| value_after(line, "\\\"schedule\\\""))
                .or_else(|| {
                    line.trim_start()
                        .strip_prefix("schedule")
                        .and_then(|rest| value_after(rest, ""))
                })
            else {
                continue;
            };
            let place = format!("{}:{}", file.display(), number + 1);
            match Schedule::parse(spec) {
                Ok(schedule) => {
                    parsed += 1;
                    let fires = !schedule.never_fires();
                    assert_eq!(
                        schedule.next_after(from).is_some(),
                        fires,
                        "{place}: {spec:?}"
                    );
                    assert_eq!(schedule.runs_per_day() > 0.0, fires, "{place}: {spec:?}");
                }
                Err(err) => {
                    rejected += 1;
                    assert!(!err.reason.is_empty(), "{place}: {err}");
                    eprintln!("{place}: {err}");
                }
            }
        }
    }
    eprintln!("shared schedules: {parsed} parsed, {rejected} rejected");
    assert!(parsed > 0, "no schedule found under {}", dir.display());
}

#[test]
fn value_extraction() {
    assert_eq!(
        value_after(r#"  "schedule": "*/5 * * * *","#, "\"schedule\""),
        Some("*/5 * * * *")
    );
    assert_eq!(
        value_after("schedule: '0 0 * * *'", "schedule"),
        Some("0 0 * * *")
    );
    assert_eq!(
        value_after("schedule: @daily # nightly", "schedule"),
        Some("@daily")
    );
    assert_eq!(value_after("schedule:", "schedule"), None);
    assert_eq!(
        value_after(r#"{\"schedule\":\"* * * * *\"}"#, "\\\"schedule\\\""),
        Some("* * * * *")
    );
}
