//! Where a host record came from, and what went wrong with one that could not be decoded.
//!
//! Like the audit decoder, decoding never stops at a bad record: each problem becomes a
//! [`HostDecodeError`] naming the source, the 1-based line, the field (when one is to blame)
//! and a short stable [`HostErrorCode`].

use std::fmt;
use std::sync::Arc;

/// The position of a record: the input's display name and the 1-based line where the record
/// starts (0: the whole source).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HostLocation {
    /// The input's display name (`-` for standard input).
    pub source: Arc<str>,
    /// 1-based line of the record's first byte (0 = the whole source).
    pub line: u64,
}

impl HostLocation {
    /// A location in `source` at `line`.
    pub fn new(source: impl Into<Arc<str>>, line: u64) -> Self {
        Self {
            source: source.into(),
            line,
        }
    }
}

impl fmt::Display for HostLocation {
    /// `file:line`, the form alert evidence uses (`file` alone for line 0).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.source)
        } else {
            write!(f, "{}:{}", self.source, self.line)
        }
    }
}

/// The stable classification of a host decoding problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HostErrorCode {
    /// Not valid JSON.
    InvalidJson,
    /// Sysmon `<Event>` XML that could not be read.
    InvalidXml,
    /// A line that is none of the formats (or not the forced one).
    UnknownFormat,
    /// A record of the format, but missing a field every event needs.
    MissingField,
    /// A field with the wrong type or an unreadable value (bad number, bad hex).
    InvalidField,
    /// A line longer than the maximum; skipped unread.
    LineTooLong,
    /// An auditd event whose records were incomplete (e.g. an argument chunk missing).
    IncompleteRecord,
    /// The source could not be read.
    Io,
}

impl HostErrorCode {
    /// Every code, in a stable order.
    pub const ALL: [HostErrorCode; 8] = [
        HostErrorCode::InvalidJson,
        HostErrorCode::InvalidXml,
        HostErrorCode::UnknownFormat,
        HostErrorCode::MissingField,
        HostErrorCode::InvalidField,
        HostErrorCode::LineTooLong,
        HostErrorCode::IncompleteRecord,
        HostErrorCode::Io,
    ];

    /// The short snake_case code, stable across releases.
    pub fn as_str(self) -> &'static str {
        match self {
            HostErrorCode::InvalidJson => "invalid_json",
            HostErrorCode::InvalidXml => "invalid_xml",
            HostErrorCode::UnknownFormat => "unknown_format",
            HostErrorCode::MissingField => "missing_field",
            HostErrorCode::InvalidField => "invalid_field",
            HostErrorCode::LineTooLong => "line_too_long",
            HostErrorCode::IncompleteRecord => "incomplete_record",
            HostErrorCode::Io => "io",
        }
    }
}

impl fmt::Display for HostErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One host record (or source) that could not be decoded. Reading continues after it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {code}{}: {message}", field.as_ref().map(|f| format!(" at `{f}`")).unwrap_or_default())]
pub struct HostDecodeError {
    /// Where the bad record starts.
    pub location: HostLocation,
    /// What kind of problem it is.
    pub code: HostErrorCode,
    /// The field to blame, when one is.
    pub field: Option<String>,
    /// A short human explanation.
    pub message: String,
}

impl HostDecodeError {
    /// A new error without a field.
    pub fn new(location: HostLocation, code: HostErrorCode, message: impl Into<String>) -> Self {
        Self {
            location,
            code,
            field: None,
            message: message.into(),
        }
    }

    /// The same error, blaming `field`.
    pub fn with_field(mut self, field: impl Into<String>) -> Self {
        let field = field.into();
        self.field = (!field.is_empty()).then_some(field);
        self
    }
}

/// A decoder's complaint about one record, before the reader adds the location.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RecordError {
    pub code: HostErrorCode,
    pub field: Option<String>,
    pub message: String,
}

impl RecordError {
    pub fn new(code: HostErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            field: None,
            message: message.into(),
        }
    }

    pub fn field(code: HostErrorCode, field: &str, message: impl Into<String>) -> Self {
        Self {
            code,
            field: Some(field.to_string()),
            message: message.into(),
        }
    }

    pub fn at(self, location: HostLocation) -> HostDecodeError {
        HostDecodeError {
            location,
            code: self.code,
            field: self.field,
            message: self.message,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_line_field_and_code() {
        let err = HostDecodeError::new(
            HostLocation::new("exec.log", 7),
            HostErrorCode::InvalidField,
            "not hex",
        )
        .with_field("a1");
        assert_eq!(
            err.to_string(),
            "exec.log:7: invalid_field at `a1`: not hex"
        );
        let whole = HostDecodeError::new(HostLocation::new("x", 0), HostErrorCode::Io, "gone");
        assert_eq!(whole.to_string(), "x: io: gone");
    }

    #[test]
    fn codes_are_distinct_and_snake_case() {
        let mut names: Vec<&str> = HostErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert!(
            names
                .iter()
                .all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        );
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), HostErrorCode::ALL.len());
    }
}
