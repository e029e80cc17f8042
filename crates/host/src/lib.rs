//! Host and node telemetry for jobwarden: process, file, container and proxy events, the
//! kubectl command line understood as kubectl parses it, and the host rule pack
//! (`JW-HOST-*`), so that a CronJob can be followed from the shell that created it to the
//! containers it starts.
//!
//! # Reading
//! * [`HostFormat`] (`auditd`, `tetragon`, `falco`, `sysmon`, `ecs`, `envoy`; [`std::str::FromStr`]
//!   accepts these and a few aliases) and [`sniff`], which recognises a source's format from
//!   its first bytes (`None` for Kubernetes audit logs and anything else).
//! * [`HostReader`]: a streaming reader over any [`std::io::Read`] (file, standard input)
//!   yielding `Result<(`[`HostRecord`]`, `[`HostLocation`]`), `[`HostDecodeError`]`>`. Errors carry
//!   the source, 1-based line, field and a stable [`HostErrorCode`]; reading goes on after them.
//! * [`HostRecord`]: [`ProcessEvent`], [`FileEvent`], [`ContainerEvent`] or [`ProxyEvent`].
//!
//! # Understanding command lines
//! * [`kubectl::parse`]`(argv: &[&str]) -> Option<`[`KubectlInvocation`]`>` and
//!   [`kubectl::parse_command_line`]`(&str)` (shell words and quotes, `sh -c '...'`, pipelines,
//!   `&&`, `;`, here-documents, wrappers such as `sudo` and `env`).
//! * [`rawapi`]: curl/wget/httpie/python calls to the Kubernetes API.
//! * [`shell`]: the shell-word splitter both use.
//!
//! # Detecting
//! * [`rules::builtin`]: the host rules, one per file, documented like the audit rules.
//! * [`HostDetector::new`]`(`[`HostConfig`]`)`, then [`HostDetector::push`]`(record, location,
//!   out: &mut Vec<Alert>)` for each record; [`HostDetector::intents`] lists the batch writes
//!   seen on hosts ([`BatchIntent`]) for correlation with the audit log.
//!
//! ```
//! use jobwarden_host::{HostConfig, HostDetector, HostReader};
//! let log = br#"{"process_exec":{"process":{"binary":"/usr/bin/kubectl","arguments":"create job x --from=cronjob/backup -n prod","pod":{"namespace":"web","name":"web-1","container":{"id":"containerd://abc"}}}},"node_name":"node-1","time":"2026-01-01T00:00:00Z"}"#;
//! let mut detector = HostDetector::new(HostConfig::default());
//! let mut alerts = Vec::new();
//! for item in HostReader::new(&log[..], "exec.jsonl", None) {
//!     let (record, location) = item.expect("a record");
//!     detector.push(&record, &location, &mut alerts);
//! }
//! assert_eq!(alerts[0].rule.id, "JW-HOST-0002");
//! assert_eq!(alerts[0].evidence[0].source, "exec.jsonl:1");
//! assert_eq!(detector.intents()[0].from_cronjob.as_deref(), Some("backup"));
//! ```
#![deny(missing_docs)]

pub mod config;
pub mod context;
pub(crate) mod decoders;
pub mod detector;
pub mod error;
pub mod event;
pub mod format;
pub mod kubectl;
pub mod rawapi;
pub mod reader;
pub mod rules;
pub mod shell;

pub use config::HostConfig;
pub use context::{BatchOwner, ExecContext, batch_owner};
pub use detector::{BatchIntent, HostDetector, strip_port};
pub use error::{HostDecodeError, HostErrorCode, HostLocation};
pub use event::{
    ContainerContext, ContainerEvent, FileEvent, HostRecord, PodLogPath, ProcessEvent, ProxyEvent,
    pod_of_log_path,
};
pub use format::{HostFormat, UnknownHostFormat, sniff};
pub use kubectl::KubectlInvocation;
pub use reader::{HostItem, HostReader, ReaderStats};
