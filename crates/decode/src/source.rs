//! Sources (files, directories, standard input, in-memory bytes) and their framing into
//! [`Block`]s: large runs of complete lines (or of complete multi-line JSON documents) that can
//! be decoded independently, on any thread, and merged back in order.
//!
//! Gzip is recognised by its magic bytes, never by extension. Input is read in large blocks and
//! cut at the last newline, so no line is ever copied into its own allocation. A line longer than
//! the limit is skipped without being buffered and leaves an empty placeholder line (plus an
//! [`OversizedLine`] note) so that line numbers stay exact. A truncated gzip stream ends the
//! source with an error naming the last complete line; everything before it is kept.

use crate::DecodeOptions;
use crate::error::{DecodeError, ErrorCode, RecordLocation};
use crate::format::{Framing, InputFormat, sniff_framing};
use std::fs::File;
use std::io::{self, Cursor, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// How many bytes are read at least to choose a source's framing (more when the first line is
/// longer, up to the line limit).
const SNIFF_BYTES: usize = 64 * 1024;

/// Where the bytes of a source come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceKind {
    /// Standard input (`-`).
    Stdin,
    /// A file (a directory is expanded by [`expand_sources`] first).
    Path(PathBuf),
    /// Bytes already in memory (an audit webhook body, a test).
    Memory(Arc<[u8]>),
}

/// One input, with the name used in locations and messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Source {
    kind: SourceKind,
    name: Arc<str>,
}

impl Source {
    /// The source named by a command-line argument: `-` is standard input, anything else a path
    /// (displayed exactly as given).
    pub fn from_arg(arg: &str) -> Self {
        if arg == "-" {
            Self::stdin()
        } else {
            Self {
                kind: SourceKind::Path(PathBuf::from(arg)),
                name: Arc::from(arg),
            }
        }
    }

    /// Standard input, displayed as `-`.
    pub fn stdin() -> Self {
        Self {
            kind: SourceKind::Stdin,
            name: Arc::from("-"),
        }
    }

    /// A file, displayed as its path.
    pub fn path(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let name = Arc::from(path.to_string_lossy().as_ref());
        Self {
            kind: SourceKind::Path(path),
            name,
        }
    }

    /// In-memory bytes, displayed as `name`.
    pub fn memory(name: &str, bytes: impl Into<Arc<[u8]>>) -> Self {
        Self {
            kind: SourceKind::Memory(bytes.into()),
            name: Arc::from(name),
        }
    }

    /// The display name used in every location.
    pub fn name(&self) -> &Arc<str> {
        &self.name
    }

    /// Where the bytes come from.
    pub fn kind(&self) -> &SourceKind {
        &self.kind
    }
}

/// Replace directories by the files under them (recursively, sorted by name so runs are
/// deterministic); files, standard input and memory sources pass through. Directory symlinks are
/// not followed (no loops). Unreadable paths become errors in their place.
pub fn expand_sources(inputs: &[Source]) -> Vec<Result<Source, DecodeError>> {
    let mut out = Vec::new();
    for input in inputs {
        match &input.kind {
            SourceKind::Path(path) if path.is_dir() => walk_dir(path, &mut out),
            _ => out.push(Ok(input.clone())),
        }
    }
    out
}

fn walk_dir(dir: &Path, out: &mut Vec<Result<Source, DecodeError>>) {
    let io_error = |path: &Path, err: io::Error| {
        DecodeError::new(
            RecordLocation::new(Arc::from(path.to_string_lossy().as_ref()), 0),
            ErrorCode::Io,
            format!("cannot read directory: {err}"),
        )
    };
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(err) => {
            out.push(Err(io_error(dir, err)));
            return;
        }
    };
    let mut paths = Vec::new();
    for entry in entries {
        match entry {
            Ok(entry) => paths.push(entry.path()),
            Err(err) => out.push(Err(io_error(dir, err))),
        }
    }
    paths.sort();
    for path in paths {
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_dir() => walk_dir(&path, out),
            Ok(meta) if meta.file_type().is_symlink() && path.is_dir() => {}
            Ok(_) => out.push(Ok(Source::path(path))),
            Err(err) => out.push(Err(io_error(&path, err))),
        }
    }
}

/// A line that was too long to keep: it is an empty placeholder line in the block's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OversizedLine {
    /// 1-based line number.
    pub line: u64,
    /// Its length in bytes (without the newline).
    pub bytes: u64,
}

/// One piece of a document-framed source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentItem {
    /// A complete top-level JSON value (or the incomplete rest of the input) and its first line.
    Record {
        /// 1-based line of the value's first byte.
        line: u64,
        /// The value's bytes.
        bytes: Vec<u8>,
    },
    /// Something between values that could not be kept (stray text, a value over the size limit).
    Error(DecodeError),
}

/// What a block holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BlockContent {
    /// Complete lines (the last one may lack its newline at the end of the source).
    Lines(Vec<u8>),
    /// Complete JSON documents, in order.
    Documents(Vec<DocumentItem>),
}

/// A run of input that decodes independently of the rest of its source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// The source's display name.
    pub source: Arc<str>,
    /// The record shape to decode with (the forced format, or `Auto`).
    pub format: InputFormat,
    /// The 1-based number of the block's first line.
    pub first_line: u64,
    /// How many lines the block covers; `None` when the reader left the count to the
    /// decoder (see [`SourceBlocks::count_lines_in_decoder`]).
    pub line_count: Option<u64>,
    /// How many (decompressed) bytes the block covers.
    pub byte_count: u64,
    /// The data.
    pub content: BlockContent,
    /// Lines of a `Lines` block that were too long and replaced by empty placeholders.
    pub oversized: Vec<OversizedLine>,
    /// Errors that end the block (a truncated gzip stream, a read error).
    pub trailing_errors: Vec<DecodeError>,
    /// Where a `Lines` block's buffer goes back when the block is dropped.
    recycle: Recycler,
}

impl Drop for Block {
    fn drop(&mut self) {
        if let (Some(pool), BlockContent::Lines(buf)) = (&self.recycle.0, &mut self.content) {
            pool.give(std::mem::take(buf));
        }
    }
}

/// The buffers of decoded `Lines` blocks, reused for the next blocks read. A fresh
/// block-sized allocation per block is fresh memory every time (glibc maps allocations that
/// large anew), and every page of it faults on first touch: measured at several percent of
/// `hunt`'s time.
#[derive(Debug, Default)]
struct BufferPool {
    free: Mutex<Vec<Vec<u8>>>,
}

/// Buffers kept at most: the blocks in flight are bounded by the decoding threads.
const POOL_BUFFERS: usize = 4;

impl BufferPool {
    /// An empty buffer, reused when one is free.
    fn take(&self) -> Vec<u8> {
        self.free
            .lock()
            .ok()
            .and_then(|mut free| free.pop())
            .unwrap_or_default()
    }

    fn give(&self, mut buf: Vec<u8>) {
        buf.clear();
        if let Ok(mut free) = self.free.lock()
            && free.len() < POOL_BUFFERS
        {
            free.push(buf);
        }
    }
}

/// A block's way back to its pool; not part of what a block is (clones and comparisons
/// ignore it).
#[derive(Debug, Default)]
struct Recycler(Option<Arc<BufferPool>>);

impl Clone for Recycler {
    fn clone(&self) -> Self {
        Recycler(None)
    }
}

impl PartialEq for Recycler {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Recycler {}

/// A reader that first replays bytes already consumed (for sniffing), then an error met while
/// consuming them (if any), then the rest of the stream.
struct Replay<R> {
    prefix: Cursor<Vec<u8>>,
    error: Option<io::Error>,
    rest: R,
}

impl<R: Read> Read for Replay<R> {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.prefix.read(out)?;
        if n > 0 || out.is_empty() {
            return Ok(n);
        }
        if let Some(err) = self.error.take() {
            return Err(err);
        }
        self.rest.read(out)
    }
}

/// Read up to `limit` bytes, stopping early once the first non-blank line is complete (when
/// `first_line_only`); keeps what was read before an error and returns the error apart.
fn read_prefix(
    input: &mut dyn Read,
    limit: usize,
    first_line_only: bool,
) -> (Vec<u8>, Option<io::Error>) {
    let mut prefix = Vec::new();
    let mut chunk = [0u8; 8192];
    // Only the new bytes are examined each round, so a long first line costs linear time.
    let mut seen_text = false;
    while prefix.len() < limit {
        let want = chunk.len().min(limit - prefix.len());
        let got = match input.read(chunk.get_mut(..want).unwrap_or_default()) {
            Ok(0) => break,
            Ok(n) => chunk.get(..n).unwrap_or_default(),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            Err(err) => return (prefix, Some(err)),
        };
        prefix.extend_from_slice(got);
        if first_line_only {
            let rest = if seen_text {
                got
            } else {
                match got.iter().position(|b| !b.is_ascii_whitespace()) {
                    Some(at) => {
                        seen_text = true;
                        got.get(at..).unwrap_or_default()
                    }
                    None => continue,
                }
            };
            if memchr::memchr(b'\n', rest).is_some() {
                break;
            }
        }
    }
    (prefix, None)
}

/// True when the prefix holds a complete first non-blank line.
fn has_first_line(prefix: &[u8]) -> bool {
    match prefix.iter().position(|b| !b.is_ascii_whitespace()) {
        Some(start) => memchr::memchr(b'\n', prefix.get(start..).unwrap_or_default()).is_some(),
        None => false,
    }
}

/// The blocks of one source, in order. Obtain with [`SourceBlocks::open`]; iterate for blocks,
/// decode each with [`crate::decode_block`].
pub struct SourceBlocks {
    name: Arc<str>,
    format: InputFormat,
    framing: Framing,
    gzip: bool,
    input: Box<dyn Read + Send>,
    block_bytes: usize,
    max_line_bytes: usize,
    max_record_bytes: usize,
    next_line: u64,
    /// Lines framing: count each block's lines before handing it out (else the consumer
    /// reports them, see [`SourceBlocks::count_lines_in_decoder`]).
    count_lines: bool,
    done: bool,
    /// Lines framing: bytes read but not yet handed out (a partial last line).
    carry: Vec<u8>,
    /// Lines framing: buffers of blocks already decoded.
    pool: Arc<BufferPool>,
    /// Lines framing: the oversized line being skipped (its line, bytes so far).
    skipping: Option<OversizedLine>,
    /// Documents framing state.
    doc: DocScanner,
}

impl std::fmt::Debug for SourceBlocks {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SourceBlocks")
            .field("name", &self.name)
            .field("framing", &self.framing)
            .field("gzip", &self.gzip)
            .field("next_line", &self.next_line)
            .finish_non_exhaustive()
    }
}

impl SourceBlocks {
    /// Open a source: detect gzip by magic bytes and sniff the framing.
    pub fn open(source: &Source, opts: &DecodeOptions) -> Result<Self, DecodeError> {
        let name = source.name.clone();
        let mut raw: Box<dyn Read + Send> = match &source.kind {
            SourceKind::Stdin => Box::new(io::stdin()),
            SourceKind::Path(path) => match File::open(path) {
                Ok(file) => Box::new(file),
                Err(err) => {
                    return Err(DecodeError::new(
                        RecordLocation::new(name, 0),
                        ErrorCode::Io,
                        format!("cannot open: {err}"),
                    ));
                }
            },
            SourceKind::Memory(bytes) => Box::new(Cursor::new(bytes.clone())),
        };
        let (magic, magic_error) = read_prefix(raw.as_mut(), 2, false);
        let gzip = magic.as_slice() == [0x1f, 0x8b];
        let raw = Replay {
            prefix: Cursor::new(magic),
            error: magic_error,
            rest: raw,
        };
        let mut input: Box<dyn Read + Send> = if gzip {
            Box::new(flate2::read::MultiGzDecoder::new(raw))
        } else {
            Box::new(raw)
        };
        // Read the whole first line (up to the line limit) so a long first event is not
        // mistaken for the start of a multi-line document.
        let sniff_limit = opts.max_line_bytes.saturating_add(1).max(SNIFF_BYTES);
        let (prefix, sniff_error) = read_prefix(input.as_mut(), sniff_limit, true);
        let without_bom = prefix.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&prefix);
        let first_line_too_long = prefix.len() >= sniff_limit && !has_first_line(&prefix);
        let framing = if first_line_too_long && opts.format != InputFormat::EventList {
            Framing::Lines
        } else {
            sniff_framing(without_bom, opts.format)
        };
        // A plain file is reopened instead of replaying the sniffed prefix: `File` reads into
        // uninitialised buffers, while a wrapper `Read` makes every block be zeroed first.
        let reopened: Option<Box<dyn Read + Send>> = match (&source.kind, gzip, &sniff_error) {
            (SourceKind::Path(path), false, None) => File::open(path)
                .ok()
                .map(|f| Box::new(f) as Box<dyn Read + Send>),
            _ => None,
        };
        let input: Box<dyn Read + Send> = match reopened {
            Some(file) => file,
            None => Box::new(Replay {
                prefix: Cursor::new(prefix),
                error: sniff_error,
                rest: input,
            }),
        };
        Ok(Self {
            name,
            format: opts.format,
            framing,
            gzip,
            input,
            block_bytes: opts.block_bytes.max(1),
            max_line_bytes: opts.max_line_bytes.max(1),
            max_record_bytes: opts.max_record_bytes.max(1),
            next_line: 1,
            count_lines: true,
            done: false,
            carry: Vec::new(),
            pool: Arc::default(),
            skipping: None,
            doc: DocScanner::default(),
        })
    }

    /// For a consumer that decodes each block before it asks for the next (one thread): the
    /// reader does not count a `Lines` block's lines, which was a pass over every byte of its
    /// own; [`decode_block`](crate::decode_block) counts them as it splits the lines, and the
    /// consumer passes that count back with [`SourceBlocks::lines_decoded`] so that the next
    /// block is numbered from the right line.
    pub fn count_lines_in_decoder(mut self) -> Self {
        self.count_lines = false;
        self
    }

    /// The number of lines the consumer found in the block it was last given (the
    /// `stats.lines` of its [`BlockOutput`](crate::BlockOutput)); only heeded after
    /// [`SourceBlocks::count_lines_in_decoder`].
    pub fn lines_decoded(&mut self, lines: u64) {
        if !self.count_lines {
            self.next_line += lines;
        }
    }

    /// How the source is framed.
    pub fn framing(&self) -> Framing {
        self.framing
    }

    /// Whether the source is gzip-compressed.
    pub fn is_gzip(&self) -> bool {
        self.gzip
    }

    /// The source's display name.
    pub fn name(&self) -> &Arc<str> {
        &self.name
    }

    /// A read error as a [`DecodeError`] at the line where reading stopped.
    fn read_error(&self, err: &io::Error, last_good_line: u64) -> DecodeError {
        let location = RecordLocation::new(self.name.clone(), last_good_line + 1);
        let (code, message) = match (self.gzip, err.kind()) {
            (true, io::ErrorKind::UnexpectedEof) => (
                ErrorCode::TruncatedGzip,
                format!(
                    "gzip stream ends early; last complete line is {last_good_line}, the rest of the source is lost"
                ),
            ),
            (true, io::ErrorKind::InvalidInput | io::ErrorKind::InvalidData) => (
                ErrorCode::InvalidGzip,
                format!("corrupt gzip data after line {last_good_line}: {err}"),
            ),
            _ => (
                ErrorCode::Io,
                format!("read error after line {last_good_line}: {err}"),
            ),
        };
        DecodeError::new(location, code, message)
    }

    /// Append up to `want` more bytes to `buf`; returns whether the input is exhausted and the
    /// error that ended it, if any.
    fn fill(input: &mut dyn Read, buf: &mut Vec<u8>, want: usize) -> (bool, Option<io::Error>) {
        // Reserve first so the read lands in place instead of growing the buffer by doubling.
        buf.reserve(want);
        match input.take(want as u64).read_to_end(buf) {
            Ok(n) => (n < want, None),
            Err(err) => (true, Some(err)),
        }
    }

    fn make_block(
        &self,
        first_line: u64,
        line_count: Option<u64>,
        byte_count: u64,
        content: BlockContent,
    ) -> Block {
        let recycle =
            Recycler(matches!(content, BlockContent::Lines(_)).then(|| Arc::clone(&self.pool)));
        Block {
            source: self.name.clone(),
            format: self.format,
            first_line,
            line_count,
            byte_count,
            content,
            oversized: Vec::new(),
            trailing_errors: Vec::new(),
            recycle,
        }
    }

    fn next_lines_block(&mut self) -> Option<Block> {
        let mut oversized = Vec::new();
        let mut want = self.block_bytes;
        loop {
            let mut buf = self.pool.take();
            buf.append(&mut self.carry);
            let before = buf.len();
            let (eof, error) = Self::fill(
                self.input.as_mut(),
                &mut buf,
                want.saturating_sub(before).max(1),
            );
            if let Some(skip) = self.skipping.as_mut() {
                // Discard the rest of an oversized line; leave an empty placeholder line.
                match memchr::memchr(b'\n', &buf) {
                    Some(pos) => {
                        skip.bytes += pos as u64;
                        oversized.push(*skip);
                        self.skipping = None;
                        buf.drain(..pos);
                    }
                    None => {
                        skip.bytes += buf.len() as u64;
                        buf.clear();
                        if !eof {
                            continue;
                        }
                        oversized.push(*skip);
                        self.skipping = None;
                        if error.is_none() {
                            buf.push(b'\n');
                        }
                    }
                }
            }
            if eof {
                self.done = true;
                let mut trailing = Vec::new();
                if let Some(err) = error {
                    // The incomplete last line is part of the damage: keep complete lines only.
                    let keep = memchr::memrchr(b'\n', &buf).map_or(0, |pos| pos + 1);
                    buf.truncate(keep);
                    let complete = memchr::memchr_iter(b'\n', &buf).count() as u64;
                    trailing.push(self.read_error(&err, self.next_line + complete - 1));
                }
                if buf.is_empty() && trailing.is_empty() && oversized.is_empty() {
                    return None;
                }
                let lines = self.count_lines.then(|| {
                    let newlines = memchr::memchr_iter(b'\n', &buf).count() as u64;
                    newlines + u64::from(buf.last().is_some_and(|&b| b != b'\n'))
                });
                let mut block = self.make_block(
                    self.next_line,
                    lines,
                    buf.len() as u64,
                    BlockContent::Lines(buf),
                );
                block.oversized = oversized;
                block.trailing_errors = trailing;
                self.next_line += lines.unwrap_or(0);
                return Some(block);
            }
            match memchr::memrchr(b'\n', &buf) {
                Some(pos) => {
                    self.carry
                        .extend_from_slice(buf.get(pos + 1..).unwrap_or_default());
                    buf.truncate(pos + 1);
                    let lines = self
                        .count_lines
                        .then(|| memchr::memchr_iter(b'\n', &buf).count() as u64);
                    let mut block = self.make_block(
                        self.next_line,
                        lines,
                        buf.len() as u64,
                        BlockContent::Lines(buf),
                    );
                    block.oversized = oversized;
                    self.next_line += lines.unwrap_or(0);
                    return Some(block);
                }
                None if buf.len() > self.max_line_bytes => {
                    self.skipping = Some(OversizedLine {
                        line: self.next_line,
                        bytes: buf.len() as u64,
                    });
                    want = self.block_bytes;
                }
                None => {
                    // One line longer than a block: read on until it ends (bounded by the limit).
                    want = buf.len() + self.block_bytes;
                    self.carry = buf;
                }
            }
        }
    }

    fn next_documents_block(&mut self) -> Option<Block> {
        let first_line = self.next_line;
        let mut items = Vec::new();
        let mut item_bytes = 0usize;
        let mut newlines = 0u64;
        let mut bytes = 0u64;
        let mut chunk = Vec::with_capacity(self.block_bytes.min(1 << 20));
        let mut trailing = Vec::new();
        while !self.done && item_bytes < self.block_bytes {
            chunk.clear();
            let (eof, error) = Self::fill(
                self.input.as_mut(),
                &mut chunk,
                self.block_bytes.min(1 << 20),
            );
            bytes += chunk.len() as u64;
            for &b in &chunk {
                if let Some(item) = self.doc.push(b, self.max_record_bytes, &self.name) {
                    if let DocumentItem::Record { bytes, .. } = &item {
                        item_bytes += bytes.len();
                    }
                    items.push(item);
                }
            }
            newlines += memchr::memchr_iter(b'\n', &chunk).count() as u64;
            if eof {
                self.done = true;
                match error {
                    Some(err) => {
                        // Drop the value the damage cut short; report where it started.
                        let last_good = self
                            .doc
                            .abandon()
                            .unwrap_or(self.doc.line)
                            .saturating_sub(1);
                        trailing.push(self.read_error(&err, last_good));
                    }
                    None => items.extend(self.doc.finish(self.max_record_bytes, &self.name)),
                }
                if chunk.last().is_some_and(|&b| b != b'\n') {
                    newlines += 1;
                }
            }
        }
        if items.is_empty() && trailing.is_empty() && newlines == 0 {
            return None;
        }
        let mut block = self.make_block(
            first_line,
            Some(newlines),
            bytes,
            BlockContent::Documents(items),
        );
        block.trailing_errors = trailing;
        self.next_line += newlines;
        Some(block)
    }
}

impl Iterator for SourceBlocks {
    type Item = Block;

    fn next(&mut self) -> Option<Block> {
        if self.done {
            return None;
        }
        match self.framing {
            Framing::Lines => self.next_lines_block(),
            Framing::Documents => self.next_documents_block(),
        }
    }
}

/// Finds top-level JSON values in a byte stream without parsing them: tracks nesting depth and
/// strings only, so it is linear and cannot overflow the stack whatever the nesting.
#[derive(Debug)]
struct DocScanner {
    /// 1-based line of the next byte.
    line: u64,
    depth: u64,
    in_string: bool,
    escaped: bool,
    /// Line where the current value started, when inside one.
    start: Option<u64>,
    buf: Vec<u8>,
    too_large: bool,
    /// Line of the last stray text reported (one report per line).
    stray_line: u64,
}

impl Default for DocScanner {
    fn default() -> Self {
        Self {
            line: 1,
            depth: 0,
            in_string: false,
            escaped: false,
            start: None,
            buf: Vec::new(),
            too_large: false,
            stray_line: 0,
        }
    }
}

impl DocScanner {
    fn push(&mut self, b: u8, max_record: usize, source: &Arc<str>) -> Option<DocumentItem> {
        let line = self.line;
        if b == b'\n' {
            self.line += 1;
        }
        let Some(start) = self.start else {
            return match b {
                b'{' | b'[' => {
                    self.start = Some(line);
                    self.depth = 1;
                    self.buf.clear();
                    self.buf.push(b);
                    self.too_large = false;
                    None
                }
                // Whitespace and a UTF-8 byte-order mark between values are fine.
                b' ' | b'\t' | b'\r' | b'\n' | 0xEF | 0xBB | 0xBF => None,
                // So is a comma between concatenated values (`{...},{...}`).
                b',' => None,
                _ if self.stray_line == line => None,
                _ => {
                    self.stray_line = line;
                    Some(DocumentItem::Error(DecodeError::new(
                        RecordLocation::new(source.clone(), line),
                        ErrorCode::InvalidJson,
                        "text outside a JSON object or array",
                    )))
                }
            };
        };
        if !self.too_large {
            self.buf.push(b);
            if self.buf.len() > max_record {
                self.too_large = true;
                self.buf = Vec::new();
            }
        }
        if self.in_string {
            if self.escaped {
                self.escaped = false;
            } else if b == b'\\' {
                self.escaped = true;
            } else if b == b'"' {
                self.in_string = false;
            }
            return None;
        }
        match b {
            b'"' => self.in_string = true,
            b'{' | b'[' => self.depth += 1,
            b'}' | b']' => self.depth = self.depth.saturating_sub(1),
            _ => {}
        }
        if self.depth > 0 {
            return None;
        }
        self.start = None;
        if self.too_large {
            Some(DocumentItem::Error(DecodeError::new(
                RecordLocation::new(source.clone(), start),
                ErrorCode::RecordTooLarge,
                format!("JSON document larger than the limit of {max_record} bytes"),
            )))
        } else {
            Some(DocumentItem::Record {
                line: start,
                bytes: std::mem::take(&mut self.buf),
            })
        }
    }

    /// At the end of input: an unfinished value is handed over as is (its parse error says
    /// what is missing).
    fn finish(&mut self, max_record: usize, source: &Arc<str>) -> Option<DocumentItem> {
        let start = self.start.take()?;
        if self.too_large {
            return Some(DocumentItem::Error(DecodeError::new(
                RecordLocation::new(source.clone(), start),
                ErrorCode::RecordTooLarge,
                format!("unterminated JSON document larger than the limit of {max_record} bytes"),
            )));
        }
        Some(DocumentItem::Record {
            line: start,
            bytes: std::mem::take(&mut self.buf),
        })
    }

    /// Drop an unfinished value; returns the line where it started.
    fn abandon(&mut self) -> Option<u64> {
        self.buf = Vec::new();
        self.start.take()
    }
}
