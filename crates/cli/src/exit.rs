//! Exit codes, documented in `--help` and README.md.

use std::process::ExitCode;

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// 0: ran cleanly; nothing at or above `--fail-on`.
    Clean,
    /// 1: results at or above `--fail-on`.
    Findings,
    /// 2: an error: bad arguments or config, unreadable input, or records skipped.
    Error,
}

impl From<Status> for ExitCode {
    fn from(s: Status) -> ExitCode {
        ExitCode::from(match s {
            Status::Clean => 0,
            Status::Findings => 1,
            Status::Error => 2,
        })
    }
}

/// The exit-code paragraph shared by the commands' help.
pub const EXIT_CODES_HELP: &str = "Exit codes:
  0  ran cleanly; nothing at or above --fail-on (or --fail-on not given)
  1  an alert or finding at or above --fail-on
  2  error: bad arguments or config, an input that could not be read, or records skipped
     (results are still printed; errors win over 1)";
