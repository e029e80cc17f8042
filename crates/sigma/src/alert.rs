//! Turning Sigma matches and correlation hits into `jobwarden.alert/v1` alerts.

use crate::engine::{CorrelationHit, RuleMatch};
use crate::rule::Level;
use jobwarden_model::{ALERT_SCHEMA, Actor, Alert, Evidence, RuleRef, Severity, Subject};

/// Severity for a Sigma level (informational → info; no level → medium).
pub fn severity(level: Option<Level>) -> Severity {
    match level {
        Some(Level::Informational) => Severity::Info,
        Some(Level::Low) => Severity::Low,
        Some(Level::Medium) | None => Severity::Medium,
        Some(Level::High) => Severity::High,
        Some(Level::Critical) => Severity::Critical,
    }
}

/// ATT&CK technique ids from Sigma tags: `attack.t1053.007` → `T1053.007`; tactics and other
/// tags are ignored.
pub fn attack_ids(tags: &[String]) -> Vec<String> {
    let mut out: Vec<String> = tags
        .iter()
        .filter_map(|t| {
            let lower = t.to_ascii_lowercase();
            let rest = lower.strip_prefix("attack.t")?;
            let (main, sub) = match rest.split_once('.') {
                Some((m, s)) => (m, Some(s)),
                None => (rest, None),
            };
            let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
            if !digits(main, 4) || sub.is_some_and(|s| !digits(s, 3)) {
                return None;
            }
            Some(match sub {
                Some(s) => format!("T{main}.{s}"),
                None => format!("T{main}"),
            })
        })
        .collect();
    out.dedup();
    out
}

/// What the caller knows about the event(s) behind an alert.
#[derive(Debug, Clone, Default)]
pub struct AlertContext {
    /// RFC 3339 time of the first evidence event.
    pub time: String,
    /// The object concerned.
    pub subject: Subject,
    /// Who acted.
    pub actor: Actor,
    /// Supporting events (source, audit id, detail).
    pub evidence: Vec<Evidence>,
}

fn build(
    id: &str,
    title: &str,
    file: &str,
    level: Option<Level>,
    tags: &[String],
    summary: String,
    ctx: AlertContext,
) -> Alert {
    Alert {
        schema: ALERT_SCHEMA.to_string(),
        id: Alert::stable_id(id, &ctx.evidence),
        rule: RuleRef {
            id: id.to_string(),
            title: title.to_string(),
            origin: format!("sigma:{file}"),
            attack: attack_ids(tags),
        },
        severity: severity(level),
        time: ctx.time,
        summary,
        subject: ctx.subject,
        actor: ctx.actor,
        evidence: ctx.evidence,
        provenance: Vec::new(),
        remediation: None,
    }
}

/// The alert for a detection rule match.
pub fn match_alert(m: &RuleMatch, ctx: AlertContext) -> Alert {
    build(
        &m.id,
        &m.title,
        &m.file,
        m.level,
        &m.tags,
        format!("Sigma: {}", m.title),
        ctx,
    )
}

/// The alert for a correlation hit.
pub fn correlation_alert(h: &CorrelationHit, ctx: AlertContext) -> Alert {
    let group: Vec<String> = h.group.iter().map(|(k, v)| format!("{k}={v}")).collect();
    let summary = if group.is_empty() {
        format!("Sigma correlation: {} ({} events)", h.title, h.count)
    } else {
        format!(
            "Sigma correlation: {} ({} for {})",
            h.title,
            h.count,
            group.join(", ")
        )
    };
    build(&h.id, &h.title, &h.file, h.level, &h.tags, summary, ctx)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_to_attack_ids() {
        let tags: Vec<String> = [
            "attack.execution",
            "attack.t1053.007",
            "attack.T1609",
            "attack.t12",
            "cve.2021.1",
        ]
        .iter()
        .map(|s| s.to_string())
        .collect();
        assert_eq!(attack_ids(&tags), vec!["T1053.007", "T1609"]);
        assert_eq!(severity(Some(Level::Informational)), Severity::Info);
        assert_eq!(severity(Some(Level::Critical)), Severity::Critical);
    }
}
