//! Counters for the run summary: lines and bytes read, events decoded, events counted by verb
//! without being parsed, and records skipped by error code. Blocks are counted separately and
//! merged, so the counters work the same on one thread or many.

use crate::error::ErrorCode;
use std::collections::BTreeMap;

/// What decoding saw. Merge per-block values with [`DecodeStats::merge`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DecodeStats {
    /// Decompressed bytes read.
    pub bytes: u64,
    /// Lines read (including blank and skipped ones).
    pub lines: u64,
    /// Blank lines (ignored).
    pub blank_lines: u64,
    /// Events fully decoded into [`jobwarden_model::AuditEvent`]s.
    pub events_decoded: u64,
    /// Events counted (and their verb read) without parsing, because the prefilter ruled them
    /// out; they look like well-formed one-line objects (lines, or elements of a list).
    pub events_prefiltered: u64,
    /// Events (decoded or prefiltered) by verb; `""` when an event has no verb.
    pub events_by_verb: BTreeMap<String, u64>,
    /// Records or sources skipped, by error code.
    pub skipped: BTreeMap<ErrorCode, u64>,
}

impl DecodeStats {
    /// All events seen: decoded plus prefiltered.
    pub fn events(&self) -> u64 {
        self.events_decoded + self.events_prefiltered
    }

    /// All skipped records, whatever the reason.
    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }

    /// Add `other`'s counts to these.
    pub fn merge(&mut self, other: &DecodeStats) {
        self.bytes += other.bytes;
        self.lines += other.lines;
        self.blank_lines += other.blank_lines;
        self.events_decoded += other.events_decoded;
        self.events_prefiltered += other.events_prefiltered;
        for (verb, n) in &other.events_by_verb {
            self.count_verb(verb, *n);
        }
        for (code, n) in &other.skipped {
            *self.skipped.entry(*code).or_default() += n;
        }
    }

    /// Count `n` events with `verb` (no allocation when the verb was seen before).
    pub(crate) fn count_verb(&mut self, verb: &str, n: u64) {
        if let Some(count) = self.events_by_verb.get_mut(verb) {
            *count += n;
        } else {
            self.events_by_verb.insert(verb.to_string(), n);
        }
    }

    /// Count one skipped record.
    pub(crate) fn count_skip(&mut self, code: ErrorCode) {
        *self.skipped.entry(code).or_default() += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn merge_adds_everything() {
        let mut a = DecodeStats {
            lines: 2,
            events_decoded: 1,
            ..Default::default()
        };
        a.count_verb("get", 1);
        a.count_skip(ErrorCode::InvalidJson);
        let mut b = DecodeStats {
            lines: 3,
            events_prefiltered: 2,
            bytes: 10,
            ..Default::default()
        };
        b.count_verb("get", 2);
        b.count_verb("list", 1);
        b.count_skip(ErrorCode::InvalidJson);
        a.merge(&b);
        assert_eq!(a.lines, 5);
        assert_eq!(a.events(), 3);
        assert_eq!(a.events_by_verb.get("get"), Some(&3));
        assert_eq!(a.events_by_verb.get("list"), Some(&1));
        assert_eq!(a.skipped_total(), 2);
        assert_eq!(a.bytes, 10);
    }
}
