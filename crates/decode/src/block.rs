//! Decoding one [`Block`]: the unit of parallel work.
//!
//! Lines go through the prefilter first. A line the prefilter rules out is still counted, and if
//! it looks like a well-formed one-line object (`{` ... `}` with a scannable verb) its verb is
//! counted without parsing; anything else is parsed in full so that bad input gets a precise
//! error. Candidate lines and every multi-line document are decoded fully.

use crate::error::{DecodeError, ErrorCode};
use crate::prefilter::{raw_verb, scan_verb_given};
use crate::record::{RecordError, RecordText, Sink, decode_record};
use crate::source::{Block, BlockContent, DocumentItem, OversizedLine};
use crate::stats::DecodeStats;
use crate::{DecodeOptions, DecodedEvent};

/// What one block produced: events and errors (each in line order) and counters.
#[derive(Debug, Default)]
pub struct BlockOutput {
    /// Decoded events, in input order.
    pub events: Vec<DecodedEvent>,
    /// Records that could not be decoded, in input order.
    pub errors: Vec<DecodeError>,
    /// Counters for the summary.
    pub stats: DecodeStats,
}

impl BlockOutput {
    /// Events and errors interleaved in input order (by line; at equal lines, errors follow).
    pub fn into_ordered(self) -> impl Iterator<Item = Result<DecodedEvent, DecodeError>> {
        let mut events = self.events.into_iter().peekable();
        let mut errors = self.errors.into_iter().peekable();
        std::iter::from_fn(move || match (events.peek(), errors.peek()) {
            (Some(ev), Some(err)) if err.location.line < ev.location.line => errors.next().map(Err),
            (Some(_), _) => events.next().map(Ok),
            (None, _) => errors.next().map(Err),
        })
    }
}

/// Decode one block. Pure and thread-safe: blocks of one source may be decoded concurrently and
/// their outputs concatenated in block order.
pub fn decode_block(block: &Block, opts: &DecodeOptions) -> BlockOutput {
    let mut sink = Sink::new(&block.source, block.format, &opts.prefilter);
    sink.stats.lines = block.line_count.unwrap_or(0);
    sink.stats.bytes = block.byte_count;
    match &block.content {
        BlockContent::Lines(data) => decode_lines(&mut sink, block, data, opts),
        BlockContent::Documents(items) => {
            for item in items {
                match item {
                    DocumentItem::Record { line, bytes } => {
                        if bytes.trim_ascii().is_empty() {
                            continue;
                        }
                        decode_record(&mut sink, RecordText { bytes, line: *line });
                    }
                    DocumentItem::Error(err) => sink.push_error(err.clone()),
                }
            }
        }
    }
    for err in &block.trailing_errors {
        sink.push_error(err.clone());
    }
    sink.into_output()
}

/// Decode `bytes` as exactly one JSON record named `name` (an event, an `EventList`, a
/// wrapper), without the line and document framing a file needs: for bodies that arrive whole,
/// such as an audit webhook's `EventList`. Errors are reported at line 1 of `name`, or at the
/// line inside `bytes` where the JSON breaks.
pub fn decode_document(name: &str, bytes: &[u8], opts: &DecodeOptions) -> BlockOutput {
    let source: std::sync::Arc<str> = name.into();
    let mut sink = Sink::new(&source, opts.format, &opts.prefilter);
    sink.stats.bytes = bytes.len() as u64;
    sink.stats.lines = (memchr::memchr_iter(b'\n', bytes).count() + 1) as u64;
    decode_record(&mut sink, RecordText { bytes, line: 1 });
    sink.into_output()
}

fn oversized_error(note: &OversizedLine, limit: usize) -> RecordError {
    RecordError::new(
        ErrorCode::LineTooLong,
        format!(
            "line of {} bytes is longer than the limit of {limit} bytes; skipped",
            note.bytes
        ),
    )
}

fn decode_lines(sink: &mut Sink<'_>, block: &Block, data: &[u8], opts: &DecodeOptions) {
    let mut oversized = block.oversized.iter().peekable();
    let mut line_no = block.first_line;
    let mut start = 0usize;
    let mut handle = |sink: &mut Sink<'_>, line: &[u8], line_no: u64| {
        if let Some(note) = oversized.next_if(|note| note.line == line_no) {
            sink.error(line_no, oversized_error(note, opts.max_line_bytes));
            return;
        }
        decode_line(sink, line, line_no, opts);
    };
    for newline in memchr::memchr_iter(b'\n', data) {
        handle(sink, data.get(start..newline).unwrap_or_default(), line_no);
        line_no += 1;
        start = newline + 1;
    }
    if start < data.len() {
        handle(sink, data.get(start..).unwrap_or_default(), line_no);
        line_no += 1;
    }
    if block.line_count.is_none() {
        sink.stats.lines = line_no - block.first_line;
    }
    // Notes whose placeholder is not in the data (the source ended inside the long line).
    for note in oversized {
        sink.error(note.line, oversized_error(note, opts.max_line_bytes));
    }
}

/// Decode (or just count) one line.
fn decode_line(sink: &mut Sink<'_>, line: &[u8], line_no: u64, opts: &DecodeOptions) {
    let line = line.trim_ascii();
    let line = line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line);
    let line = strip_timestamp_prefix(line);
    if line.is_empty() {
        sink.stats.blank_lines += 1;
        return;
    }
    if line.len() > opts.max_line_bytes {
        let note = OversizedLine {
            line: line_no,
            bytes: line.len() as u64,
        };
        sink.error(line_no, oversized_error(&note, opts.max_line_bytes));
        return;
    }
    // The verb is read once, for the prefilter's choice of needles and for the count.
    let raw_verb = raw_verb(line);
    let verdict = opts.prefilter.verdict_for(line, raw_verb);
    if !verdict.candidate
        && line.first() == Some(&b'{')
        && line.last() == Some(&b'}')
        && let Some(verb) = scan_verb_given(line, raw_verb.map(|v| v.value))
    {
        sink.stats.events_prefiltered += 1;
        sink.count_verb(verb);
        return;
    }
    // A line parsed although no needle asked for it (for a precise error) is unknown ground.
    sink.rules_may_match = verdict.rules || !verdict.candidate;
    decode_record(
        sink,
        RecordText {
            bytes: line,
            line: line_no,
        },
    );
    sink.rules_may_match = true;
}

/// Drop a leading timestamp token (`2023-12-07T14:44:53.358Z {...}`, as CloudWatch Logs exports
/// to S3 write each event) so the JSON after it is read like any other line.
fn strip_timestamp_prefix(line: &[u8]) -> &[u8] {
    if !line.first().is_some_and(u8::is_ascii_digit) {
        return line;
    }
    let token_len = line
        .iter()
        .take(64)
        .take_while(|b| b.is_ascii_digit() || b"-:.TZ+".contains(b))
        .count();
    match line.get(token_len..) {
        Some(rest) if rest.first().is_some_and(|b| *b == b' ' || *b == b'\t') => {
            let json = rest.trim_ascii_start();
            if json.first() == Some(&b'{') {
                json
            } else {
                line
            }
        }
        _ => line,
    }
}

#[cfg(test)]
mod tests {
    use super::strip_timestamp_prefix;

    #[test]
    fn timestamp_prefixes_are_dropped_only_before_json() {
        assert_eq!(
            strip_timestamp_prefix(b"2023-12-07T14:44:53.358Z {\"a\":1}"),
            b"{\"a\":1}"
        );
        assert_eq!(strip_timestamp_prefix(b"1701960293358\t{}"), b"{}");
        assert_eq!(
            strip_timestamp_prefix(b"2023-12-07 text"),
            b"2023-12-07 text"
        );
        assert_eq!(strip_timestamp_prefix(b"{\"a\":1}"), b"{\"a\":1}");
        assert_eq!(strip_timestamp_prefix(b"12345"), b"12345");
    }
}
