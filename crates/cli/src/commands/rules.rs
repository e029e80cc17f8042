//! `jobwarden rules`: list every rule (audit, host, baseline, correlation), explain one, or
//! lint Sigma rules.

use crate::args::{RulesAction, RulesArgs, RulesFormat};
use crate::exit::Status;
use anyhow::bail;
use jobwarden_model::Severity;
use serde::Serialize;
use std::io::Write;

/// One rule of any family, as listed and explained.
#[derive(Debug, Serialize)]
struct Listed {
    id: &'static str,
    slug: &'static str,
    family: &'static str,
    title: &'static str,
    max_severity: Severity,
    attack: &'static [&'static str],
    since: &'static str,
    docs: &'static str,
}

const INCIDENT_DOCS: &str = "## What it detects
A process on a host or node that wrote a CronJob or Job (kubectl, curl to the API), tied to the
audit request it made (same kind, namespace and name, within ten minutes) and to the containers
the object then ran on the nodes: one incident with its provenance chain
`process -> audit request -> container`.

## Why it matters
Analysts get one story instead of three alerts in three tools: which shell on which host
created which CronJob, under which identity, and where its code ran.

## Example
`kubectl create cronjob logrotate-payments ...` on jump-02, the audit create of that CronJob by
kubernetes-admin, and its first pod's container on a node.

## False positives
As for the audit alert it builds on; its severity is that alert's.

## Response
Start from the host: the process tree and the credential kubectl used.";

fn all_rules() -> Vec<Listed> {
    let mut out = Vec::new();
    for r in jobwarden_detect::rules::builtin() {
        let m = r.meta();
        out.push(Listed {
            id: m.id,
            slug: m.slug,
            family: "audit",
            title: m.title,
            max_severity: m.max_severity,
            attack: m.attack,
            since: m.since,
            docs: m.docs,
        });
    }
    for r in jobwarden_host::rules::builtin() {
        let m = r.meta();
        out.push(Listed {
            id: m.id,
            slug: m.slug,
            family: "host",
            title: m.title,
            max_severity: m.max_severity,
            attack: m.attack,
            since: m.since,
            docs: m.docs,
        });
    }
    for m in jobwarden_baseline::RULES.iter() {
        out.push(Listed {
            id: m.id,
            slug: m.slug,
            family: "baseline",
            title: m.title,
            max_severity: m.max_severity,
            attack: m.attack,
            since: m.since,
            docs: m.docs,
        });
    }
    out.push(Listed {
        id: jobwarden_pipeline::correlate::INCIDENT_RULE,
        slug: "host-command-tied-to-batch-write",
        family: "correlation",
        title: "Host command tied to the CronJob/Job it wrote",
        max_severity: Severity::Critical,
        attack: &["T1053.007"],
        since: "0.1.0",
        docs: INCIDENT_DOCS,
    });
    out
}

/// How the prefilter treats a Sigma rule in `hunt`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
enum Prefiltered {
    /// Audit lines reach it only when they hold the literals it requires.
    Filtered,
    /// It can never fire on raw audit JSON (`rules lint` says why): it needs no line.
    NeverFires,
    /// It requires no literal: every audit line is parsed and evaluated for it.
    EveryEvent,
    /// It is not an audit rule: it runs on generic JSON inputs, each document evaluated.
    OtherLogsource,
}

/// A Sigma rule as `rules --sigma` lists it.
#[derive(Debug, Serialize)]
struct SigmaListed {
    id: String,
    family: &'static str,
    title: String,
    level: Option<String>,
    file: String,
    prefilter: Prefiltered,
    /// What an audit line must hold: one literal of each clause.
    requirement: Option<Vec<Vec<String>>>,
}

/// Sigma rules loaded as `hunt --sigma` loads them, with their prefilter treatment; load
/// errors are printed (file, line, construct) and counted.
fn sigma_rules(args: &RulesArgs) -> anyhow::Result<(Vec<SigmaListed>, usize)> {
    let config = crate::commands::load_config(args.config.as_deref())?;
    let Some(loaded) =
        super::hunt::sigma_engine(&args.sigma, args.sigma_sigmahq_fields, &config.sigma)?
    else {
        return Ok((Vec::new(), 0));
    };
    let errors = loaded.errors.len();
    let engine = loaded.engine;
    let every: Vec<usize> = engine.unfiltered_rules(jobwarden_sigma::LogsourceKind::K8sAudit);
    let never: Vec<(String, String)> = engine
        .lint()
        .into_iter()
        .filter(|w| w.kind == jobwarden_sigma::LintKind::NeverFires)
        .map(|w| (w.file, w.rule_id))
        .collect();
    let listed = engine
        .rules()
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let audit = r.logsource.binding() == jobwarden_sigma::Binding::K8sAudit;
            let requirement = engine.requirement(i).filter(|_| audit);
            let prefilter = if !audit {
                Prefiltered::OtherLogsource
            } else if never.iter().any(|(f, id)| *f == r.file && *id == r.id) {
                Prefiltered::NeverFires
            } else if every.contains(&i) {
                Prefiltered::EveryEvent
            } else {
                Prefiltered::Filtered
            };
            SigmaListed {
                id: r.id.clone(),
                family: "sigma",
                title: r.title.clone(),
                level: r.level.map(|l| format!("{l:?}").to_ascii_lowercase()),
                file: r.file.clone(),
                requirement: (prefilter == Prefiltered::Filtered)
                    .then(|| requirement.map(|q| q.clauses))
                    .flatten(),
                prefilter,
            }
        })
        .collect();
    Ok((listed, errors))
}

/// The count line under the Sigma listing.
fn sigma_summary(listed: &[SigmaListed], errors: usize) -> String {
    let count = |p: Prefiltered| listed.iter().filter(|l| l.prefilter == p).count();
    format!(
        "{} Sigma rule(s) loaded, {errors} error(s): {} filtered by the literals they require, {} never fire on raw audit JSON (`rules lint` says why), {} evaluated on every audit event (no literal to require), {} for other log sources",
        listed.len(),
        count(Prefiltered::Filtered),
        count(Prefiltered::NeverFires),
        count(Prefiltered::EveryEvent),
        count(Prefiltered::OtherLogsource),
    )
}

pub fn run(args: RulesArgs) -> anyhow::Result<Status> {
    let all = all_rules();
    // The listing shows the Sigma rules too (--sigma and the config's); `lint` and `explain`
    // load their own.
    let (sigma, sigma_errors) = if args.action.is_none() {
        sigma_rules(&args)?
    } else {
        (Vec::new(), 0)
    };
    let mut out = anstream::stdout().lock();
    match args.action {
        None => match args.format {
            RulesFormat::Json => {
                let mut listed = serde_json::to_value(&all)?;
                if let serde_json::Value::Array(items) = &mut listed {
                    for s in &sigma {
                        items.push(serde_json::to_value(s)?);
                    }
                }
                serde_json::to_writer_pretty(&mut out, &listed)?;
                writeln!(out)?;
            }
            RulesFormat::Table => {
                writeln!(
                    out,
                    "{:<12} {:<12} {:<38} {:<9} TITLE",
                    "ID", "FAMILY", "SLUG", "UP TO"
                )?;
                for m in &all {
                    writeln!(
                        out,
                        "{:<12} {:<12} {:<38} {:<9} {}",
                        m.id,
                        m.family,
                        m.slug,
                        m.max_severity.as_str(),
                        m.title
                    )?;
                }
                writeln!(
                    out,
                    "\n{} rules. `jobwarden rules explain ID` prints one rule's documentation; Sigma rules run with `hunt --sigma` and are checked by `rules lint`.",
                    all.len()
                )?;
                if !sigma.is_empty() || sigma_errors > 0 {
                    writeln!(
                        out,
                        "\n{:<36} {:<13} {:<9} TITLE",
                        "SIGMA ID", "PREFILTER", "LEVEL"
                    )?;
                    for s in &sigma {
                        let prefilter = match s.prefilter {
                            Prefiltered::Filtered => "filtered",
                            Prefiltered::NeverFires => "never-fires",
                            Prefiltered::EveryEvent => "every-event",
                            Prefiltered::OtherLogsource => "other-source",
                        };
                        writeln!(
                            out,
                            "{:<36} {:<13} {:<9} {}",
                            s.id,
                            prefilter,
                            s.level.as_deref().unwrap_or("-"),
                            s.title
                        )?;
                    }
                    writeln!(out, "\n{}", sigma_summary(&sigma, sigma_errors))?;
                }
            }
        },
        Some(RulesAction::Lint { paths }) => {
            // As `hunt` runs them (config placeholders and mappings, derived fields), so a
            // placeholder or a derived field is not reported as missing.
            let config = crate::commands::load_config(args.config.as_deref())?;
            let report = jobwarden_sigma::load_paths(&paths, &config.sigma.load_options());
            for err in &report.errors {
                writeln!(out, "error: {err}")?;
            }
            let loaded = report.rules.len();
            let mut options = super::hunt::engine_options(
                args.sigma_sigmahq_fields || config.sigma.sigmahq_fields,
            );
            config.sigma.apply_field_mappings(&mut options);
            let engine = jobwarden_sigma::Engine::new(report.rules, options);
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
            let Some(m) = all
                .iter()
                .find(|m| m.id.eq_ignore_ascii_case(&id) || m.slug == id)
            else {
                bail!("no rule {id:?}; `jobwarden rules` lists them");
            };
            match args.format {
                RulesFormat::Json => {
                    serde_json::to_writer_pretty(&mut out, m)?;
                    writeln!(out)?;
                }
                RulesFormat::Table => {
                    writeln!(out, "{} {} — {}", m.id, m.slug, m.title)?;
                    writeln!(
                        out,
                        "{} rule; severity up to {}; ATT&CK {}; since {}\n",
                        m.family,
                        m.max_severity,
                        m.attack.join(", "),
                        m.since
                    )?;
                    writeln!(out, "{}", m.docs)?;
                }
            }
        }
    }
    if sigma_errors > 0 {
        return Ok(Status::Error);
    }
    Ok(Status::Clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_has_a_unique_id_and_complete_docs() {
        let all = all_rules();
        let mut ids: Vec<_> = all.iter().map(|m| m.id).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), all.len(), "duplicate rule id across families");
        for m in &all {
            for section in jobwarden_model::RULE_DOC_SECTIONS {
                assert!(m.docs.contains(section), "{} lacks {section}", m.id);
            }
            assert!(
                m.attack.contains(&"T1053.007") || m.attack.contains(&"T1613"),
                "{}",
                m.id
            );
        }
    }
}
