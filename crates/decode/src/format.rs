//! The input formats (`--input-format`) and how a source's framing is sniffed.

use std::fmt;
use std::str::FromStr;

/// How the records of a source are shaped.
///
/// `Auto` sniffs each source's framing (one record per line, or multi-line JSON documents) and
/// recognises each record's shape by its keys, so one file may mix raw events and wrappers.
/// Any other value forces that shape for every record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum InputFormat {
    /// Detect per source and per record.
    #[default]
    Auto,
    /// One `audit.k8s.io` `Event` per line (kind/apiVersion may be missing).
    AuditJsonl,
    /// `EventList` objects (the audit webhook body), pretty-printed or not, possibly several
    /// concatenated; also JSON arrays of events and single pretty-printed events.
    EventList,
    /// GKE Cloud Logging entries (`protoPayload` with `io.k8s.*` method names).
    Gke,
    /// AKS diagnostic records (category `kube-audit`/`kube-audit-admin`, event in `properties.log`).
    Aks,
    /// EKS CloudWatch exports (event JSON inside `message`, or `logEvents` batches).
    Eks,
}

impl InputFormat {
    /// Every value, in `--help` order.
    pub const ALL: [InputFormat; 6] = [
        InputFormat::Auto,
        InputFormat::AuditJsonl,
        InputFormat::EventList,
        InputFormat::Gke,
        InputFormat::Aks,
        InputFormat::Eks,
    ];

    /// The name accepted by `--input-format`.
    pub fn as_str(self) -> &'static str {
        match self {
            InputFormat::Auto => "auto",
            InputFormat::AuditJsonl => "audit-jsonl",
            InputFormat::EventList => "event-list",
            InputFormat::Gke => "gke",
            InputFormat::Aks => "aks",
            InputFormat::Eks => "eks",
        }
    }
}

impl fmt::Display for InputFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An `--input-format` value that is not one of [`InputFormat::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "unknown input format `{0}` (expected one of: auto, audit-jsonl, event-list, gke, aks, eks)"
)]
pub struct UnknownFormat(pub String);

impl FromStr for InputFormat {
    type Err = UnknownFormat;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let wanted = s.trim().to_ascii_lowercase().replace('_', "-");
        let alias = match wanted.as_str() {
            "jsonl" | "audit" | "json-lines" => "audit-jsonl",
            "eventlist" => "event-list",
            other => other,
        };
        InputFormat::ALL
            .into_iter()
            .find(|f| f.as_str() == alias)
            .ok_or_else(|| UnknownFormat(s.to_string()))
    }
}

/// How a source's bytes are cut into records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framing {
    /// One JSON record per line (the fast path: prefiltered, parallel by block).
    Lines,
    /// Multi-line JSON documents: pretty-printed objects, arrays, concatenated values.
    Documents,
}

/// Choose the framing of a source from its first bytes (as many as are at hand; a prefix that
/// ends mid-line is judged on what it has).
///
/// One record per line when the first non-blank line is a whole JSON object (`{` ... `}`) or is
/// not JSON at all (each line will then be reported); documents when it opens an array or an
/// object that does not close on that line. A forced `event-list` is always read as documents
/// and a forced `audit-jsonl` always as lines.
pub fn sniff_framing(prefix: &[u8], forced: InputFormat) -> Framing {
    match forced {
        InputFormat::EventList => return Framing::Documents,
        InputFormat::AuditJsonl => return Framing::Lines,
        _ => {}
    }
    let Some(start) = prefix.iter().position(|b| !b.is_ascii_whitespace()) else {
        return Framing::Lines;
    };
    let rest = prefix.get(start..).unwrap_or_default();
    let line_end = memchr::memchr(b'\n', rest).unwrap_or(rest.len());
    let first_line = rest.get(..line_end).unwrap_or_default().trim_ascii();
    match first_line.first() {
        Some(b'[') => Framing::Documents,
        Some(b'{') if first_line.last() == Some(&b'}') => Framing::Lines,
        Some(b'{') => Framing::Documents,
        _ => Framing::Lines,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_name_and_some_aliases() {
        for format in InputFormat::ALL {
            assert_eq!(format.as_str().parse::<InputFormat>(), Ok(format));
        }
        assert_eq!("JSONL".parse::<InputFormat>(), Ok(InputFormat::AuditJsonl));
        assert_eq!(
            "event_list".parse::<InputFormat>(),
            Ok(InputFormat::EventList)
        );
        assert!("yaml".parse::<InputFormat>().is_err());
    }

    #[test]
    fn framing_follows_the_first_line() {
        assert_eq!(
            sniff_framing(b"\n\n{\"a\":1}\n{", InputFormat::Auto),
            Framing::Lines
        );
        assert_eq!(
            sniff_framing(b"  {\n \"kind\": \"EventList\"", InputFormat::Auto),
            Framing::Documents
        );
        assert_eq!(
            sniff_framing(b"[{\"a\":1}]", InputFormat::Auto),
            Framing::Documents
        );
        assert_eq!(sniff_framing(b"garbage", InputFormat::Auto), Framing::Lines);
        assert_eq!(sniff_framing(b"", InputFormat::Auto), Framing::Lines);
        assert_eq!(
            sniff_framing(b"{\"a\":1}", InputFormat::EventList),
            Framing::Documents
        );
        assert_eq!(
            sniff_framing(b"{\n", InputFormat::AuditJsonl),
            Framing::Lines
        );
        assert_eq!(
            sniff_framing(b"{\r\n", InputFormat::Gke),
            Framing::Documents
        );
    }
}
