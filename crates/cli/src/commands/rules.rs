//! `jobwarden rules`: list the built-in rules, or explain one.

use crate::args::{RulesAction, RulesArgs, RulesFormat};
use crate::exit::Status;
use anyhow::bail;
use jobwarden_detect::rules;
use std::io::Write;

pub fn run(args: RulesArgs) -> anyhow::Result<Status> {
    let all = rules::builtin();
    let mut out = anstream::stdout().lock();
    match args.action {
        None => match args.format {
            RulesFormat::Json => {
                let metas: Vec<_> = all.iter().map(|r| r.meta()).collect();
                serde_json::to_writer_pretty(&mut out, &metas)?;
                writeln!(out)?;
            }
            RulesFormat::Table => {
                writeln!(out, "{:<12} {:<36} {:<9} TITLE", "ID", "SLUG", "UP TO")?;
                for r in &all {
                    let m = r.meta();
                    writeln!(
                        out,
                        "{:<12} {:<36} {:<9} {}",
                        m.id,
                        m.slug,
                        m.max_severity.as_str(),
                        m.title
                    )?;
                }
                writeln!(
                    out,
                    "\n{} rules. `jobwarden rules explain ID` prints one rule's documentation.",
                    all.len()
                )?;
            }
        },
        Some(RulesAction::Lint { paths }) => {
            let report =
                jobwarden_sigma::load_paths(&paths, &jobwarden_sigma::LoadOptions::default());
            for err in &report.errors {
                writeln!(out, "error: {err}")?;
            }
            let loaded = report.rules.len();
            let engine = jobwarden_sigma::Engine::new(report.rules, Default::default());
            let warnings = match &engine {
                Ok(engine) => engine.lint(),
                Err(e) => {
                    writeln!(out, "error: {e}")?;
                    Vec::new()
                }
            };
            for w in &warnings {
                writeln!(out, "warning: {w}")?;
            }
            writeln!(
                out,
                "{loaded} rule(s) loaded, {} error(s), {} warning(s)",
                report.errors.len() + usize::from(engine.is_err()),
                warnings.len()
            )?;
            if !report.errors.is_empty() || engine.is_err() {
                return Ok(Status::Error);
            }
        }
        Some(RulesAction::Explain { id }) => {
            let Some(rule) = rules::find(&all, &id) else {
                bail!("no rule {id:?}; `jobwarden rules` lists them");
            };
            let m = rule.meta();
            match args.format {
                RulesFormat::Json => {
                    serde_json::to_writer_pretty(&mut out, m)?;
                    writeln!(out)?;
                }
                RulesFormat::Table => {
                    writeln!(out, "{} {} — {}", m.id, m.slug, m.title)?;
                    writeln!(
                        out,
                        "severity up to {}; ATT&CK {}; {:?} since {}\n",
                        m.max_severity,
                        m.attack.join(", "),
                        m.status,
                        m.since
                    )?;
                    writeln!(out, "{}", m.docs)?;
                }
            }
        }
    }
    Ok(Status::Clean)
}
