//! `jobwarden serve`: the in-cluster service.
//!
//! - `/validate`: a ValidatingAdmissionWebhook ([`admission`]) judging Jobs, CronJobs, Pods and
//!   other workloads with the same policy core as `scan` and `hunt`.
//! - `/audit`: the kube-apiserver audit webhook backend; batches go to a durable spool
//!   ([`spool`]) before the 200, then through the detector to the sinks ([`sinks`]).
//! - `/metrics`, `/healthz`, `/readyz`.
//!
//! HTTPS only ([`tls`]); clients authenticate with a certificate from the configured CA or a
//! bearer token. The CLI fills a [`ServeArgs`], resolves it with
//! [`ServeSettings::from_args`] and calls [`run`].
#![deny(missing_docs)]

pub mod admission;
pub mod metrics;
pub mod server;
pub mod settings;
pub mod sinks;
pub mod spool;
pub mod tls;

pub use server::{AppState, PeerAuth, Server, app, run, start};
pub use settings::{FsyncPolicy, Mode, ServeArgs, ServeSettings};

use std::net::SocketAddr;
use std::path::PathBuf;

/// Why the server could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    /// A file could not be read.
    #[error("cannot read the {what} {path}: {source}")]
    Read {
        /// What the file is for.
        what: String,
        /// The file.
        path: PathBuf,
        /// Cause.
        #[source]
        source: std::io::Error,
    },
    /// The config is invalid (the message names the file and field).
    #[error("config: {0}")]
    Config(String),
    /// TLS material is invalid.
    #[error("tls: {0}")]
    Tls(String),
    /// The listen address could not be bound.
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, #[source] std::io::Error),
    /// The spool could not be opened.
    #[error(transparent)]
    Spool(#[from] spool::SpoolError),
    /// The runtime could not start.
    #[error("runtime: {0}")]
    Runtime(String),
}
