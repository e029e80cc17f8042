//! Posture findings: JSON lines (the `jobwarden.finding/v1` contract) and the terminal view,
//! grouped by object in input order.

use crate::alerts::severity_style;
use anstyle::{AnsiColor, Effects, Style};
use jobwarden_model::Finding;
use std::io::{self, Write};

/// Write one finding as one JSON line.
pub fn write_jsonl(finding: &Finding, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer(&mut *out, finding).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

/// Print findings for a person: one block per object (in input order), findings most severe
/// first, each with its check id, message, field path and line.
pub fn write_table(findings: &[Finding], out: &mut dyn Write) -> io::Result<()> {
    let bold = Style::new().effects(Effects::BOLD);
    let dim = AnsiColor::BrightBlack.on_default();
    let mut start = 0;
    while start < findings.len() {
        let first = &findings[start];
        let same_object =
            |f: &Finding| f.object == first.object && f.location.file == first.location.file;
        let end = start
            + findings[start..]
                .iter()
                .take_while(|f| same_object(f))
                .count();
        let group = &findings[start..end];
        let o = &first.object;
        writeln!(
            out,
            "{bold}{} {}/{}{bold:#} {dim}{}{dim:#}",
            o.kind,
            o.namespace.as_deref().unwrap_or("-"),
            o.name.as_deref().unwrap_or("<unnamed>"),
            first.location.file
        )?;
        for f in group {
            let st = severity_style(f.severity);
            writeln!(
                out,
                "  {st}{:<8}{st:#} {} {}",
                f.severity.as_str().to_uppercase(),
                f.check,
                f.message
            )?;
            writeln!(
                out,
                "           {dim}{}:{} {}{dim:#}",
                f.location.file, f.location.line, f.path
            )?;
        }
        writeln!(out)?;
        start = end.max(start + 1);
    }
    Ok(())
}
