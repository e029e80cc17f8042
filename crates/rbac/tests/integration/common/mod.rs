//! Shared helpers for the fixture tests: locating `shared/` and loading YAML with lines.
#![allow(dead_code)]

use jobwarden_rbac::SourcedObject;
use std::path::{Path, PathBuf};

/// `JOBWARDEN_SHARED`, or `shared/` next to the workspace. `None` (with a message) when absent,
/// except under `CI=true`, where absence fails the test.
pub fn shared_dir() -> Option<PathBuf> {
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

/// Splits a multi-document YAML file and parses each document, keeping its first line.
pub fn load_yaml(path: &Path) -> Vec<SourcedObject> {
    let text = std::fs::read_to_string(path).expect("fixture readable");
    let mut docs: Vec<(u64, String)> = vec![(1, String::new())];
    for (i, line) in text.lines().enumerate() {
        if line.starts_with("---") {
            docs.push((i as u64 + 2, String::new()));
        } else if let Some(last) = docs.last_mut() {
            last.1.push_str(line);
            last.1.push('\n');
        }
    }
    let file = path.display().to_string();
    docs.into_iter()
        .filter_map(|(line, body)| {
            let value: serde_json::Value =
                serde_saphyr::from_str(&body).unwrap_or_else(|e| panic!("{file}:{line}: {e}"));
            (!value.is_null()).then(|| SourcedObject::new(value, file.clone(), line))
        })
        .collect()
}

/// Every `*.yaml` file under `dir`, loaded.
pub fn load_dir(dir: &Path) -> Vec<SourcedObject> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("fixture dir readable")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    files.sort();
    files.iter().flat_map(|f| load_yaml(f)).collect()
}
