//! `jobwarden baseline learn|show|forget|export`.

use crate::args::{BaselineCommand, BaselineState};
use crate::commands::load_config;
use crate::exit::Status;
use anyhow::Context;
use jobwarden_baseline::{Baseline, BaselineReader, ForgetTarget, SummaryFilter};
use jobwarden_decode::{DecodeOptions, Prefilter, Source, expand_sources, read_source};
use std::io::Write;
use std::path::PathBuf;

fn resolve(state: &BaselineState) -> anyhow::Result<(PathBuf, jobwarden_baseline::BaselineConfig)> {
    let config = load_config(state.config.as_deref())?;
    let mut bconfig = config.baseline;
    if let Some(path) = &state.state {
        bconfig.path = Some(path.clone());
    }
    let path = bconfig
        .state_path()
        .context("no baseline path: give --state PATH or set HOME")?;
    Ok((path, bconfig))
}

pub fn run(cmd: BaselineCommand) -> anyhow::Result<Status> {
    let mut out = std::io::stdout().lock();
    match cmd {
        BaselineCommand::Learn { inputs, state } => {
            let (path, bconfig) = resolve(&state)?;
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("cannot create {}", dir.display()))?;
            }
            let mut baseline = Baseline::open(&path, bconfig)
                .with_context(|| format!("baseline {}", path.display()))?;
            // Only batch writes are learned: the batch prefilter applies.
            let options = DecodeOptions {
                prefilter: Prefilter::batch(),
                ..DecodeOptions::default()
            };
            let sources: Vec<Source> = inputs.iter().map(|a| Source::from_arg(a)).collect();
            let (mut events, mut learned, mut problems) = (0u64, 0u64, 0u64);
            for src in expand_sources(&sources) {
                let src = match src {
                    Ok(s) => s,
                    Err(e) => {
                        eprintln!("jobwarden: skipped {e}");
                        problems += 1;
                        continue;
                    }
                };
                for item in read_source(&src, &options) {
                    match item {
                        Ok(decoded) => {
                            events += 1;
                            let source = decoded.location.to_string();
                            match jobwarden_baseline::Observation::from_event(
                                &decoded.event,
                                &source,
                            ) {
                                Ok(Some(obs)) => {
                                    baseline.learn(&obs)?;
                                    learned += 1;
                                }
                                Ok(None) => {}
                                Err(e) => {
                                    eprintln!("jobwarden: warning: {e}");
                                    problems += 1;
                                }
                            }
                        }
                        Err(e) => {
                            eprintln!("jobwarden: skipped {e}");
                            problems += 1;
                        }
                    }
                }
            }
            let stats = baseline.finish()?;
            eprintln!(
                "learned {learned} batch write(s) from {events} parsed event(s) into {} ({} commit(s)); {problems} problem(s)",
                path.display(),
                stats.commits
            );
            Ok(if problems > 0 {
                Status::Error
            } else {
                Status::Clean
            })
        }
        BaselineCommand::Show {
            namespace,
            cluster,
            json,
            limit,
            state,
        } => {
            let (path, _) = resolve(&state)?;
            let reader = BaselineReader::open(&path)
                .with_context(|| format!("baseline {}", path.display()))?;
            let summary = reader.summary(&SummaryFilter { cluster, namespace })?;
            if json {
                serde_json::to_writer_pretty(&mut out, &summary)?;
                writeln!(out)?;
            } else {
                write!(out, "{}", summary.render_text(limit))?;
            }
            Ok(Status::Clean)
        }
        BaselineCommand::Export { state } => {
            let (path, _) = resolve(&state)?;
            let reader = BaselineReader::open(&path)
                .with_context(|| format!("baseline {}", path.display()))?;
            let summary = reader.summary(&SummaryFilter::default())?;
            serde_json::to_writer_pretty(&mut out, &summary)?;
            writeln!(out)?;
            Ok(Status::Clean)
        }
        BaselineCommand::Forget {
            identity,
            namespace,
            all,
            cluster,
            state,
        } => {
            let target = match (identity, namespace, all) {
                (Some(u), _, _) => ForgetTarget::Identity(u),
                (_, Some(ns), _) => ForgetTarget::Namespace(ns),
                (_, _, true) => ForgetTarget::Everything,
                _ => anyhow::bail!("say what to forget: --identity, --namespace or --all"),
            };
            let (path, bconfig) = resolve(&state)?;
            let mut baseline = Baseline::open(&path, bconfig)
                .with_context(|| format!("baseline {}", path.display()))?;
            let removed = baseline.forget(&target, cluster.as_deref())?;
            baseline.finish()?;
            eprintln!("forgot {removed} stored row(s)");
            Ok(Status::Clean)
        }
    }
}
