//! `jobwarden-loadgen`: writes a large realistic kube-apiserver audit log for benchmarks.

use std::fs::File;
use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use jobwarden_loadgen::{Config, generate, parse_size};

/// Generate a large, realistic, deterministic kube-apiserver (v1.29) audit log.
///
/// About 90% of the events are get/list/watch noise at Metadata level; a small rate of batch
/// activity (cronjob-controller ticks with full Job/Pod bodies, CronJob writes by people, TTL
/// deletes) is logged at RequestResponse; a few attacks are injected and listed on stderr.
#[derive(Debug, Parser)]
#[command(name = "jobwarden-loadgen", version)]
struct Args {
    /// How much to write: 500M, 1G, 64K, 1.5G or a byte count (binary units).
    #[arg(long, default_value = "100M", value_parser = parse_size)]
    size: u64,
    /// PRNG seed; the same seed and options give byte-identical output.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Output file; standard output when absent or "-".
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// Chance per event that a batch episode (CronJob tick, CronJob write, TTL delete) starts.
    #[arg(long, default_value_t = 0.002)]
    batch_rate: f64,
    /// Number of attacks to inject, evenly spread through the output.
    #[arg(long, default_value_t = 6)]
    attacks: usize,
    /// Number of nodes in the synthetic cluster.
    #[arg(long, default_value_t = 40)]
    nodes: usize,
    /// Unix time (seconds) of the first event.
    #[arg(long, default_value_t = 1_749_686_400)]
    start: u64,
    /// Write the injected attacks (kind, auditID, line) as JSON lines to this file.
    #[arg(long)]
    attacks_manifest: Option<PathBuf>,
    /// Do not print the summary on stderr.
    #[arg(short, long)]
    quiet: bool,
}

fn main() -> ExitCode {
    let args = Args::parse();
    if !(0.0..=1.0).contains(&args.batch_rate) {
        eprintln!(
            "jobwarden-loadgen: --batch-rate must be between 0 and 1, got {}",
            args.batch_rate
        );
        return ExitCode::from(2);
    }
    let cfg = Config {
        size: args.size,
        seed: args.seed,
        batch_rate: args.batch_rate,
        attacks: args.attacks,
        nodes: args.nodes.max(1),
        start_unix: args.start,
    };
    let started = Instant::now();
    let result = match args.output.as_deref() {
        Some(p) if p.as_os_str() != "-" => match File::create(p) {
            Ok(f) => generate(&cfg, f),
            Err(e) => {
                eprintln!("jobwarden-loadgen: cannot create {}: {e}", p.display());
                return ExitCode::from(1);
            }
        },
        _ => generate(&cfg, io::stdout().lock()),
    };
    let stats = match result {
        Ok(s) => s,
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("jobwarden-loadgen: write failed: {e}");
            return ExitCode::from(1);
        }
    };
    let secs = started.elapsed().as_secs_f64().max(1e-9);
    if let Some(path) = &args.attacks_manifest {
        let mut text = String::new();
        for a in &stats.attacks {
            text.push_str(&format!(
                "{{\"kind\":\"{}\",\"audit_id\":\"{}\",\"line\":{}}}\n",
                a.kind, a.audit_id, a.line
            ));
        }
        if let Err(e) = File::create(path).and_then(|mut f| f.write_all(text.as_bytes())) {
            eprintln!("jobwarden-loadgen: cannot write {}: {e}", path.display());
            return ExitCode::from(1);
        }
    }
    if !args.quiet {
        eprintln!(
            "jobwarden-loadgen: {} events, {} bytes ({:.0} B/event), {} batch writes, {} attacks in {:.2}s ({:.0} MB/s)",
            stats.events,
            stats.bytes,
            stats.bytes as f64 / stats.events.max(1) as f64,
            stats.batch_writes,
            stats.attacks.len(),
            secs,
            stats.bytes as f64 / 1e6 / secs
        );
        for a in &stats.attacks {
            eprintln!(
                "  attack {:<40} auditID {} line {}",
                a.kind, a.audit_id, a.line
            );
        }
    }
    ExitCode::SUCCESS
}
