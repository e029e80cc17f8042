//! `jobwarden hunt`: audit logs in, alerts out.

use crate::args::{AlertFormat, HuntArgs, InputFormatArg};
use crate::commands::apply_color;
use crate::exit::Status;
use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use jobwarden_decode::{BATCH_NEEDLES, DecodeOptions, InputFormat, Prefilter, Source};
use jobwarden_detect::{Config, Detector};
use jobwarden_model::{Alert, Severity};
use jobwarden_pipeline::sigma::SigmaStage;
use jobwarden_pipeline::{PipelineOptions, Sink};
use jobwarden_report::alerts::{write_jsonl, write_table};
use jobwarden_report::summary::{Summary, write_summary};
use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::time::Instant;

pub fn run(args: HuntArgs) -> anyhow::Result<Status> {
    apply_color(args.color);
    let config = crate::commands::load_config(args.config.as_deref())?;
    let (mut sigma, sigma_errors) = load_sigma(&args, &config)?;
    let prefilter = match (&sigma, args.no_prefilter) {
        (_, true) => Prefilter::parse_everything(),
        (None, false) => Prefilter::batch(),
        // Sigma matching is case-insensitive: each rule's requirement (one needle of every
        // AND branch that has literals) joins the batch needles in a case-insensitive scan.
        // The needles carry their key (`"verb":"create"`, matched with any whitespace around
        // the `:`); entries of the cloud wrappers (GKE, AKS, EKS), where keys and values are
        // spelt otherwise, are always candidates. Lines that only the batch needles let
        // through are not shown to the rules. A rule without requirement needs every line
        // parsed.
        (Some(stage), false) => match stage.requirements() {
            Some(requirements) => {
                Prefilter::with_requirements(&BATCH_NEEDLES, &WRAPPER_NEEDLES, &requirements)
                    .unwrap_or_else(|_| Prefilter::parse_everything())
            }
            None => Prefilter::parse_everything(),
        },
    };
    let decode = DecodeOptions {
        format: input_format(args.input_format),
        prefilter,
        ..DecodeOptions::default()
    };
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .max(1);
    let inputs: Vec<Source> = args.inputs.iter().map(|a| Source::from_arg(a)).collect();

    let mut output: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        )),
        // The table is coloured (and the colour stripped when stdout is not a terminal).
        None if args.format == AlertFormat::Table => {
            Box::new(anstream::AutoStream::auto(std::io::stdout().lock()))
        }
        // JSON lines from a stream go out line by line, as they are found; from files they
        // are buffered: a write per alert costs more than finding it.
        None if args.inputs.iter().any(|a| a == "-") => Box::new(std::io::stdout().lock()),
        None => Box::new(std::io::BufWriter::with_capacity(
            1 << 16,
            std::io::stdout().lock(),
        )),
    };
    let show_progress = !args.quiet && std::io::stderr().is_terminal();
    let total_bytes: u64 = args
        .inputs
        .iter()
        .filter_map(|p| std::fs::metadata(p).ok())
        .filter(|m| m.is_file())
        .map(|m| m.len())
        .sum();
    let progress = if show_progress && total_bytes > 64 << 20 {
        let bar = ProgressBar::with_draw_target(Some(total_bytes), ProgressDrawTarget::stderr());
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {bytes}/{total_bytes} {bytes_per_sec} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        Some(bar)
    } else {
        None
    };

    let mut sink = HuntSink {
        args: &args,
        out: output.as_mut(),
        table: Vec::new(),
        by_severity: BTreeMap::new(),
        shown: 0,
        fail: false,
        errors_shown: 0,
        error_examples: Vec::new(),
        write_error: None,
        progress: progress.as_ref(),
    };
    let host_config = config.host.clone();
    let baseline = match &args.baseline {
        None => None,
        Some(path) => {
            let mut bconfig = config.baseline.clone();
            if !path.as_os_str().is_empty() {
                bconfig.path = Some(path.clone());
            }
            let state = bconfig
                .state_path()
                .context("no baseline path: give --baseline PATH or set HOME")?;
            let opened = jobwarden_baseline::Baseline::open(&state, bconfig)
                .with_context(|| format!("baseline {}", state.display()))?;
            Some(jobwarden_pipeline::baseline::BaselineObserver::new(
                opened,
                !args.baseline_frozen,
            ))
        }
    };
    let mut detector = Detector::new(config);
    let mut baseline_stats = None;
    if let Some((observer, stats)) = baseline {
        detector = detector.with_observer(Box::new(observer));
        baseline_stats = Some(stats);
    }
    let started = Instant::now();
    let stats = jobwarden_pipeline::run(
        &inputs,
        &PipelineOptions {
            decode,
            threads,
            host: host_config,
        },
        &mut detector,
        sigma.as_mut(),
        &mut sink,
    );
    let seconds = started.elapsed().as_secs_f64();
    if let Some(bar) = &progress {
        bar.finish_and_clear();
    }
    if let Some(err) = sink.write_error.take() {
        return Err(err.into());
    }
    if args.format == AlertFormat::Table {
        write_table(&sink.table, sink.out)?;
    }
    sink.out.flush()?;

    let decode_stats = &stats.decode;
    let skipped: BTreeMap<String, u64> = decode_stats
        .skipped
        .iter()
        .map(|(code, n)| (code.as_str().to_string(), *n))
        .collect();
    if !args.quiet {
        let mut notes = Vec::new();
        let d = &stats.detect;
        if d.metadata_only_writes > 0 {
            notes.push(format!(
                "{} job/cronjob write(s) were logged at Metadata level (no request body): template checks were impossible for them; log the batch group at RequestResponse level",
                d.metadata_only_writes
            ));
        }
        if d.dry_runs > 0 {
            notes.push(format!("{} dry-run request(s): capped at low", d.dry_runs));
        }
        let ev = d.evicted;
        if ev.cronjobs + ev.jobs + ev.pending_requests > 0 {
            notes.push(format!(
                "bounded state evicted {} CronJob(s), {} Job(s) and released {} request(s) before their final stage",
                ev.cronjobs, ev.jobs, ev.pending_requests
            ));
        }
        if d.stages.duplicates > 0 || d.stages.merged > 0 {
            notes.push(format!(
                "{} stage record(s) merged into their request, {} duplicate(s) dropped",
                d.stages.merged, d.stages.duplicates
            ));
        }
        if let Some(stats) = baseline_stats
            .as_ref()
            .and_then(|s| s.lock().ok().map(|s| s.clone()))
        {
            notes.push(format!(
                "baseline: {} batch write(s) judged, {} anomal(ies), {} error(s){}",
                stats.observed,
                stats.anomalies,
                stats.error_count,
                stats
                    .errors
                    .first()
                    .map(|e| format!(" (first: {e})"))
                    .unwrap_or_default()
            ));
        }
        if let Some(stage) = &sigma {
            notes.push(format!(
                "sigma: {} record(s) checked, {} evaluated, {} match(es), {} correlation hit(s)",
                stage.stats.checked,
                stage.stats.evaluated,
                stage.stats.matches,
                stage.stats.correlation_hits
            ));
        }
        if d.patch_failures > 0 {
            notes.push(format!(
                "{} patch(es) could not be applied to the last known object",
                d.patch_failures
            ));
        }
        if !stats.host_sources.is_empty() {
            notes.push(format!(
                "host inputs: {} ({} record(s)); {} incident(s) tie a host command to its audit request",
                stats
                    .host_sources
                    .iter()
                    .map(|(f, n)| format!("{n} {f}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                stats.host_records,
                stats.incidents
            ));
        }
        let c = &stats.correlation;
        if c.objects > 0 || c.evicted > 0 || c.dropped > 0 {
            notes.push(format!(
                "incident state: {} CronJob/Job/Pod creation(s) recorded from the audit log for the owner chain, {} evicted by its bounds, {} alert(s) or host event(s) not kept",
                c.objects, c.evicted, c.dropped
            ));
        }
        if stats.generic_records > 0 {
            notes.push(format!(
                "{} generic JSON document(s) (not audit events) evaluated by the Sigma rules",
                stats.generic_records
            ));
        }
        let mut skipped = skipped.clone();
        for (code, n) in &stats.generic_skipped {
            *skipped.entry(format!("generic:{code}")).or_default() += n;
        }
        for (code, n) in &stats.host_skipped {
            *skipped.entry(format!("host:{code}")).or_default() += n;
        }
        let summary = Summary {
            inputs: stats.sources.clone(),
            bytes: decode_stats.bytes,
            records: decode_stats.lines,
            events_by_verb: decode_stats
                .events_by_verb
                .iter()
                .map(|(k, v)| {
                    (
                        if k.is_empty() {
                            "(none)".to_string()
                        } else {
                            k.clone()
                        },
                        *v,
                    )
                })
                .collect(),
            events_parsed: decode_stats.events_decoded,
            events_by_format: BTreeMap::new(),
            skipped_by_reason: skipped.clone(),
            error_examples: sink.error_examples.clone(),
            alerts_by_severity: sink.by_severity.clone(),
            alerts_shown: sink.shown,
            notes,
            seconds,
            threads,
        };
        let mut err = anstream::stderr().lock();
        write_summary(&summary, &mut err)?;
    }
    let host_skipped: u64 =
        stats.host_skipped.values().sum::<u64>() + stats.generic_skipped.values().sum::<u64>();
    if decode_stats.skipped_total() > 0 || host_skipped > 0 || sigma_errors > 0 {
        return Ok(Status::Error);
    }
    Ok(if sink.fail {
        Status::Findings
    } else {
        Status::Clean
    })
}

fn input_format(arg: InputFormatArg) -> InputFormat {
    match arg {
        InputFormatArg::Auto => InputFormat::Auto,
        InputFormatArg::AuditJsonl => InputFormat::AuditJsonl,
        InputFormatArg::EventList => InputFormat::EventList,
        InputFormatArg::Gke => InputFormat::Gke,
        InputFormatArg::Aks => InputFormat::Aks,
        InputFormatArg::Eks => InputFormat::Eks,
    }
}

struct HuntSink<'a> {
    args: &'a HuntArgs,
    out: &'a mut dyn Write,
    table: Vec<Alert>,
    by_severity: BTreeMap<Severity, u64>,
    shown: u64,
    fail: bool,
    errors_shown: usize,
    error_examples: Vec<String>,
    write_error: Option<std::io::Error>,
    progress: Option<&'a ProgressBar>,
}

impl HuntSink<'_> {
    fn in_window(&self, alert: &Alert) -> bool {
        if self.args.since.is_none() && self.args.until.is_none() {
            return true;
        }
        let Ok(t) = alert.time.parse::<jiff::Timestamp>() else {
            return false;
        };
        self.args.since.is_none_or(|s| t >= s) && self.args.until.is_none_or(|u| t < u)
    }
}

impl Sink for HuntSink<'_> {
    fn alert(&mut self, alert: Alert) {
        *self.by_severity.entry(alert.severity).or_default() += 1;
        if alert.severity < self.args.min_severity || !self.in_window(&alert) {
            return;
        }
        self.shown += 1;
        if self.args.fail_on.is_some_and(|f| alert.severity >= f) {
            self.fail = true;
        }
        match self.args.format {
            AlertFormat::Jsonl => {
                if self.write_error.is_none()
                    && let Err(e) = write_jsonl(&alert, self.out)
                {
                    self.write_error = Some(e);
                }
            }
            AlertFormat::Table => self.table.push(alert),
        }
    }

    fn error(&mut self, error: &dyn std::fmt::Display) {
        if self.error_examples.len() < 5 {
            self.error_examples.push(error.to_string());
        }
        if self.errors_shown < self.args.max_errors_shown {
            self.errors_shown += 1;
            let line = format!("jobwarden: skipped {error}");
            if let Some(bar) = self.progress {
                bar.println(line);
            } else {
                eprintln!("{line}");
            }
        }
    }

    fn progress(&mut self, bytes: u64) {
        if let Some(bar) = self.progress {
            bar.set_position(bytes);
        }
    }
}

/// Literals that mark an audit event the rules' needles cannot see: with Sigma rules loaded
/// such lines are always parsed. GKE Cloud Logging entries spell the event otherwise
/// (`protoPayload.methodName`); AKS, EKS and CloudWatch entries that hold the event as a JSON
/// string escape its quotes, and the decoder only takes an inner event with a verb or an
/// audit ID, whose escaped keys these are. Entries holding the event as an object show its raw
/// keys to the needles, and batch wrappers (`records`, `logEvents`) are always parsed.
const WRAPPER_NEEDLES: [&str; 3] = ["\"protoPayload\"", "\\\"verb\\\"", "\\\"auditID\\\""];

/// Load `--sigma` rules (after the config's `sigma.rules`): errors are printed (file, line,
/// construct) and counted; the valid rules run.
fn load_sigma(args: &HuntArgs, config: &Config) -> anyhow::Result<(Option<SigmaStage>, usize)> {
    let Some(loaded) = sigma_engine(&args.sigma, args.sigma_sigmahq_fields, &config.sigma)? else {
        return Ok((None, 0));
    };
    Ok((
        Some(SigmaStage::new(loaded.engine, config.clone())),
        loaded.errors.len(),
    ))
}

/// Sigma rules loaded and compiled as every command runs them.
pub struct LoadedSigma {
    /// The compiled rules.
    pub engine: jobwarden_sigma::Engine,
    /// Documents that did not load (already printed).
    pub errors: Vec<jobwarden_sigma::LoadError>,
}

/// Load the config's `sigma.rules` and then `cli_paths`, with the config's placeholders and
/// field mappings, into an engine with [`engine_options`]; `None` when there is no path at all.
/// Load errors are printed to stderr and returned.
pub fn sigma_engine(
    cli_paths: &[std::path::PathBuf],
    sigmahq_fields: bool,
    config: &jobwarden_sigma::SigmaConfig,
) -> anyhow::Result<Option<LoadedSigma>> {
    let paths: Vec<std::path::PathBuf> = config.rules.iter().chain(cli_paths).cloned().collect();
    if paths.is_empty() {
        return Ok(None);
    }
    let report = jobwarden_sigma::load_paths(&paths, &config.load_options());
    for err in &report.errors {
        eprintln!("jobwarden: sigma: {err}");
    }
    let mut options = engine_options(sigmahq_fields || config.sigmahq_fields);
    config.apply_field_mappings(&mut options);
    let engine = jobwarden_sigma::Engine::new(report.rules, options)
        .map_err(|e| anyhow::anyhow!("sigma rules: {e}"))?;
    Ok(Some(LoadedSigma {
        engine,
        errors: report.errors,
    }))
}

/// The Sigma engine options `hunt` runs with (and `rules --sigma` reports on): key-context
/// needles (compact JSON; wrapper entries are always candidates, see WRAPPER_NEEDLES),
/// jobwarden's derived fields, and SigmaHQ's abstract field names when asked for.
pub fn engine_options(sigmahq_fields: bool) -> jobwarden_sigma::EngineOptions {
    let mut options = jobwarden_sigma::EngineOptions {
        key_context_needles: true,
        derived_fields: jobwarden_pipeline::sigma::derived_field_needles(),
        ..jobwarden_sigma::EngineOptions::default()
    };
    if sigmahq_fields {
        options.k8s_audit = jobwarden_sigma::k8s_sigmahq_map();
    }
    options
}
