//! `jobwarden serve`: flags onto the server's settings; the server crate does the rest.

use crate::args::{AdmissionModeArg, FsyncArg, ServeArgs};
use crate::exit::Status;
use jobwarden_server::{FsyncPolicy, Mode, ServeSettings};

pub fn run(args: ServeArgs) -> anyhow::Result<Status> {
    let settings = ServeSettings::from_args(&jobwarden_server::ServeArgs {
        config: args.config,
        listen: args.listen,
        tls_cert: args.tls_cert,
        tls_key: args.tls_key,
        client_ca: args.client_ca,
        bearer_token_file: args.token_file,
        detect_config: args.detect_config,
        spool_dir: args.spool_dir,
        fsync: args.fsync.map(|f| match f {
            FsyncArg::Always => FsyncPolicy::Always,
            FsyncArg::Interval => FsyncPolicy::Interval,
            FsyncArg::Never => FsyncPolicy::Never,
        }),
        mode: args.mode.map(|m| match m {
            AdmissionModeArg::Enforce => Mode::Enforce,
            AdmissionModeArg::Warn => Mode::Warn,
            AdmissionModeArg::Audit => Mode::Audit,
        }),
        pss_level: args.pss,
        pss_version: args.pss_version,
        alerts_stdout: args.alerts_stdout.then_some(true),
        alerts_file: args.alerts_file,
        alerts_webhook: args.alerts_webhook,
    })?;
    jobwarden_server::run(settings)?;
    Ok(Status::Clean)
}
