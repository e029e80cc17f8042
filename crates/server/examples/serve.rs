//! A stand-alone `serve` for benchmarks and trying the server before the CLI glue exists:
//! `cargo run -p jobwarden-server --example serve -- --listen 127.0.0.1:8443 --tls-cert C --tls-key K`.
//! Flags mirror [`jobwarden_server::ServeArgs`].

use jobwarden_server::{ServeArgs, ServeSettings};
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = ServeArgs::default();
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let Some(value) = it.next() else {
            eprintln!("serve: {flag} needs a value");
            return ExitCode::from(2);
        };
        let path = || Some(PathBuf::from(&value));
        match flag.as_str() {
            "--config" => args.config = path(),
            "--listen" => args.listen = value.parse().ok(),
            "--tls-cert" => args.tls_cert = path(),
            "--tls-key" => args.tls_key = path(),
            "--client-ca" => args.client_ca = path(),
            "--token-file" => args.bearer_token_file = path(),
            "--spool-dir" => args.spool_dir = path(),
            "--alerts-file" => args.alerts_file = path(),
            "--fsync" => args.fsync = value.parse().ok(),
            "--mode" => args.mode = value.parse().ok(),
            "--pss" => args.pss_level = Some(value),
            other => {
                eprintln!("serve: unknown flag {other}");
                return ExitCode::from(2);
            }
        }
    }
    let result = ServeSettings::from_args(&args).and_then(jobwarden_server::run);
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("serve: {e}");
            ExitCode::from(2)
        }
    }
}
