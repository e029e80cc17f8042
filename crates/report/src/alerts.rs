//! Alerts: JSON lines (the `jobwarden.alert/v1` contract) and the terminal view, grouped by
//! subject with the most severe group first.

use anstyle::{AnsiColor, Effects, Style};
use jobwarden_model::{Alert, Severity};
use std::collections::BTreeMap;
use std::io::{self, Write};

/// Write one alert as one JSON line.
pub fn write_jsonl(alert: &Alert, out: &mut dyn Write) -> io::Result<()> {
    serde_json::to_writer(&mut *out, alert).map_err(io::Error::from)?;
    out.write_all(b"\n")
}

/// The colour of a severity label.
pub fn severity_style(s: Severity) -> Style {
    match s {
        Severity::Critical => AnsiColor::Magenta.on_default().effects(Effects::BOLD),
        Severity::High => AnsiColor::Red.on_default().effects(Effects::BOLD),
        Severity::Medium => AnsiColor::Yellow.on_default().effects(Effects::BOLD),
        Severity::Low => AnsiColor::Cyan.on_default(),
        Severity::Info => AnsiColor::BrightBlack.on_default(),
    }
}

fn subject_key(a: &Alert) -> String {
    let s = &a.subject;
    format!(
        "{} {}/{}",
        s.kind,
        s.namespace.as_deref().unwrap_or("-"),
        s.name.as_deref().unwrap_or("<unnamed>")
    )
}

/// Print alerts for a person: grouped by subject, groups ordered by their worst severity (then
/// by first time), alerts in a group by severity then time. Each line has the severity, the
/// rule, the one-line why, the actor and the evidence location.
pub fn write_table(alerts: &[Alert], out: &mut dyn Write) -> io::Result<()> {
    let mut groups: BTreeMap<String, Vec<&Alert>> = BTreeMap::new();
    for a in alerts {
        groups.entry(subject_key(a)).or_default().push(a);
    }
    let mut ordered: Vec<(String, Vec<&Alert>)> = groups.into_iter().collect();
    for (_, g) in ordered.iter_mut() {
        g.sort_by(|x, y| {
            y.severity
                .cmp(&x.severity)
                .then_with(|| x.time.cmp(&y.time))
        });
    }
    ordered.sort_by(|(ka, a), (kb, b)| {
        let wa = a.first().map(|x| x.severity);
        let wb = b.first().map(|x| x.severity);
        wb.cmp(&wa).then_with(|| ka.cmp(kb))
    });
    let bold = Style::new().effects(Effects::BOLD);
    let dim = AnsiColor::BrightBlack.on_default();
    for (subject, group) in &ordered {
        let worst = group.first().map(|a| a.severity).unwrap_or_default();
        let st = severity_style(worst);
        writeln!(out, "{st}●{st:#} {bold}{subject}{bold:#}")?;
        for a in group {
            let st = severity_style(a.severity);
            writeln!(
                out,
                "  {st}{:<8}{st:#} {} {}",
                a.severity.as_str().to_uppercase(),
                a.rule.id,
                a.summary
            )?;
            let mut who = format!("by {}", a.actor.username);
            if let Some(real) = &a.actor.impersonated_by {
                who.push_str(&format!(" (impersonated by {real})"));
            }
            if !a.actor.source_ips.is_empty() {
                who.push_str(&format!(" from {}", a.actor.source_ips.join(",")));
            }
            let ev = a.evidence.first();
            writeln!(
                out,
                "           {dim}{} · {who} · {}{}{dim:#}",
                a.time,
                ev.map(|e| e.source.as_str()).unwrap_or(""),
                ev.and_then(|e| e.audit_id.as_deref())
                    .map(|id| format!(" · auditID {id}"))
                    .unwrap_or_default()
            )?;
        }
        writeln!(out)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jobwarden_model::{Actor, Evidence, EvidenceKind, RuleRef, Subject};

    fn alert(sev: Severity, name: &str) -> Alert {
        let evidence = vec![Evidence {
            source: "f.jsonl:3".into(),
            kind: EvidenceKind::K8sAudit,
            audit_id: Some("abc".into()),
            detail: Default::default(),
        }];
        Alert {
            schema: "jobwarden.alert/v1".into(),
            id: Alert::stable_id("JW-AUD-0002", &evidence),
            rule: RuleRef {
                id: "JW-AUD-0002".into(),
                title: "t".into(),
                origin: "builtin".into(),
                attack: vec!["T1053.007".into()],
            },
            severity: sev,
            time: "2024-05-01T10:00:00Z".into(),
            summary: format!("summary {name}"),
            subject: Subject {
                kind: "CronJob".into(),
                namespace: Some("default".into()),
                name: Some(name.into()),
                cluster: None,
            },
            actor: Actor {
                username: "alice".into(),
                ..Actor::default()
            },
            evidence,
            provenance: vec![],
            remediation: None,
        }
    }

    #[test]
    fn jsonl_round_trips_the_contract() {
        let mut buf = Vec::new();
        write_jsonl(&alert(Severity::High, "x"), &mut buf).expect("write");
        let text = String::from_utf8(buf).expect("utf8");
        assert!(text.ends_with('\n'));
        let v: serde_json::Value = serde_json::from_str(text.trim()).expect("json");
        assert_eq!(v["schema"], "jobwarden.alert/v1");
        assert_eq!(v["severity"], "high");
        assert_eq!(v["evidence"][0]["audit_id"], "abc");
        assert_eq!(v["evidence"][0]["kind"], "k8s_audit");
        assert!(
            v.get("provenance").is_none(),
            "empty optional fields are omitted"
        );
    }

    #[test]
    fn table_puts_worst_subject_first() {
        let mut buf = Vec::new();
        write_table(
            &[
                alert(Severity::Low, "aaa"),
                alert(Severity::Critical, "zzz"),
            ],
            &mut buf,
        )
        .expect("write");
        let text = String::from_utf8(buf).expect("utf8");
        let z = text.find("zzz").expect("zzz shown");
        let a = text.find("aaa").expect("aaa shown");
        assert!(z < a);
    }
}
