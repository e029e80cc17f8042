//! Where a record came from, and what went wrong with a record that could not be decoded.
//!
//! Decoding never stops at a bad record: each problem becomes a [`DecodeError`] naming the
//! source, the 1-based line, the field (when one is to blame) and a short stable [`ErrorCode`]
//! that summaries count by.

use std::fmt;
use std::sync::Arc;

/// The position of a record: the input as the user named it and the 1-based line where the
/// record starts. Line 0 means the problem concerns the whole source (it could not be opened).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordLocation {
    /// The input's display name, as given on the command line (`-` for standard input), or the
    /// path of a file found inside a directory that was given.
    pub source: Arc<str>,
    /// 1-based line number of the record's first byte (0 = the whole source).
    pub line: u64,
}

impl RecordLocation {
    /// A location in `source` at `line`.
    pub fn new(source: Arc<str>, line: u64) -> Self {
        Self { source, line }
    }
}

impl fmt::Display for RecordLocation {
    /// `file:line`, the form alert evidence uses (`file` alone for line 0).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.source)
        } else {
            write!(f, "{}:{}", self.source, self.line)
        }
    }
}

/// The stable classification of a decoding problem (the summary counts skipped records by it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorCode {
    /// Not valid JSON (syntax error, unexpected end, invalid UTF-8 in a string).
    InvalidJson,
    /// Valid JSON, but not an audit event or a known wrapper of one (e.g. `{"kind": 0}`).
    NotAnAuditEvent,
    /// An audit event (or wrapper) whose field has the wrong JSON type.
    WrongFieldType,
    /// JSON nested deeper than the parser's recursion limit.
    NestingTooDeep,
    /// A line longer than the configured maximum; it was skipped unread.
    LineTooLong,
    /// A multi-line JSON document (EventList, pretty-printed event) larger than the maximum.
    RecordTooLarge,
    /// A gzip stream that ends early; the complete lines before the cut were kept.
    TruncatedGzip,
    /// A gzip stream that is corrupt (bad header, bad data, checksum mismatch).
    InvalidGzip,
    /// The source could not be opened or read.
    Io,
}

impl ErrorCode {
    /// Every code, in a stable order (for summaries).
    pub const ALL: [ErrorCode; 9] = [
        ErrorCode::InvalidJson,
        ErrorCode::NotAnAuditEvent,
        ErrorCode::WrongFieldType,
        ErrorCode::NestingTooDeep,
        ErrorCode::LineTooLong,
        ErrorCode::RecordTooLarge,
        ErrorCode::TruncatedGzip,
        ErrorCode::InvalidGzip,
        ErrorCode::Io,
    ];

    /// The short snake_case code, stable across releases.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidJson => "invalid_json",
            ErrorCode::NotAnAuditEvent => "not_an_audit_event",
            ErrorCode::WrongFieldType => "wrong_field_type",
            ErrorCode::NestingTooDeep => "nesting_too_deep",
            ErrorCode::LineTooLong => "line_too_long",
            ErrorCode::RecordTooLarge => "record_too_large",
            ErrorCode::TruncatedGzip => "truncated_gzip",
            ErrorCode::InvalidGzip => "invalid_gzip",
            ErrorCode::Io => "io",
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One record (or source) that could not be decoded. Processing continues after it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {code}{}: {message}", field.as_ref().map(|f| format!(" at `{f}`")).unwrap_or_default())]
pub struct DecodeError {
    /// Where the bad record starts.
    pub location: RecordLocation,
    /// What kind of problem it is.
    pub code: ErrorCode,
    /// The JSON path of the offending field (`responseStatus.code`), when one is to blame.
    pub field: Option<String>,
    /// A short human explanation.
    pub message: String,
}

impl DecodeError {
    /// A new error without a field.
    pub fn new(location: RecordLocation, code: ErrorCode, message: impl Into<String>) -> Self {
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
        self.field = (!field.is_empty() && field != ".").then_some(field);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_file_line_field_and_code() {
        let err = DecodeError::new(
            RecordLocation::new("audit.log".into(), 7),
            ErrorCode::WrongFieldType,
            "invalid type: string, expected i64",
        )
        .with_field("responseStatus.code");
        assert_eq!(
            err.to_string(),
            "audit.log:7: wrong_field_type at `responseStatus.code`: invalid type: string, expected i64"
        );
        let whole = DecodeError::new(RecordLocation::new("x".into(), 0), ErrorCode::Io, "gone");
        assert_eq!(whole.to_string(), "x: io: gone");
    }

    #[test]
    fn codes_are_distinct_and_snake_case() {
        let mut names: Vec<&str> = ErrorCode::ALL.iter().map(|c| c.as_str()).collect();
        assert!(
            names
                .iter()
                .all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        );
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ErrorCode::ALL.len());
    }
}
