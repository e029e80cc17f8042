//! `jobwarden scan`: manifests in, posture findings out.

use crate::args::{FindingFormat, PssLevelArg, ScanArgs};
use crate::commands::apply_color;
use crate::exit::Status;
use anyhow::Context;
use jobwarden_manifest::{Limits, load_paths};
use jobwarden_model::Finding;
use jobwarden_policy::pss::{Level, Version};
use jobwarden_posture::{PssChoice, Settings, scan};
use jobwarden_report::findings::{write_jsonl, write_table};
use jobwarden_report::sarif::{RuleDoc, SarifOptions, write_sarif_with};
use std::collections::BTreeSet;
use std::io::Write;
use std::path::PathBuf;

pub fn run(args: ScanArgs) -> anyhow::Result<Status> {
    apply_color(args.color);
    let config = crate::commands::load_config(args.config.as_deref())?;
    let version: Version = args
        .pss_version
        .parse()
        .map_err(|e| anyhow::anyhow!("--pss-version {:?}: {e}", args.pss_version))?;
    let settings = Settings {
        forced_pss: args.pss.map(|l| PssChoice {
            level: match l {
                PssLevelArg::Baseline => Level::Baseline,
                PssLevelArg::Restricted => Level::Restricted,
            },
            version,
        }),
        default_pss: Some(PssChoice {
            level: Level::Baseline,
            version,
        }),
        template: config.template.clone(),
        cronjob: config.cronjob.clone(),
        rbac_authorised: if config.authorised_batch_writers.is_empty() {
            jobwarden_posture::default_authorised()
        } else {
            config
                .authorised_batch_writers
                .iter()
                .map(|p| {
                    jobwarden_rbac::findings::SubjectPattern::parse(p)
                        .map_err(|e| anyhow::anyhow!("config authorised_batch_writers {p:?}: {e}"))
                })
                .collect::<anyhow::Result<_>>()?
        },
    };
    let paths: Vec<PathBuf> = args.inputs.iter().map(PathBuf::from).collect();
    let loaded = load_paths(&paths, &Limits::default());
    for err in &loaded.errors {
        eprintln!("jobwarden: skipped {err}");
    }
    let outcome = scan(&loaded.documents, &settings);
    for err in &outcome.label_errors {
        eprintln!("jobwarden: {err}");
    }
    for warning in &outcome.rbac_warnings {
        eprintln!("jobwarden: warning: {warning}");
    }
    let shown: Vec<&Finding> = outcome
        .findings
        .iter()
        .filter(|f| f.severity >= args.min_severity)
        .collect();

    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(anstream::AutoStream::auto(std::io::stdout().lock())),
    };
    match args.format {
        FindingFormat::Jsonl => {
            for f in &shown {
                write_jsonl(f, out.as_mut())?;
            }
        }
        FindingFormat::Table => {
            let owned: Vec<Finding> = shown.iter().map(|f| (*f).clone()).collect();
            write_table(&owned, out.as_mut())?;
        }
        FindingFormat::Sarif => {
            let owned: Vec<Finding> = shown.iter().map(|f| (*f).clone()).collect();
            let used: BTreeSet<&str> = owned.iter().map(|f| f.check.as_str()).collect();
            let docs: Vec<RuleDoc> = rule_docs()
                .into_iter()
                .filter(|d| used.contains(d.id.as_str()))
                .collect();
            let cwd = std::env::current_dir().ok();
            let options = SarifOptions {
                base_dir: cwd.as_deref(),
                tool_version: Some(env!("CARGO_PKG_VERSION")),
                ..SarifOptions::default()
            };
            write_sarif_with(&owned, &docs, &options, out.as_mut())?;
        }
    }
    out.flush()?;

    if !args.quiet {
        let mut err = anstream::stderr().lock();
        let not_judged: u64 = outcome.not_judged.values().sum();
        writeln!(
            err,
            "Summary\n  read      {} object(s) from {} input(s); {} judged, {} without a pod template{}",
            loaded.documents.len(),
            args.inputs.len(),
            outcome.judged,
            not_judged,
            if outcome.not_judged.is_empty() {
                String::new()
            } else {
                format!(
                    " ({})",
                    outcome
                        .not_judged
                        .iter()
                        .map(|(k, n)| format!("{} {n}", if k.is_empty() { "<no kind>" } else { k }))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            }
        )?;
        writeln!(
            err,
            "  skipped   {}",
            if loaded.errors.is_empty() {
                "none".to_string()
            } else {
                format!("{} document(s) or file(s) (see above)", loaded.errors.len())
            }
        )?;
        if outcome.rbac_objects > 0 {
            writeln!(
                err,
                "  rbac      {} RBAC object(s) analysed for M1018 (who can write batch objects)",
                outcome.rbac_objects
            )?;
        }
        for (ns, level) in &outcome.namespace_levels {
            writeln!(err, "  namespace {ns}: judged at {level} (enforce label)")?;
        }
        writeln!(
            err,
            "  findings  {} ({} shown)",
            outcome.findings.len(),
            shown.len()
        )?;
    }
    if !loaded.errors.is_empty() || !outcome.label_errors.is_empty() {
        return Ok(Status::Error);
    }
    let failed = args
        .fail_on
        .is_some_and(|t| shown.iter().any(|f| f.severity >= t));
    Ok(if failed {
        Status::Findings
    } else {
        Status::Clean
    })
}

/// SARIF rule metadata for every check `scan` can report.
fn rule_docs() -> Vec<RuleDoc> {
    let mut docs = Vec::new();
    for level in [Level::Baseline, Level::Restricted] {
        for c in jobwarden_policy::pss::CHECKS {
            docs.push(RuleDoc {
                id: format!("pss.{}.{}", level.as_str(), c.id),
                title: c.title.to_string(),
                description: c.description.to_string(),
                help: format!(
                    "{} (Pod Security Standards, {} level; versions {}).",
                    c.description,
                    c.level.as_str(),
                    c.versions
                ),
                severity: c.severity,
                tags: vec!["security".into(), "pss".into(), "M1026".into()],
                help_uri: Some(
                    "https://kubernetes.io/docs/concepts/security/pod-security-standards/".into(),
                ),
            });
        }
    }
    for c in jobwarden_policy::all_checks() {
        let mut tags = vec!["security".to_string()];
        tags.extend(c.attack.iter().map(|t| t.to_string()));
        docs.push(RuleDoc {
            id: c.id.to_string(),
            title: c.title.to_string(),
            description: c.description.to_string(),
            help: c.remediation.to_string(),
            severity: c.default_severity,
            tags,
            help_uri: None,
        });
    }
    docs
}
