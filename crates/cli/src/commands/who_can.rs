//! `jobwarden who-can`: RBAC manifests in, access answers out.

use crate::args::{AccessFormat, WhoCanArgs};
use crate::exit::Status;
use anyhow::Context;
use jobwarden_manifest::{Limits, load_paths};
use jobwarden_rbac::findings::SubjectPattern;
use jobwarden_rbac::{AccessAnswer, AccessQuery, Analysis, SourcedObject, to_dot};
use std::io::Write;
use std::path::PathBuf;

pub fn run(args: WhoCanArgs) -> anyhow::Result<Status> {
    let paths: Vec<PathBuf> = args.inputs.iter().map(PathBuf::from).collect();
    let loaded = load_paths(&paths, &Limits::default());
    for err in &loaded.errors {
        eprintln!("jobwarden: skipped {err}");
    }
    let objects: Vec<SourcedObject> = loaded
        .documents
        .iter()
        .map(|d| SourcedObject::new(d.value.clone(), d.file.clone(), d.line))
        .collect();
    let analysis = Analysis::build(&objects);
    for err in analysis.errors() {
        eprintln!("jobwarden: warning: {err}");
    }
    let answers: Vec<AccessAnswer> = if args.schedule_code {
        analysis.schedule_code()
    } else {
        let (Some(verb), Some(resource)) = (args.verb.as_deref(), args.resource.as_deref()) else {
            anyhow::bail!("VERB and RESOURCE are required without --schedule-code");
        };
        let query = AccessQuery::parse(verb, resource)
            .with_context(|| format!("who-can {verb} {resource}"))?
            .in_namespace(args.namespace.as_deref())
            .named(args.name.as_deref());
        analysis.who_can(&query)
    };
    let allowed: Vec<SubjectPattern> = args
        .fail_unless
        .iter()
        .map(|p| SubjectPattern::parse(p).map_err(|e| anyhow::anyhow!("--fail-unless {p:?}: {e}")))
        .collect::<anyhow::Result<_>>()?;

    let mut out: Box<dyn Write> = match &args.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path)
                .with_context(|| format!("cannot create {}", path.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    match args.format {
        AccessFormat::Jsonl => {
            for a in &answers {
                serde_json::to_writer(&mut out, a)?;
                writeln!(out)?;
            }
        }
        AccessFormat::Dot => write!(out, "{}", to_dot(&answers))?,
        AccessFormat::Table => {
            for a in &answers {
                let chain = a
                    .via
                    .first()
                    .map(|g| {
                        let mut s = format!(
                            "{} {} -> {} {}",
                            g.binding.kind, g.binding.name, g.role.kind, g.role.name
                        );
                        if !g.aggregated_from.is_empty() {
                            s.push_str(&format!(
                                " (aggregated from {})",
                                g.aggregated_from.join(" <- ")
                            ));
                        }
                        s
                    })
                    .unwrap_or_default();
                writeln!(
                    out,
                    "{:<60} {:<20} {:<24} {}",
                    a.subject.to_string(),
                    a.scope.to_string(),
                    a.path.as_str(),
                    chain
                )?;
                if let Some(names) = &a.names {
                    writeln!(out, "    only objects named: {}", names.join(", "))?;
                }
                for hop in &a.hops {
                    writeln!(out, "    -> {}", hop.action)?;
                }
                if let Some(note) = &a.note {
                    writeln!(out, "    note: {note}")?;
                }
            }
        }
    }
    out.flush()?;
    if !args.quiet {
        eprintln!(
            "Summary\n  read      {} object(s); {} answer(s); {} input warning(s); skipped {}",
            objects.len(),
            answers.len(),
            analysis.errors().len(),
            loaded.errors.len()
        );
    }
    if !loaded.errors.is_empty() {
        return Ok(Status::Error);
    }
    let outsider = !allowed.is_empty()
        && answers
            .iter()
            .any(|a| !allowed.iter().any(|p| p.matches(&a.subject)));
    Ok(if outsider {
        Status::Findings
    } else {
        Status::Clean
    })
}
