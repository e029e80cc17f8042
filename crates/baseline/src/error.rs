//! Everything that can go wrong opening, reading or writing a baseline, each message naming
//! the state file and saying what to do.

use crate::config::ConfigError;
use crate::observation::ExtractError;
use std::path::PathBuf;

/// A baseline operation failed.
#[derive(Debug, thiserror::Error)]
pub enum BaselineError {
    /// The directory of the state file could not be created.
    #[error("cannot create the baseline directory {}: {source}", path.display())]
    CreateDir {
        /// The directory.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The state file could not be read.
    #[error("cannot read baseline {}: {source}", path.display())]
    Io {
        /// The state file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// No state file was given and neither `XDG_STATE_HOME` nor `HOME` is set.
    #[error(
        "no baseline state file: set `baseline.path` or pass one (XDG_STATE_HOME and HOME are unset)"
    )]
    NoDefaultPath,
    /// A read-only open found no state file.
    #[error("no baseline at {}: run `jobwarden baseline learn` first", path.display())]
    Missing {
        /// The state file.
        path: PathBuf,
    },
    /// Another process holds the state file open for writing.
    #[error("baseline {} is open in another jobwarden process (hunt, serve or baseline learn); wait for it or stop it, or use another state file", path.display())]
    InUse {
        /// The state file.
        path: PathBuf,
    },
    /// The file is not a jobwarden baseline (another program's file or another redb database).
    #[error("{} is not a jobwarden baseline: {reason}; choose another state file, or move this one away", path.display())]
    NotABaseline {
        /// The file.
        path: PathBuf,
        /// What was found instead.
        reason: String,
    },
    /// The file is a baseline but damaged.
    #[error("baseline {} is damaged ({detail}); move it away and relearn with `jobwarden baseline learn`", path.display())]
    Corrupted {
        /// The state file.
        path: PathBuf,
        /// What the store reported.
        detail: String,
    },
    /// The file was written with another schema version.
    #[error("baseline {} has schema version {found}, but this jobwarden reads schema version {expected}; relearn into a new state file (or `jobwarden baseline forget --all` after moving this one away)", path.display())]
    SchemaMismatch {
        /// The state file.
        path: PathBuf,
        /// The version found.
        found: String,
        /// The version this build reads.
        expected: u32,
    },
    /// A read or write of the store failed.
    #[error("baseline {}: {source}", path.display())]
    Store {
        /// The state file.
        path: PathBuf,
        /// The store's error.
        source: Box<redb::Error>,
    },
    /// The configuration is invalid.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// An event could not be turned into an observation.
    #[error(transparent)]
    Extract(#[from] ExtractError),
}

impl BaselineError {
    /// Wrap a store error for `path`.
    pub(crate) fn store(path: &std::path::Path, err: impl Into<redb::Error>) -> BaselineError {
        let err: redb::Error = err.into();
        match err {
            redb::Error::Corrupted(detail) => BaselineError::Corrupted {
                path: path.to_path_buf(),
                detail,
            },
            redb::Error::DatabaseAlreadyOpen => BaselineError::InUse {
                path: path.to_path_buf(),
            },
            other => BaselineError::Store {
                path: path.to_path_buf(),
                source: Box::new(other),
            },
        }
    }
}
