//! The host input formats and how a source's format is recognised from its first bytes.

use serde_json::Value;
use std::fmt;
use std::str::FromStr;

/// A host telemetry format. Each source has one, sniffed from its first recognisable line
/// ([`sniff`]) or forced.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum HostFormat {
    /// Linux audit daemon raw log (`type=SYSCALL msg=audit(...)`, EXECVE, PROCTITLE, CWD, PATH).
    Auditd,
    /// Cilium Tetragon JSON export (`process_exec`, `process_kprobe`).
    Tetragon,
    /// Falco output: JSON (`output_fields`) or text (`HH:MM:SS.ns: Priority ... (k=v ...)`).
    Falco,
    /// Sysmon for Linux `<Event>` XML, bare or inside syslog lines (Event ID 1 and 11).
    Sysmon,
    /// Elastic Common Schema JSON (`event.category` process/file, `process.*`, `host.name`).
    Ecs,
    /// Envoy / Istio access logs, JSON or the default text format.
    Envoy,
}

impl HostFormat {
    /// Every format, in `--help` order.
    pub const ALL: [HostFormat; 6] = [
        HostFormat::Auditd,
        HostFormat::Tetragon,
        HostFormat::Falco,
        HostFormat::Sysmon,
        HostFormat::Ecs,
        HostFormat::Envoy,
    ];

    /// The name accepted on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            HostFormat::Auditd => "auditd",
            HostFormat::Tetragon => "tetragon",
            HostFormat::Falco => "falco",
            HostFormat::Sysmon => "sysmon",
            HostFormat::Ecs => "ecs",
            HostFormat::Envoy => "envoy",
        }
    }
}

impl fmt::Display for HostFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A format name that is not one of [`HostFormat::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown host format `{0}` (expected one of: auditd, tetragon, falco, sysmon, ecs, envoy)")]
pub struct UnknownHostFormat(pub String);

impl FromStr for HostFormat {
    type Err = UnknownHostFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('_', "-");
        let alias = match wanted.as_str() {
            "audit" | "auditd-raw" | "linux-audit" => "auditd",
            "isovalent" | "cilium" | "tetragon-json" => "tetragon",
            "falco-json" | "falco-text" => "falco",
            "sysmon-linux" | "sysmonforlinux" | "sysmon-for-linux" => "sysmon",
            "elastic" | "ecs-json" => "ecs",
            "istio" | "envoy-json" | "envoy-text" | "proxy" => "envoy",
            other => other,
        };
        HostFormat::ALL
            .into_iter()
            .find(|f| f.as_str() == alias)
            .ok_or_else(|| UnknownHostFormat(s.to_string()))
    }
}

/// Recognise a source's format from its first bytes: the first non-blank line that looks like
/// one of the formats decides. `None` when no line of the prefix does (including Kubernetes
/// audit events, which belong to the audit decoder).
pub fn sniff(prefix: &[u8]) -> Option<HostFormat> {
    prefix
        .split(|b| *b == b'\n')
        .take(64)
        .map(<[u8]>::trim_ascii)
        .filter(|l| !l.is_empty())
        .find_map(sniff_line)
}

/// Recognise one line's format.
pub fn sniff_line(line: &[u8]) -> Option<HostFormat> {
    let line = line.trim_ascii();
    if line.first() == Some(&b'{') {
        let text = String::from_utf8_lossy(line);
        let value: Value = serde_json::from_str(&text).ok()?;
        return sniff_json(&value);
    }
    if contains(line, b"msg=audit(") && contains(line, b"type=") {
        return Some(HostFormat::Auditd);
    }
    if contains(line, b"<Event") && (contains(line, b"<EventID") || contains(line, b"Sysmon")) {
        return Some(HostFormat::Sysmon);
    }
    if crate::decoders::falco::looks_like_text(line) {
        return Some(HostFormat::Falco);
    }
    if crate::decoders::envoy::looks_like_text(line) {
        return Some(HostFormat::Envoy);
    }
    None
}

/// Recognise a JSON record's format by its keys.
pub(crate) fn sniff_json(value: &Value) -> Option<HostFormat> {
    let obj = value.as_object()?;
    // Kubernetes audit events (raw or ECS-wrapped) are the audit decoder's.
    if obj.contains_key("auditID") || crate::decoders::lookup(value, "kubernetes.audit").is_some() {
        return None;
    }
    const TETRAGON: [&str; 6] = [
        "process_exec",
        "process_kprobe",
        "process_exit",
        "process_tracepoint",
        "process_uprobe",
        "process_lsm",
    ];
    if TETRAGON.iter().any(|k| obj.contains_key(*k)) {
        return Some(HostFormat::Tetragon);
    }
    if obj.contains_key("output_fields")
        || (obj.contains_key("rule") && obj.contains_key("priority"))
    {
        return Some(HostFormat::Falco);
    }
    let has = |k: &str| crate::decoders::lookup(value, k).is_some();
    if has("response_code")
        && (has("method") || has("upstream_host") || has("upstream_cluster") || has("authority"))
    {
        return Some(HostFormat::Envoy);
    }
    // A shipper's envelope (Fluent Bit, Vector, Filebeat) around an access-log line.
    if crate::decoders::envoy::envelope_payload(value).is_some() {
        return Some(HostFormat::Envoy);
    }
    if has("event.category")
        || has("process.command_line")
        || has("process.args")
        || has("process.executable")
        || (has("@timestamp") && (has("process") || has("file.path")))
    {
        return Some(HostFormat::Ecs);
    }
    None
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for f in HostFormat::ALL {
            assert_eq!(f.as_str().parse::<HostFormat>(), Ok(f));
        }
        assert_eq!("Istio".parse::<HostFormat>(), Ok(HostFormat::Envoy));
        assert!("yaml".parse::<HostFormat>().is_err());
    }

    #[test]
    fn sniffs_each_format_and_leaves_audit_alone() {
        let cases: [(&[u8], Option<HostFormat>); 9] = [
            (
                b"\n type=EXECVE msg=audit(1.2:3): argc=1 a0=\"ls\"",
                Some(HostFormat::Auditd),
            ),
            (
                b"{\"process_exec\":{\"process\":{}},\"node_name\":\"n\"}",
                Some(HostFormat::Tetragon),
            ),
            (
                b"{\"output\":\"x\",\"priority\":\"Notice\",\"rule\":\"r\",\"output_fields\":{}}",
                Some(HostFormat::Falco),
            ),
            (
                b"Aug  9 10:42:47 h sysmon: <Event><System><EventID>1</EventID></System></Event>",
                Some(HostFormat::Sysmon),
            ),
            (
                b"{\"@timestamp\":\"t\",\"event\":{\"category\":[\"process\"]}}",
                Some(HostFormat::Ecs),
            ),
            (
                b"{\"method\":\"GET\",\"response_code\":200,\"path\":\"/\"}",
                Some(HostFormat::Envoy),
            ),
            (
                b"[2024-01-01T00:00:00.000Z] \"GET / HTTP/1.1\" 200 - 0 1 2 1 \"-\" \"curl\" \"id\" \"a\" \"1.2.3.4:80\"",
                Some(HostFormat::Envoy),
            ),
            (b"{\"auditID\":\"x\",\"verb\":\"get\"}", None),
            (b"hello world", None),
        ];
        for (input, want) in cases {
            assert_eq!(sniff(input), want, "{}", String::from_utf8_lossy(input));
        }
    }
}
