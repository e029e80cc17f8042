//! The end-of-run summary: what was read, what was skipped and why, what was found.

use crate::alerts::severity_style;
use anstyle::{Effects, Style};
use jobwarden_model::Severity;
use std::collections::BTreeMap;
use std::io::{self, Write};

/// Everything the summary shows. Filled by the caller from the pipeline's counters.
#[derive(Debug, Clone, Default)]
pub struct Summary {
    /// Inputs read, as given.
    pub inputs: Vec<String>,
    /// Bytes read (decompressed).
    pub bytes: u64,
    /// Lines or records read.
    pub records: u64,
    /// Audit events read, by verb.
    pub events_by_verb: BTreeMap<String, u64>,
    /// Audit events parsed in full; the others were ruled out by the prefilter and only counted.
    pub events_parsed: u64,
    /// Audit events read, by input format.
    pub events_by_format: BTreeMap<String, u64>,
    /// Records skipped, by reason code.
    pub skipped_by_reason: BTreeMap<String, u64>,
    /// Up to a few example errors (file:line: message).
    pub error_examples: Vec<String>,
    /// Alerts by severity (all, before the `--min-severity` filter).
    pub alerts_by_severity: BTreeMap<Severity, u64>,
    /// Alerts shown (after filters).
    pub alerts_shown: u64,
    /// Notes about coverage (e.g. Metadata-level batch writes, evicted state).
    pub notes: Vec<String>,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// Threads used.
    pub threads: usize,
}

impl Summary {
    /// Total events read.
    pub fn events(&self) -> u64 {
        self.events_by_verb.values().sum()
    }

    /// Total records skipped.
    pub fn skipped(&self) -> u64 {
        self.skipped_by_reason.values().sum()
    }
}

fn join_counts<K: std::fmt::Display>(m: &BTreeMap<K, u64>) -> String {
    let mut v: Vec<_> = m.iter().collect();
    v.sort_by(|a, b| b.1.cmp(a.1));
    v.iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Print the summary for a person.
pub fn write_summary(s: &Summary, out: &mut dyn Write) -> io::Result<()> {
    let bold = Style::new().effects(Effects::BOLD);
    writeln!(out, "{bold}Summary{bold:#}")?;
    let mb = s.bytes as f64 / 1e6;
    let rate = if s.seconds > 0.0 { mb / s.seconds } else { 0.0 };
    writeln!(
        out,
        "  read      {} input(s), {:.1} MB, {} records, {} audit events in {:.2}s ({:.0} MB/s, {} thread(s))",
        s.inputs.len(),
        mb,
        s.records,
        s.events(),
        s.seconds,
        rate,
        s.threads
    )?;
    if !s.events_by_verb.is_empty() {
        writeln!(out, "  by verb   {}", join_counts(&s.events_by_verb))?;
        writeln!(
            out,
            "  parsed    {} audit event(s) in full, {} ruled out by the prefilter",
            s.events_parsed,
            s.events().saturating_sub(s.events_parsed)
        )?;
    }
    if !s.events_by_format.is_empty() {
        writeln!(out, "  by source {}", join_counts(&s.events_by_format))?;
    }
    if s.skipped() > 0 {
        writeln!(
            out,
            "  skipped   {} record(s): {}",
            s.skipped(),
            join_counts(&s.skipped_by_reason)
        )?;
        for e in &s.error_examples {
            writeln!(out, "            {e}")?;
        }
    } else {
        writeln!(out, "  skipped   none")?;
    }
    let mut parts = Vec::new();
    for sev in Severity::ALL.iter().rev() {
        let n = s.alerts_by_severity.get(sev).copied().unwrap_or(0);
        let st = severity_style(*sev);
        parts.push(format!("{st}{n} {sev}{st:#}"));
    }
    writeln!(
        out,
        "  alerts    {} ({} shown)",
        parts.join(", "),
        s.alerts_shown
    )?;
    for note in &s.notes {
        writeln!(out, "  note      {note}")?;
    }
    Ok(())
}
