//! The streaming reader: bytes from a file or standard input in, host records out, each with
//! the source and 1-based line it started on. The format is sniffed from the first
//! recognisable line unless forced. Bad records become [`HostDecodeError`]s and reading goes on.

use crate::decoders::{self, auditd::AuditdAssembler};
use crate::error::{HostDecodeError, HostErrorCode, HostLocation, RecordError};
use crate::event::HostRecord;
use crate::format::{HostFormat, sniff, sniff_line};
use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read};
use std::sync::Arc;

/// The default longest line kept (longer ones are skipped with `line_too_long`).
pub const DEFAULT_MAX_LINE_BYTES: usize = 4 << 20;

/// One item of a [`HostReader`]: a record and where it starts, or a problem.
pub type HostItem = Result<(HostRecord, HostLocation), HostDecodeError>;

/// Counters for the summary.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReaderStats {
    /// Lines read.
    pub lines: u64,
    /// Records produced.
    pub records: u64,
    /// Problems reported.
    pub errors: u64,
    /// Well-formed records that carry nothing for the rules (process exits, other Sysmon
    /// event IDs, network events, auditd events that are neither exec nor file creation).
    pub ignored: u64,
}

/// Reads host records from any [`Read`]: see the module docs.
pub struct HostReader<R: Read> {
    input: BufReader<R>,
    source: Arc<str>,
    format: Option<HostFormat>,
    line_no: u64,
    pending: VecDeque<HostItem>,
    auditd: AuditdAssembler,
    sysmon_buf: Option<(u64, String)>,
    max_line_bytes: usize,
    default_host: Option<String>,
    started: bool,
    done: bool,
    stats: ReaderStats,
}

impl<R: Read> std::fmt::Debug for HostReader<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostReader")
            .field("source", &self.source)
            .field("format", &self.format)
            .field("line", &self.line_no)
            .field("stats", &self.stats)
            .finish_non_exhaustive()
    }
}

impl<R: Read> HostReader<R> {
    /// A reader of `input`, named `source` in locations (`-` for standard input). With
    /// `format` `None` the format is sniffed.
    pub fn new(input: R, source: impl Into<Arc<str>>, format: Option<HostFormat>) -> Self {
        Self {
            input: BufReader::with_capacity(64 * 1024, input),
            source: source.into(),
            format,
            line_no: 0,
            pending: VecDeque::new(),
            auditd: AuditdAssembler::new(),
            sysmon_buf: None,
            max_line_bytes: DEFAULT_MAX_LINE_BYTES,
            default_host: None,
            started: false,
            done: false,
            stats: ReaderStats::default(),
        }
    }

    /// Change the longest line kept.
    pub fn with_max_line_bytes(mut self, max: usize) -> Self {
        self.max_line_bytes = max.max(1);
        self
    }

    /// Name records that carry no host (auditd without `node=`, Sysmon without `Computer`)
    /// after `host`, e.g. the machine a log file was collected from.
    pub fn with_default_host(mut self, host: impl Into<String>) -> Self {
        self.default_host = Some(host.into());
        self
    }

    /// The format in use (sniffed or forced); `None` until a line was recognised.
    pub fn format(&self) -> Option<HostFormat> {
        self.format
    }

    /// Counters so far (complete once the iterator is exhausted).
    pub fn stats(&self) -> ReaderStats {
        self.stats
    }

    fn location(&self, line: u64) -> HostLocation {
        HostLocation::new(self.source.clone(), line)
    }

    fn error(&mut self, line: u64, err: RecordError) {
        self.stats.errors += 1;
        let loc = self.location(line);
        self.pending.push_back(Err(err.at(loc)));
    }

    fn emit(&mut self, line: u64, result: Result<Vec<HostRecord>, RecordError>) {
        match result {
            Ok(records) if records.is_empty() => self.stats.ignored += 1,
            Ok(records) => {
                for mut r in records {
                    if let Some(default) = &self.default_host {
                        let slot = match &mut r {
                            HostRecord::Process(p) => Some(&mut p.host),
                            HostRecord::File(f) => Some(&mut f.host),
                            HostRecord::Container(c) => Some(&mut c.host),
                            HostRecord::Proxy(_) => None,
                        };
                        if let Some(slot @ None) = slot {
                            *slot = Some(default.clone());
                        }
                    }
                    self.stats.records += 1;
                    let loc = self.location(line);
                    self.pending.push_back(Ok((r, loc)));
                }
            }
            Err(e) => self.error(line, e),
        }
    }

    /// Read one line (without its end), capped: `Ok(None)` at the end, `Ok(Some(None))` for a
    /// line over the limit (skipped unread).
    fn read_line(&mut self) -> std::io::Result<Option<Option<Vec<u8>>>> {
        let mut line = Vec::new();
        let mut too_long = false;
        let mut any = false;
        loop {
            let buf = match self.input.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            if buf.is_empty() {
                break;
            }
            any = true;
            let (chunk, found) = match buf.iter().position(|b| *b == b'\n') {
                Some(i) => (&buf[..i], Some(i)),
                None => (buf, None),
            };
            if !too_long {
                if line.len() + chunk.len() > self.max_line_bytes {
                    too_long = true;
                    line = Vec::new();
                } else {
                    line.extend_from_slice(chunk);
                }
            }
            let used = found.map_or(buf.len(), |i| i + 1);
            self.input.consume(used);
            if found.is_some() {
                break;
            }
        }
        if !any {
            return Ok(None);
        }
        if too_long {
            return Ok(Some(None));
        }
        if line.last() == Some(&b'\r') {
            line.pop();
        }
        Ok(Some(Some(line)))
    }

    fn start(&mut self) {
        self.started = true;
        if self.format.is_none()
            && let Ok(prefix) = self.input.fill_buf()
        {
            self.format = sniff(prefix);
        }
    }

    fn process_line(&mut self, line_no: u64, bytes: &[u8]) {
        let text = String::from_utf8_lossy(bytes);
        let text = text.as_ref();
        if let Some((start, buf)) = self.sysmon_buf.as_mut() {
            buf.push('\n');
            buf.push_str(text);
            let start = *start;
            if text.contains("</Event>") {
                let whole = self.sysmon_buf.take().map(|(_, b)| b).unwrap_or_default();
                self.emit(start, decoders::sysmon::decode(&whole));
            } else if buf.len() > self.max_line_bytes {
                self.sysmon_buf = None;
                self.error(
                    start,
                    RecordError::new(
                        HostErrorCode::InvalidXml,
                        "<Event> not closed within the size limit",
                    ),
                );
            }
            return;
        }
        if text.trim().is_empty() {
            return;
        }
        if self.format.is_none() {
            self.format = sniff_line(bytes);
        }
        let Some(format) = self.format else {
            self.error(
                line_no,
                RecordError::new(
                    HostErrorCode::UnknownFormat,
                    "not a known host event format (auditd, tetragon, falco, sysmon, ecs, envoy)",
                ),
            );
            return;
        };
        match format {
            HostFormat::Auditd => {
                let mut done = Vec::new();
                self.auditd.push(line_no, text, &mut done);
                for (line, result) in done {
                    self.emit(line, result);
                }
            }
            HostFormat::Sysmon => {
                if text.contains("<Event") && !text.contains("</Event>") {
                    self.sysmon_buf = Some((line_no, text.to_string()));
                } else {
                    self.emit(line_no, decoders::sysmon::decode(text));
                }
            }
            HostFormat::Tetragon => self.emit(line_no, decoders::tetragon::decode(text)),
            HostFormat::Falco => self.emit(line_no, decoders::falco::decode(text)),
            HostFormat::Ecs => self.emit(line_no, decoders::ecs::decode(text)),
            HostFormat::Envoy => self.emit(line_no, decoders::envoy::decode(text)),
        }
    }

    fn finish(&mut self) {
        self.done = true;
        let mut done = Vec::new();
        self.auditd.finish(&mut done);
        for (line, result) in done {
            self.emit(line, result);
        }
        if let Some((start, _)) = self.sysmon_buf.take() {
            self.error(
                start,
                RecordError::new(HostErrorCode::InvalidXml, "input ended inside an <Event>"),
            );
        }
    }
}

impl<R: Read> Iterator for HostReader<R> {
    type Item = HostItem;

    fn next(&mut self) -> Option<HostItem> {
        if !self.started {
            self.start();
        }
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Some(item);
            }
            if self.done {
                return None;
            }
            match self.read_line() {
                Ok(None) => self.finish(),
                Ok(Some(line)) => {
                    self.line_no += 1;
                    self.stats.lines += 1;
                    let line_no = self.line_no;
                    match line {
                        Some(bytes) => self.process_line(line_no, &bytes),
                        None => self.error(
                            line_no,
                            RecordError::new(
                                HostErrorCode::LineTooLong,
                                format!("line longer than {} bytes skipped", self.max_line_bytes),
                            ),
                        ),
                    }
                }
                Err(e) => {
                    let line = self.line_no + 1;
                    self.error(line, RecordError::new(HostErrorCode::Io, e.to_string()));
                    self.finish();
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_reports_bad_lines_and_keeps_going() {
        let input = b"{\"process_exec\":{\"process\":{\"binary\":\"/bin/kubectl\",\"arguments\":\"get jobs\"}},\"node_name\":\"n\"}\nnot json\n\n{\"process_exit\":{}}\n{\"process_exec\":{\"process\":{\"binary\":\"/bin/ls\"}}}\n";
        let mut reader = HostReader::new(&input[..], "t.jsonl", None);
        let items: Vec<_> = reader.by_ref().collect();
        assert_eq!(reader.format(), Some(HostFormat::Tetragon));
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].as_ref().expect("ok").1.to_string(), "t.jsonl:1");
        let err = items[1].as_ref().expect_err("bad line");
        assert_eq!(
            (err.location.line, err.code),
            (2, HostErrorCode::InvalidJson)
        );
        assert_eq!(items[2].as_ref().expect("ok").1.line, 5);
        let stats = reader.stats();
        assert_eq!(
            (stats.lines, stats.records, stats.errors, stats.ignored),
            (5, 2, 1, 1)
        );
    }

    #[test]
    fn long_lines_are_skipped_with_their_number() {
        let mut input = b"type=EXECVE msg=audit(1.0:1): argc=1 a0=\"ls\"\n".to_vec();
        input.extend(std::iter::repeat_n(b'x', 500));
        input.extend(b"\ntype=EXECVE msg=audit(1.0:2): argc=1 a0=\"id\"\n");
        let items: Vec<_> = HostReader::new(&input[..], "a.log", None)
            .with_max_line_bytes(100)
            .collect();
        assert_eq!(items.len(), 3);
        assert!(items.iter().any(
            |i| matches!(i, Err(e) if e.code == HostErrorCode::LineTooLong && e.location.line == 2)
        ));
    }

    #[test]
    fn default_host_fills_only_missing_hosts() {
        let input = b"type=EXECVE msg=audit(1.0:1): argc=1 a0=\"ls\"\nnode=n2 type=EXECVE msg=audit(1.0:2): argc=1 a0=\"id\"\n";
        let hosts: Vec<Option<String>> = HostReader::new(&input[..], "a.log", None)
            .with_default_host("n1")
            .map(|i| i.expect("ok").0.host().map(str::to_string))
            .collect();
        assert_eq!(hosts, [Some("n1".to_string()), Some("n2".to_string())]);
    }

    #[test]
    fn multi_line_sysmon_xml() {
        let input = b"<Event>\n<System><EventID>1</EventID><Computer>h</Computer></System>\n<EventData><Data Name=\"CommandLine\">kubectl get cj</Data></EventData>\n</Event>\n";
        let items: Vec<_> =
            HostReader::new(&input[..], "s.xml", Some(HostFormat::Sysmon)).collect();
        assert_eq!(items.len(), 1);
        assert_eq!(items[0].as_ref().expect("ok").1.line, 1);
    }
}
