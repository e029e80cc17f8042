//! Sysmon for Linux: `<Event>` XML, bare or after a syslog prefix
//! (`Aug  9 10:42:47 host sysmon: <Event>...</Event>`). Event ID 1 (process create) becomes a
//! process event, Event ID 11 (file create) a file event; other IDs are skipped.
//!
//! The XML Sysmon writes is flat and regular, so a small scanner reads it: `EventID`,
//! `Computer`, `TimeCreated/@SystemTime` and every `<Data Name="...">` value, entities decoded.

use super::parse_time;
use crate::error::{HostErrorCode, RecordError};
use crate::event::{FileEvent, HostRecord, ProcessEvent};

/// Decode one Sysmon event (the text may carry a syslog prefix).
pub fn decode(text: &str) -> Result<Vec<HostRecord>, RecordError> {
    let start = text
        .find("<Event>")
        .or_else(|| text.find("<Event "))
        .ok_or_else(|| RecordError::new(HostErrorCode::UnknownFormat, "no <Event> element"))?;
    let rest = text.get(start..).unwrap_or_default();
    let end = rest
        .find("</Event>")
        .ok_or_else(|| RecordError::new(HostErrorCode::InvalidXml, "<Event> without </Event>"))?;
    let xml = rest.get(..end).unwrap_or_default();
    let event_id = element_text(xml, "EventID").ok_or_else(|| {
        RecordError::field(HostErrorCode::MissingField, "EventID", "no <EventID>")
    })?;
    let event_id: u32 = event_id.trim().parse().map_err(|_| {
        RecordError::field(
            HostErrorCode::InvalidField,
            "EventID",
            format!("not a number: {event_id:?}"),
        )
    })?;
    let data = data_values(xml)?;
    let get = |name: &str| {
        data.iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .filter(|v| !v.is_empty() && v != "-")
    };
    let host = element_text(xml, "Computer").map(|c| unescape(&c));
    let time = get("UtcTime")
        .and_then(|t| parse_time(&t))
        .or_else(|| attribute(xml, "TimeCreated", "SystemTime").and_then(|t| parse_time(&t)));
    let number = |name: &str| -> Result<Option<u64>, RecordError> {
        match get(name) {
            None => Ok(None),
            Some(v) => v.trim().parse().map(Some).map_err(|_| {
                RecordError::field(
                    HostErrorCode::InvalidField,
                    name,
                    format!("not a number: {v:?}"),
                )
            }),
        }
    };
    match event_id {
        1 => {
            let command_line = get("CommandLine").or_else(|| get("Image")).ok_or_else(|| {
                RecordError::field(
                    HostErrorCode::MissingField,
                    "CommandLine",
                    "process create without CommandLine or Image",
                )
            })?;
            let mut argv = super::split_command_line(&command_line);
            if argv.is_empty() {
                argv = get("Image").into_iter().collect();
            }
            Ok(vec![HostRecord::Process(ProcessEvent {
                time,
                host,
                pid: number("ProcessId")?,
                ppid: number("ParentProcessId")?,
                uid: None,
                user: get("User"),
                exe: get("Image"),
                argv,
                command_line,
                cwd: get("CurrentDirectory"),
                parent_exe: get("ParentImage"),
                parent_command_line: get("ParentCommandLine"),
                ..ProcessEvent::default()
            })])
        }
        11 => {
            let path = get("TargetFilename").ok_or_else(|| {
                RecordError::field(
                    HostErrorCode::MissingField,
                    "TargetFilename",
                    "file create without TargetFilename",
                )
            })?;
            Ok(vec![HostRecord::File(FileEvent {
                time,
                host,
                path,
                operation: Some("create".into()),
                exe: get("Image"),
                pid: number("ProcessId")?,
                user: get("User"),
                ..FileEvent::default()
            })])
        }
        _ => Ok(Vec::new()),
    }
}

/// The text of the first `<name>` (or `<name attr=...>`) element.
fn element_text(xml: &str, name: &str) -> Option<String> {
    let open = format!("<{name}");
    let mut from = 0;
    while let Some(at) = xml.get(from..)?.find(&open) {
        let after = from + at + open.len();
        let next = xml.as_bytes().get(after)?;
        if *next == b'>' || *next == b' ' {
            let body_start = after + xml.get(after..)?.find('>')? + 1;
            let close = format!("</{name}>");
            let body_end = body_start + xml.get(body_start..)?.find(&close)?;
            return xml.get(body_start..body_end).map(str::to_string);
        }
        from = after;
    }
    None
}

/// The value of `attr` on the first `<element ...>`.
fn attribute(xml: &str, element: &str, attr: &str) -> Option<String> {
    let at = xml.find(&format!("<{element}"))?;
    let tag = xml.get(at..)?;
    let tag = tag.get(..tag.find('>')?)?;
    let key = format!("{attr}=\"");
    let v = tag.get(tag.find(&key)? + key.len()..)?;
    Some(unescape(v.get(..v.find('"')?)?))
}

/// Every `<Data Name="k">v</Data>` (and `<Data Name="k"/>`), values unescaped.
fn data_values(xml: &str) -> Result<Vec<(String, String)>, RecordError> {
    let mut out = Vec::new();
    let mut rest = xml;
    while let Some(at) = rest.find("<Data ") {
        rest = rest.get(at + 6..).unwrap_or_default();
        let tag_end = rest.find('>').ok_or_else(|| {
            RecordError::new(HostErrorCode::InvalidXml, "unterminated <Data> tag")
        })?;
        let tag = rest.get(..tag_end).unwrap_or_default();
        let name = tag
            .find("Name=\"")
            .and_then(|i| {
                let v = tag.get(i + 6..)?;
                v.get(..v.find('"')?)
            })
            .ok_or_else(|| RecordError::new(HostErrorCode::InvalidXml, "<Data> without Name"))?
            .to_string();
        if tag.ends_with('/') {
            out.push((name, String::new()));
            rest = rest.get(tag_end + 1..).unwrap_or_default();
            continue;
        }
        let body = rest.get(tag_end + 1..).unwrap_or_default();
        let close = body.find("</Data>").ok_or_else(|| {
            RecordError::field(HostErrorCode::InvalidXml, &name, "<Data> without </Data>")
        })?;
        out.push((name, unescape(body.get(..close).unwrap_or_default())));
        rest = body.get(close + 7..).unwrap_or_default();
    }
    Ok(out)
}

/// Decode the five XML entities and numeric character references.
fn unescape(text: &str) -> String {
    if !text.contains('&') {
        return text.to_string();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        out.push_str(rest.get(..at).unwrap_or_default());
        let after = rest.get(at..).unwrap_or_default();
        let Some(semi) = after.find(';').filter(|s| *s <= 10) else {
            out.push('&');
            rest = after.get(1..).unwrap_or_default();
            continue;
        };
        let entity = after.get(1..semi).unwrap_or_default();
        let decoded = match entity {
            "lt" => Some('<'),
            "gt" => Some('>'),
            "amp" => Some('&'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e if e.starts_with("#x") => u32::from_str_radix(e.get(2..).unwrap_or_default(), 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e
                .get(1..)
                .unwrap_or_default()
                .parse()
                .ok()
                .and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = after.get(semi + 1..).unwrap_or_default();
            }
            None => {
                out.push('&');
                rest = after.get(1..).unwrap_or_default();
            }
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn process_create_inside_syslog() {
        let line = r#"Nov 27 10:00:00 bastion-1 sysmon: <Event><System><Provider Name="Linux-Sysmon"/><EventID>1</EventID><TimeCreated SystemTime="2026-11-27T10:00:00.100000000Z"/><Computer>bastion-1</Computer></System><EventData><Data Name="UtcTime">2026-11-27 10:00:00.100</Data><Data Name="ProcessId">4242</Data><Data Name="Image">/usr/local/bin/kubectl</Data><Data Name="CommandLine">kubectl get jobs -n prod -o &quot;jsonpath={.items}&quot;</Data><Data Name="User">alice</Data><Data Name="ParentProcessId">4000</Data><Data Name="ParentImage">/bin/bash</Data><Data Name="ParentCommandLine">-bash</Data></EventData></Event>"#;
        let recs = decode(line).expect("decodes");
        let HostRecord::Process(p) = &recs[0] else {
            panic!()
        };
        assert_eq!(
            p.argv,
            [
                "kubectl",
                "get",
                "jobs",
                "-n",
                "prod",
                "-o",
                "jsonpath={.items}"
            ]
        );
        assert_eq!(p.host.as_deref(), Some("bastion-1"));
        assert_eq!((p.pid, p.ppid), (Some(4242), Some(4000)));
    }

    #[test]
    fn file_create_and_other_ids() {
        let xml = r#"<Event><System><EventID>11</EventID><Computer>n</Computer></System><EventData><Data Name="Image">/usr/bin/tee</Data><Data Name="TargetFilename">/etc/kubernetes/manifests/x.yaml</Data><Data Name="ProcessId">9</Data></EventData></Event>"#;
        let HostRecord::File(f) = &decode(xml).expect("decodes")[0] else {
            panic!()
        };
        assert_eq!(f.path, "/etc/kubernetes/manifests/x.yaml");
        assert!(
            decode("<Event><System><EventID>3</EventID></System></Event>")
                .expect("skipped")
                .is_empty()
        );
        assert_eq!(
            decode("<Event><System><EventID>1").expect_err("cut").code,
            HostErrorCode::InvalidXml
        );
        assert_eq!(
            unescape("a &amp;&lt;&#65;&#x42; &bogus; &"),
            "a &<AB &bogus; &"
        );
    }
}
