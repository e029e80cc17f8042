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

pub fn run(args: RulesArgs) -> anyhow::Result<Status> {
    let all = all_rules();
    let mut out = anstream::stdout().lock();
    match args.action {
        None => match args.format {
            RulesFormat::Json => {
                serde_json::to_writer_pretty(&mut out, &all)?;
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
