//! Test support shared by jobwarden's crates (a dev-dependency only).
//!
//! Tests that read `../shared` (real public events, fixtures) find it through
//! `JOBWARDEN_SHARED`, defaulting to `shared` beside the repository. Where it is absent they
//! skip with a message, except under `CI=true`, where its absence is a failure.
#![deny(missing_docs)]

use std::path::{Path, PathBuf};

/// The repository root (the workspace directory).
pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The shared data directory, or `None` (after printing why) when it is absent outside CI.
///
/// # Panics
/// Under `CI=true` when the directory is absent: CI must run every test.
pub fn shared() -> Option<PathBuf> {
    let dir = std::env::var_os("JOBWARDEN_SHARED")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("../shared"));
    if dir.is_dir() {
        return Some(dir);
    }
    assert!(
        std::env::var("CI").as_deref() != Ok("true"),
        "shared data not found at {} (set JOBWARDEN_SHARED); required under CI=true",
        dir.display()
    );
    eprintln!("skipping: shared data not found at {}", dir.display());
    None
}
