//! The byte-level prefilter: decide from raw bytes whether a line can matter to the detection
//! pack, so that only candidate lines are parsed; and the cheap verb scan used to count the
//! others by verb without parsing them.
//!
//! A line is a candidate when it contains one of the configured literal needles, or a
//! `\uXXXX` JSON escape that decodes to an ASCII letter or digit, or when it holds several
//! events whose verbs must all be counted: an `EventList`, or a batch wrapper that opens with
//! its list (`{"records":[`, `{"events":[`, `{"logEvents":[`, `{"messageType":...`). The escape
//! and batch checks are always on: a producer could hide a needle behind escapes (Go's encoder
//! only escapes `<`, `>`, `&` and control characters, so real logs rarely trigger it).
//!
//! The needles run in one SIMD pass (Teddy); escapes are found by their backslash in a separate
//! `memchr` pass, because a needle as short as `\u` ruins Teddy's selectivity (measured 5-6x
//! slower, `shared/research/perf-anchors.md` §4.3) and Go writes `\u0026` in most query strings.
//!
//! Rule requirements (Sigma) are also compiled once per verb: most name the verbs they need
//! (`"verb":"create"`), and a line's verb is cheap to read, so a `get` line is scanned only for
//! the needles of the rules that can match a `get`.
//! Batch wrappers are recognised by their first key rather than by needles such as
//! `"records"`, whose first bytes are common in audit JSON and would slow the SIMD scan down.

use aho_corasick::{AhoCorasick, Input, MatchKind};
use memchr::memmem::Finder;
use std::sync::{Arc, LazyLock};

/// The needles of the batch detection pack. Every request the pack judges names the resource
/// `jobs` or `cronjobs` (`objectRef.resource`, the request URI, GKE method and resource names,
/// the escaped JSON inside AKS/EKS wrappers). The job-controller's Pod creates name neither, but
/// name their creator (user and user agent): `job-controller` lets the incident correlation
/// follow a Job to its Pods.
pub const BATCH_NEEDLES: [&str; 2] = ["jobs", "job-controller"];

/// Needles that mark lines holding several events; always candidates so every event in them is
/// counted.
const STRUCTURAL_NEEDLES: [&str; 1] = ["EventList\""];

/// First keys of batch wrappers (AKS Event Hub `records`, `aws logs filter-log-events`
/// `events`, CloudWatch subscription payloads).
const BATCH_FIRST_KEYS: [&[u8]; 5] = [
    b"\"records\"",
    b"\"events\"",
    b"\"logEvents\"",
    b"\"messageType\"",
    b"\"logGroup\"",
];

/// True when a one-line record opens with a batch wrapper's list key.
fn opens_as_batch(line: &[u8]) -> bool {
    let Some(rest) = line.strip_prefix(b"{") else {
        return false;
    };
    let rest = rest.trim_ascii_start();
    // Most lines open with `"kind"` or `"apiVersion"`: one byte rules them out before the
    // key compares (five `memcmp` calls a line were 2-3% of a run).
    let first = rest.get(1).copied();
    BATCH_FIRST_KEYS
        .iter()
        .any(|key| key.get(1).copied() == first && rest.starts_with(key))
}

/// Decides which lines are worth a full parse. Cheap to clone (the automaton is shared).
#[derive(Debug, Clone)]
pub struct Prefilter {
    /// `None` when every line is a candidate.
    matcher: Option<PlainMatcher>,
    /// Rule requirements (see [`Prefilter::with_requirements`]); when set, `matcher` is unused.
    requirements: Option<Arc<Requirements>>,
    /// Match the needles (all lowercase) against an ASCII-lowercased copy of the line: a
    /// case-sensitive SIMD scan of a copy is several times faster than a case-insensitive
    /// automaton (`shared/research/perf-anchors.md` §4.3).
    lowercase_line: bool,
    needles: Vec<String>,
}

/// A needle list the prefilter cannot use.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PrefilterError {
    /// An empty needle would match every line; use [`Prefilter::parse_everything`] instead.
    #[error("empty prefilter needle (use parse-everything instead)")]
    EmptyNeedle,
    /// The automaton could not be built.
    #[error("cannot build the prefilter: {0}")]
    Build(String),
}

/// What the prefilter says of a line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Verdict {
    /// The line must be parsed.
    pub candidate: bool,
    /// A rule compiled into the prefilter (see [`Prefilter::with_requirements`]) may match an
    /// event of the line. False when the line is a candidate only for the plain needles (the
    /// built-in pack's): the rules need not look at its events. Prefilters without
    /// requirements say nothing more than `candidate`.
    pub rules: bool,
}

impl Verdict {
    const YES: Verdict = Verdict {
        candidate: true,
        rules: true,
    };
}

impl Prefilter {
    /// A prefilter that passes lines containing any of `needles` (byte-exact, case-sensitive).
    pub fn new<I, S>(needles: I) -> Result<Self, PrefilterError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let needles: Vec<String> = needles
            .into_iter()
            .map(|n| n.as_ref().to_string())
            .collect();
        if needles.iter().any(String::is_empty) {
            return Err(PrefilterError::EmptyNeedle);
        }
        let matcher = PlainMatcher::new(&needles, STRUCTURAL_NEEDLES[0])?;
        Ok(Self {
            matcher: Some(matcher),
            requirements: None,
            lowercase_line: false,
            needles,
        })
    }

    /// Like [`Prefilter::new`], but needles match regardless of ASCII case: what Sigma rules
    /// (case-insensitive by default) need. Slower than the case-sensitive scan (Teddy cannot
    /// run case-insensitively), so it is used only when such rules are loaded.
    pub fn new_ascii_case_insensitive<I, S>(needles: I) -> Result<Self, PrefilterError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let needles: Vec<String> = needles
            .into_iter()
            .map(|n| n.as_ref().to_string())
            .collect();
        if needles.iter().any(String::is_empty) {
            return Err(PrefilterError::EmptyNeedle);
        }
        let lowered: Vec<String> = needles.iter().map(|n| n.to_ascii_lowercase()).collect();
        let matcher = PlainMatcher::new(&lowered, &STRUCTURAL_NEEDLES[0].to_ascii_lowercase())?;
        Ok(Self {
            matcher: Some(matcher),
            requirements: None,
            lowercase_line: true,
            needles,
        })
    }

    /// A prefilter for rules with requirements (Sigma), matched regardless of ASCII case: a
    /// line is a candidate when it holds one of `plain` or `always`, or every clause (one
    /// needle of each) of one of `requirements`, whose first clause is the anchor. A line
    /// that is a candidate only by a `plain` needle has [`Verdict::rules`] false: the rules
    /// need not see its events (`plain` are the built-in pack's needles, `always` those of
    /// wrappers whose fields the rules see under other names).
    ///
    /// One SIMD pass looks for `always` and the anchors; only at an anchor's hit are that
    /// requirement's other clauses checked (memmem), so a rule whose anchor is common costs
    /// little and lets through only the lines holding all its clauses.
    ///
    /// A needle with key context (`"verb":"create"`: a quoted key, `:`, the value) matches
    /// with any JSON whitespace around the `:`, so spaced and pretty-printed JSON is covered
    /// too; it is scanned for by its value, whose first bytes are rarer in audit JSON than a
    /// key's (by its key when the value is under three bytes), and the rest is checked at a hit.
    ///
    /// Lines where needle matching could miss what a rule compares are always candidates:
    /// JSON escapes of a character the needles use (`\u0041`, `\/`), and the two non-ASCII
    /// characters that lowercase to ASCII (`İ`, the Kelvin sign), raw or escaped.
    pub fn with_requirements<S: AsRef<str>>(
        plain: &[S],
        always: &[S],
        requirements: &[Vec<Vec<String>>],
    ) -> Result<Self, PrefilterError> {
        let (plain_given, always_given) = (plain, always);
        let plain: Vec<String> = plain
            .iter()
            .map(|n| n.as_ref().to_ascii_lowercase())
            .collect();
        let mut always: Vec<String> = always
            .iter()
            .map(|n| n.as_ref().to_ascii_lowercase())
            .collect();
        always.extend(STRUCTURAL_NEEDLES.iter().map(|n| n.to_ascii_lowercase()));
        let lowered: Vec<Vec<Vec<String>>> = requirements
            .iter()
            .map(|r| {
                r.iter()
                    .map(|c| c.iter().map(|n| n.to_ascii_lowercase()).collect())
                    .collect()
            })
            .collect();
        let every = plain
            .iter()
            .chain(&always)
            .chain(lowered.iter().flatten().flatten());
        if every.clone().any(String::is_empty) {
            return Err(PrefilterError::EmptyNeedle);
        }
        let mut relevant = [false; 128];
        for b in every.flat_map(|n| n.bytes()) {
            for c in [b, b.to_ascii_uppercase()] {
                if let Some(slot) = relevant.get_mut(usize::from(c)) {
                    *slot = true;
                }
            }
        }
        let needles_of = Needles {
            plain: &plain,
            always: &always,
        };
        // As given, for searches over raw lines: the wrappers and batch framing these mark
        // are recognised by their exact spelling, and the built-in pack's needles are
        // case-sensitive without Sigma rules too.
        let plain_as_given: Vec<String> =
            plain_given.iter().map(|n| n.as_ref().to_string()).collect();
        let mut always_as_given: Vec<String> = always_given
            .iter()
            .map(|n| n.as_ref().to_string())
            .collect();
        always_as_given.extend(STRUCTURAL_NEEDLES.iter().map(|n| n.to_string()));
        let raw_needles = Needles {
            plain: &plain_as_given,
            always: &always_as_given,
        };
        let full = Searcher::new(needles_of, &lowered, false)?;
        let by_verb = VerbDispatch::new(needles_of, raw_needles, &lowered)?;
        let mut needles = always;
        needles.extend(plain.iter().cloned());
        needles.extend(lowered.iter().filter_map(|r| r.first()).flatten().cloned());
        needles.sort();
        needles.dedup();
        Ok(Self {
            matcher: None,
            requirements: Some(Arc::new(Requirements {
                full,
                by_verb,
                slash_escapes_matter: relevant.get(usize::from(b'/')) == Some(&true),
                relevant,
            })),
            lowercase_line: true,
            needles,
        })
    }

    /// The prefilter for the built-in batch (CronJob/Job) detection pack.
    pub fn batch() -> Self {
        // The needles are constants known to be valid; fall back to parsing everything rather
        // than panicking should the automaton ever refuse them.
        Self::new(BATCH_NEEDLES).unwrap_or_else(|_| Self::parse_everything())
    }

    /// A prefilter that passes every line (every record is parsed).
    pub fn parse_everything() -> Self {
        Self {
            matcher: None,
            requirements: None,
            lowercase_line: false,
            needles: Vec::new(),
        }
    }

    /// True when every line is parsed.
    pub fn parses_everything(&self) -> bool {
        self.matcher.is_none() && self.requirements.is_none()
    }

    /// The configured needles (without the built-in structural ones).
    pub fn needles(&self) -> &[String] {
        &self.needles
    }

    /// Whether `line` must be parsed.
    pub fn is_candidate(&self, line: &[u8]) -> bool {
        self.verdict(line).candidate
    }

    /// Whether `line` must be parsed, and whether the rules compiled into the prefilter may
    /// match its events.
    pub fn verdict(&self, line: &[u8]) -> Verdict {
        self.verdict_for(line, None)
    }

    /// [`Prefilter::verdict`] for a line whose verb the caller has read already:
    /// `raw_verb` is [`raw_verb`] of `line` (`None` makes the prefilter look for it).
    pub fn verdict_for(&self, line: &[u8], raw_verb: Option<RawVerb<'_>>) -> Verdict {
        if let Some(req) = &self.requirements {
            // Whether the verb read is the event's own is judged once, on the raw line (its
            // lowercased copy has the same braces).
            let event_verb = raw_verb.filter(|v| v.is_event_verb(line));
            let found = match req.verdict_on_raw(line, event_verb) {
                Some(found) => found,
                None => with_lowercased(line, |lowered| req.verdict(lowered, raw_verb, event_verb)),
            };
            if found.rules {
                return found;
            }
            // Lines whose needles could hide, and batches whose items are judged one by one.
            let unsure = opens_as_batch(line) || req.has_unsafe_text(line);
            return Verdict {
                candidate: found.candidate || unsure,
                rules: unsure,
            };
        }
        let candidate = match &self.matcher {
            None => true,
            Some(matcher) => {
                let needle_found = if self.lowercase_line {
                    with_lowercased(line, |lowered| matcher.is_match(lowered))
                } else {
                    matcher.is_match(line)
                };
                needle_found || opens_as_batch(line) || has_alphanumeric_escape(line)
            }
        };
        Verdict {
            candidate,
            rules: candidate,
        }
    }
}

impl Default for Prefilter {
    fn default() -> Self {
        Self::batch()
    }
}

/// JSON whitespace.
fn is_json_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\r' | b'\n')
}

/// A needle, split as `"key":` + value when it carries key context, so that it matches with
/// whitespace around the `:`.
#[derive(Debug)]
struct KeyedNeedle {
    /// The needle as given.
    text: String,
    /// `"key"` (with its quotes), when the needle starts with one followed by `:`.
    key: Option<Vec<u8>>,
    /// What follows the `:` (the whole needle without a key).
    value: Vec<u8>,
    /// Look for the key, not the value (the value is under three bytes).
    by_key: bool,
    /// The half looked for: the key or the value.
    half: Vec<u8>,
    /// Where in `half` the scanned part starts (its rarest three bytes).
    window: usize,
    /// Finds the scanned part.
    finder: Finder<'static>,
}

/// Typical kube-apiserver audit lines (Metadata-level reads and writes by nodes, controllers
/// and people), lowercased: the text the first pass runs over most.
static AUDIT_SAMPLE: LazyLock<Vec<u8>> = LazyLock::new(|| {
    include_str!("audit_sample.jsonl")
        .to_ascii_lowercase()
        .into_bytes()
});

/// Where to start scanning `text` so that the scan stops rarely in typical audit JSON: the
/// SIMD scan verifies every place where a pattern's first three bytes occur (common ones such
/// as `"ev` or `kub` slow it down) and stops the scan at every place where the whole pattern
/// does (costlier, weighted four times). At least three bytes are left to scan.
///
/// Remembered per text: a needle is compiled into the full set and into the searcher of every
/// verb that may need it, and counting over the sample was most of the startup time
/// (12.8 ms for the 16 SigmaHQ rules before, measured with `perf stat` on an empty log).
fn rarest_window(text: &[u8]) -> usize {
    thread_local! {
        static CHOSEN: std::cell::RefCell<std::collections::HashMap<Vec<u8>, usize>> =
            std::cell::RefCell::default();
    }
    if let Some(found) = CHOSEN.with(|memo| memo.borrow().get(text).copied()) {
        return found;
    }
    let sample = AUDIT_SAMPLE.as_slice();
    let count = |part: &[u8]| memchr::memmem::find_iter(sample, part).count();
    let chosen = (0..=text.len().saturating_sub(3))
        .min_by_key(|&i| {
            let suffix = text.get(i..).unwrap_or(text);
            let window = text.get(i..i + 3).unwrap_or(text);
            (4 * count(suffix) + count(window), i)
        })
        .unwrap_or(0);
    CHOSEN.with(|memo| memo.borrow_mut().insert(text.to_vec(), chosen));
    chosen
}

impl KeyedNeedle {
    fn new(text: &str) -> KeyedNeedle {
        let bytes = text.as_bytes();
        // `"key":`: a quote, key characters without quotes or backslashes, `":`.
        let split = bytes
            .strip_prefix(b"\"")
            .and_then(|rest| memchr::memchr(b'"', rest))
            .map(|i| i + 2)
            .filter(|&end| bytes.get(end) == Some(&b':') && end + 1 < bytes.len())
            .filter(|&end| !bytes.get(1..end - 1).unwrap_or_default().contains(&b'\\'));
        let (key, value) = match split {
            Some(end) => (
                bytes.get(..end).map(<[u8]>::to_vec),
                bytes.get(end + 1..).unwrap_or_default().to_vec(),
            ),
            None => (None, bytes.to_vec()),
        };
        let by_key = key.is_some() && value.len() < 3;
        let half = match (&key, by_key) {
            (Some(k), true) => k.as_slice(),
            _ => value.as_slice(),
        };
        let window = rarest_window(half);
        let finder = Finder::new(half.get(window..).unwrap_or(half)).into_owned();
        KeyedNeedle {
            text: text.to_string(),
            half: half.to_vec(),
            window,
            key,
            value,
            by_key,
            finder,
        }
    }

    /// The part the first pass scans for.
    fn scanned(&self) -> &[u8] {
        self.finder.needle()
    }

    /// Does the needle occur with its scanned part at `pos`?
    fn at(&self, hay: &[u8], pos: usize) -> bool {
        let Some(pos) = pos.checked_sub(self.window) else {
            return false;
        };
        if !hay
            .get(pos..)
            .is_some_and(|rest| rest.starts_with(&self.half))
        {
            return false;
        }
        let Some(key) = &self.key else {
            return true;
        };
        if self.by_key {
            // key, spaces, `:`, spaces, value
            let mut j = pos + key.len();
            while hay.get(j).copied().is_some_and(is_json_space) {
                j += 1;
            }
            if hay.get(j) != Some(&b':') {
                return false;
            }
            j += 1;
            while hay.get(j).copied().is_some_and(is_json_space) {
                j += 1;
            }
            hay.get(j..).is_some_and(|r| r.starts_with(&self.value))
        } else {
            // value preceded by key, spaces, `:`, spaces
            let mut j = pos;
            while j > 0 && hay.get(j - 1).copied().is_some_and(is_json_space) {
                j -= 1;
            }
            if j == 0 || hay.get(j - 1) != Some(&b':') {
                return false;
            }
            j -= 1;
            while j > 0 && hay.get(j - 1).copied().is_some_and(is_json_space) {
                j -= 1;
            }
            // Either case: the same on a lowercased line, and right on a raw one.
            j.checked_sub(key.len())
                .and_then(|start| hay.get(start..j))
                .is_some_and(|before| before.eq_ignore_ascii_case(key))
        }
    }

    /// The needle matches the same on a raw line as on its lowercased copy: the part scanned
    /// and checked byte for byte (the value) holds no ASCII letter, and the key, if any, is
    /// compared in either case.
    fn reads_the_same_raw(&self) -> bool {
        !self.by_key && !self.half.iter().any(u8::is_ascii_alphabetic)
    }

    /// Does the needle occur anywhere in `hay`?
    fn found(&self, hay: &[u8]) -> bool {
        self.finder.find_iter(hay).any(|pos| self.at(hay, pos))
    }
}

/// One needle of the first pass.
#[derive(Debug)]
struct Scan {
    needle: KeyedNeedle,
    /// A hit alone makes a candidate, for the rules too.
    always: bool,
    /// A hit alone makes a candidate, for the built-in pack only.
    plain: bool,
    /// Requirements anchored on this needle.
    anchors: Vec<usize>,
}

/// A first pass: leftmost-first, so a search from a position finds the next place where a
/// pattern starts.
#[derive(Debug, Clone)]
enum FirstPass {
    Packed(aho_corasick::packed::Searcher),
    Automaton(AhoCorasick),
    /// No patterns: nothing is ever found.
    Nothing,
}

impl FirstPass {
    /// Teddy (SIMD) when the CPU has it: the automaton's own choice of prefilter ranks bytes by
    /// their frequency in general text, and a backslash, quote or `j`, rare there, is
    /// everywhere in JSON.
    fn new(patterns: &[Vec<u8>]) -> Result<FirstPass, PrefilterError> {
        if patterns.is_empty() {
            return Ok(FirstPass::Nothing);
        }
        let packed = aho_corasick::packed::Config::new()
            .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(patterns)
            .build();
        Ok(match packed {
            Some(searcher) => FirstPass::Packed(searcher),
            None => FirstPass::Automaton(
                AhoCorasick::builder()
                    .match_kind(MatchKind::LeftmostFirst)
                    .build(patterns)
                    .map_err(|e| PrefilterError::Build(e.to_string()))?,
            ),
        })
    }

    /// The next pattern at or after `at`: its start and id.
    fn find(&self, hay: &[u8], at: usize) -> Option<(usize, usize)> {
        match self {
            FirstPass::Packed(searcher) => searcher
                .find_in(hay, aho_corasick::Span::from(at..hay.len()))
                .map(|m| (m.start(), m.pattern().as_usize())),
            FirstPass::Automaton(ac) => ac
                .find(Input::new(hay).span(at..hay.len()))
                .map(|m| (m.start(), m.pattern().as_usize())),
            FirstPass::Nothing => None,
        }
    }
}

/// Plain needles (any one makes a candidate) and the structural needle, in one first pass.
#[derive(Debug, Clone)]
struct PlainMatcher {
    first: FirstPass,
    /// Patterns `0..needles` are the needles; the last one is the structural needle's tail.
    needles: usize,
    /// The structural needle, and where its scanned tail starts in it.
    structural: Vec<u8>,
    structural_tail: usize,
}

impl PlainMatcher {
    /// `structural` is scanned for by its tail: its head (`Event`) starts every audit line.
    fn new(needles: &[String], structural: &str) -> Result<PlainMatcher, PrefilterError> {
        let structural = structural.as_bytes().to_vec();
        let structural_tail = structural.len().saturating_sub(6);
        let mut patterns: Vec<Vec<u8>> = needles.iter().map(|n| n.as_bytes().to_vec()).collect();
        patterns.push(
            structural
                .get(structural_tail..)
                .unwrap_or_default()
                .to_vec(),
        );
        Ok(PlainMatcher {
            first: FirstPass::new(&patterns)?,
            needles: needles.len(),
            structural,
            structural_tail,
        })
    }

    /// Does `hay` hold a needle or the structural needle?
    fn is_match(&self, hay: &[u8]) -> bool {
        let mut at = 0;
        while let Some((pos, pattern)) = self.first.find(hay, at) {
            if pattern < self.needles {
                return true;
            }
            if pos
                .checked_sub(self.structural_tail)
                .and_then(|start| hay.get(start..))
                .is_some_and(|rest| rest.starts_with(&self.structural))
            {
                return true;
            }
            at = pos + 1;
        }
        false
    }
}

/// One compiled set of always-needles and requirements: a first pass over the always-needles
/// and the requirements' anchors, and at each anchor's hit that requirement's other clauses.
#[derive(Debug)]
struct Searcher {
    first: FirstPass,
    /// Per pattern of `first`: the scans that may start where it does.
    by_pattern: Vec<Vec<usize>>,
    scans: Vec<Scan>,
    /// Per requirement: its clauses after the anchor, each any of its needles.
    rest: Vec<Vec<Vec<KeyedNeedle>>>,
    /// `"verb"` is one of the patterns, so that every verb key of a line is seen.
    verb_check: bool,
}

impl Searcher {
    /// Compile `always` (lowercase needles) and `requirements` (lowercase clauses, anchor
    /// first, each requirement with at least one clause). With `verb_check`, the first pass
    /// also stops at every `"verb"` (see [`Searcher::is_met_for_verb`]).
    fn new(
        needles: Needles<'_>,
        requirements: &[Vec<Vec<String>>],
        verb_check: bool,
    ) -> Result<Searcher, PrefilterError> {
        // Every distinct needle once, with what a hit means.
        let mut scans: Vec<Scan> = Vec::new();
        let mut add = |needle: &str, role: Role| {
            let at = match scans.iter().position(|s| s.needle.text == needle) {
                Some(at) => at,
                None => {
                    scans.push(Scan {
                        needle: KeyedNeedle::new(needle),
                        always: false,
                        plain: false,
                        anchors: Vec::new(),
                    });
                    scans.len() - 1
                }
            };
            if let Some(scan) = scans.get_mut(at) {
                match role {
                    Role::Plain => scan.plain = true,
                    Role::Always => scan.always = true,
                    Role::Anchor(r) => scan.anchors.push(r),
                }
            }
        };
        for n in needles.plain {
            add(n, Role::Plain);
        }
        for n in needles.always {
            add(n, Role::Always);
        }
        for (r, clauses) in requirements.iter().enumerate() {
            for n in clauses.first().into_iter().flatten() {
                add(n, Role::Anchor(r));
            }
        }
        let mut patterns: Vec<Vec<u8>> = Vec::new();
        let mut pattern_of = Vec::with_capacity(scans.len());
        for scan in &scans {
            let part = scan.needle.scanned().to_vec();
            let id = patterns.iter().position(|p| *p == part).unwrap_or_else(|| {
                patterns.push(part);
                patterns.len() - 1
            });
            pattern_of.push(id);
        }
        if verb_check && !patterns.iter().any(|p| p.as_slice() == VERB_KEY) {
            patterns.push(VERB_KEY.to_vec());
        }
        // A hit of one pattern may hide another starting at the same place: one is a prefix
        // of the other. Both are checked there.
        let by_pattern: Vec<Vec<usize>> = patterns
            .iter()
            .map(|p| {
                (0..scans.len())
                    .filter(|&i| {
                        pattern_of
                            .get(i)
                            .and_then(|&q| patterns.get(q))
                            .is_some_and(|q| q.starts_with(p) || p.starts_with(q))
                    })
                    .collect()
            })
            .collect();
        let rest = requirements
            .iter()
            .map(|clauses| {
                clauses
                    .iter()
                    .skip(1)
                    .map(|c| c.iter().map(|n| KeyedNeedle::new(n)).collect())
                    .collect()
            })
            .collect();
        Ok(Searcher {
            first: FirstPass::new(&patterns)?,
            by_pattern,
            scans,
            rest,
            verb_check,
        })
    }

    /// The verdict on a lowercased line: an always-needle or all clauses of a requirement
    /// make it a candidate for the rules, a plain needle for the built-in pack only.
    fn verdict(&self, hay: &[u8]) -> Verdict {
        self.search(hay, None).unwrap_or(Verdict::YES)
    }

    /// Like [`Searcher::verdict`] for a searcher compiled for lines whose verb is `verb` (with
    /// `verb_check`): `None` when the line has a `"verb"` key not followed by `:"<verb>"`.
    fn verdict_for_verb(&self, hay: &[u8], verb: &[u8]) -> Option<Verdict> {
        self.search(hay, Some(verb).filter(|_| self.verb_check))
    }

    fn search(&self, hay: &[u8], verb: Option<&[u8]>) -> Option<Verdict> {
        // A plain needle makes a candidate, but the scan goes on: a rule may still hold.
        let mut plain = false;
        let done = |plain| Verdict {
            candidate: plain,
            rules: false,
        };
        let mut at = 0;
        while at < hay.len() {
            let Some((pos, pattern)) = self.first.find(hay, at) else {
                return Some(done(plain));
            };
            if let Some(verb) = verb
                && hay.get(pos..).is_some_and(|h| h.starts_with(VERB_KEY))
                && compact_verb_at(hay, pos) != Some(verb)
            {
                return None;
            }
            let candidates = self.by_pattern.get(pattern);
            for scan in candidates
                .into_iter()
                .flatten()
                .filter_map(|&i| self.scans.get(i))
            {
                if !scan.needle.at(hay, pos) {
                    continue;
                }
                if scan.always {
                    return Some(Verdict::YES);
                }
                plain |= scan.plain;
                for &r in &scan.anchors {
                    let others = self.rest.get(r).map_or(&[][..], Vec::as_slice);
                    if others
                        .iter()
                        .all(|clause| clause.iter().any(|n| n.found(hay)))
                    {
                        return Some(Verdict::YES);
                    }
                }
            }
            at = pos + 1;
        }
        Some(done(plain))
    }
}

/// The needles that make a candidate alone (see [`Prefilter::with_requirements`]).
#[derive(Debug, Clone, Copy)]
struct Needles<'a> {
    plain: &'a [String],
    always: &'a [String],
}

/// What a hit of a needle means.
enum Role {
    Plain,
    Always,
    Anchor(usize),
}

/// The key of the clauses [`VerbDispatch`] resolves, as the lowercased line spells it.
const VERB_KEY: &[u8] = b"\"verb\"";

/// The verb a verb clause's needle names: `"verb":"create"` gives `create`. Needles that are
/// not exactly the key and a whole quoted value (`"verb":"cre`, from `startswith`) name none.
fn clause_verb(needle: &str) -> Option<&str> {
    let value = needle.strip_prefix("\"verb\":\"")?.strip_suffix('"')?;
    (!value.is_empty() && !value.contains(['"', '\\'])).then_some(value)
}

/// Requirements compiled per verb. A requirement with a verb clause (every needle of the
/// clause a `"verb":"<verb>"`) can only hold on a line whose `verb` key has one of those
/// values. On a line whose every `"verb"` key has the same compact value (`"verb":"get"`, as
/// the apiserver writes it), only the requirements that admit that verb are looked for, their
/// verb clause already met. Lines where that cannot be told (spaced JSON, several verbs, an
/// escape in the value) use the full set.
#[derive(Debug)]
struct VerbDispatch {
    /// Verb (lowercase) → plan, for every verb some clause names.
    verbs: Vec<(Vec<u8>, VerbPlan)>,
    /// The plan for a line without a `"verb"` key, or with a verb no clause names.
    other: VerbPlan,
    /// Per plan: a searcher whose first pass also stops at every `"verb"` key, to check that
    /// each has the verb the plan was chosen by.
    searchers: Vec<Searcher>,
    /// Per plan: the same needles without that check, for lines whose top-level verb is
    /// known (see [`RawVerb::top_level`]); a nested `"verb"` key cannot change which rules
    /// hold, and stopping at the line's own verb key cost a restart of the SIMD scan per line.
    unchecked: Vec<Searcher>,
    /// Per plan: when every requirement needle of the plan reads the same on a raw line
    /// (digits, such as a status code), the unchecked search over the raw line, with the
    /// plain and always needles as given: no lowercased copy is made for such lines.
    raw: Vec<Option<Searcher>>,
}

/// What a line with a known verb needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum VerbPlan {
    /// A requirement is met by the verb alone: a candidate.
    Candidate,
    /// Search with `searchers[i]`.
    Search(usize),
}

/// The compact verb at a `"verb"` key at `pos`: the value of `"verb":"<value>"`, when it has
/// no escape.
fn compact_verb_at(hay: &[u8], pos: usize) -> Option<&[u8]> {
    let value = hay.get(pos + VERB_KEY.len()..)?.strip_prefix(b":\"")?;
    let verb = value.get(..memchr::memchr(b'"', value)?)?;
    (!verb.contains(&b'\\')).then_some(verb)
}

impl VerbDispatch {
    /// `None` when no requirement has a verb clause (the full set is all there is).
    fn new(
        needles: Needles<'_>,
        raw_needles: Needles<'_>,
        requirements: &[Vec<Vec<String>>],
    ) -> Result<Option<VerbDispatch>, PrefilterError> {
        // Each requirement's first verb clause: its index and verbs.
        let verb_clauses: Vec<Option<(usize, Vec<&str>)>> = requirements
            .iter()
            .map(|clauses| {
                clauses.iter().enumerate().find_map(|(i, clause)| {
                    let verbs: Option<Vec<&str>> = clause.iter().map(|n| clause_verb(n)).collect();
                    verbs.filter(|v| !v.is_empty()).map(|v| (i, v))
                })
            })
            .collect();
        if verb_clauses.iter().all(Option::is_none) {
            return Ok(None);
        }
        let mut named: Vec<&str> = verb_clauses
            .iter()
            .flatten()
            .flat_map(|(_, verbs)| verbs.iter().copied())
            .collect();
        named.sort_unstable();
        named.dedup();
        // The requirements a line with `verb` (None: another verb) can meet, verb clause
        // dropped; identical sets share a searcher.
        let mut sets: Vec<Vec<Vec<Vec<String>>>> = Vec::new();
        let mut searchers = Vec::new();
        let mut unchecked = Vec::new();
        let mut raw = Vec::new();
        let mut plan_for = |verb: Option<&str>| -> Result<VerbPlan, PrefilterError> {
            let mut set: Vec<Vec<Vec<String>>> = Vec::new();
            for (clauses, verb_clause) in requirements.iter().zip(&verb_clauses) {
                match verb_clause {
                    None => set.push(clauses.clone()),
                    Some((i, verbs)) if verb.is_some_and(|v| verbs.contains(&v)) => {
                        let others: Vec<Vec<String>> = clauses
                            .iter()
                            .enumerate()
                            .filter(|(j, _)| j != i)
                            .map(|(_, c)| c.clone())
                            .collect();
                        if others.is_empty() {
                            return Ok(VerbPlan::Candidate);
                        }
                        set.push(others);
                    }
                    Some(_) => {}
                }
            }
            if let Some(at) = sets.iter().position(|s| *s == set) {
                return Ok(VerbPlan::Search(at));
            }
            searchers.push(Searcher::new(needles, &set, true)?);
            unchecked.push(Searcher::new(needles, &set, false)?);
            let same_raw = set
                .iter()
                .flatten()
                .flatten()
                .all(|n| KeyedNeedle::new(n).reads_the_same_raw());
            raw.push(if same_raw {
                Some(Searcher::new(raw_needles, &set, false)?)
            } else {
                None
            });
            sets.push(set);
            Ok(VerbPlan::Search(searchers.len() - 1))
        };
        let verbs = named
            .iter()
            .map(|v| Ok((v.as_bytes().to_vec(), plan_for(Some(v))?)))
            .collect::<Result<Vec<_>, PrefilterError>>()?;
        let other = plan_for(None)?;
        Ok(Some(VerbDispatch {
            verbs,
            other,
            searchers,
            unchecked,
            raw,
        }))
    }

    /// The verdict on the lowercased line, by the plan for its first verb. `None` when the
    /// line's verb is unclear: spaced or escaped, or a later `"verb"` key differs (the first
    /// pass of a verb's searcher stops at each one to check).
    ///
    /// `raw_verb`, the raw line's first compact verb, saves looking for the key again. Any
    /// verb taken for the line is sound: the searcher of a verb checks every `"verb"` key of
    /// the lowercased line, a differently cased earlier one included, and gives up on a
    /// mismatch. Only "no verb key at all" must come from the lowercased line itself.
    ///
    /// A verb clause is only ever made from the event's own `verb` field: key context is
    /// given to top-level audit fields alone, and any other needle is a value whose own quotes
    /// are JSON-escaped, so it cannot read `"verb":"..."`. So when the raw verb is the line's
    /// top-level key, in lowercase, it is the event's verb, and no other `"verb"` key needs
    /// checking.
    ///
    /// `event_verb` is `raw_verb` when it passed [`RawVerb::is_event_verb`].
    fn verdict(
        &self,
        hay: &[u8],
        raw_verb: Option<RawVerb<'_>>,
        event_verb: Option<RawVerb<'_>>,
    ) -> Option<Verdict> {
        static KEY: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(VERB_KEY));
        if let Some(known) = event_verb {
            return match self.plan_of(Some(known.value)) {
                VerbPlan::Candidate => Some(Verdict::YES),
                VerbPlan::Search(i) => self.unchecked.get(i).map(|s| s.verdict(hay)),
            };
        }
        let verb = match raw_verb {
            Some(verb) => Some(verb.value),
            None => match KEY.find(hay) {
                // No verb key anywhere: no verb clause can hold.
                None => None,
                Some(pos) => Some(compact_verb_at(hay, pos)?),
            },
        };
        match self.plan_of(verb) {
            // The verb clause's needle is on the line: nothing else is required.
            VerbPlan::Candidate => Some(Verdict::YES),
            VerbPlan::Search(i) => {
                let searcher = self.searchers.get(i)?;
                match verb {
                    Some(verb) => searcher.verdict_for_verb(hay, verb),
                    None => Some(searcher.verdict(hay)),
                }
            }
        }
    }

    /// The verdict on the raw `line` whose event verb ([`RawVerb::is_event_verb`]) is `verb`,
    /// when its plan needs no lowercased copy; `None` otherwise.
    fn verdict_on_raw(&self, line: &[u8], verb: RawVerb<'_>) -> Option<Verdict> {
        match self.plan_of(Some(verb.value)) {
            VerbPlan::Candidate => Some(Verdict::YES),
            VerbPlan::Search(i) => self.raw.get(i)?.as_ref().map(|s| s.verdict(line)),
        }
    }

    /// The plan for lines whose verb is `verb` (`None`: no verb key).
    fn plan_of(&self, verb: Option<&[u8]>) -> VerbPlan {
        match verb {
            None => self.other,
            Some(verb) => self
                .verbs
                .iter()
                .find(|(v, _)| v.as_slice() == verb)
                .map_or(self.other, |(_, plan)| *plan),
        }
    }
}

/// Compiled requirements (see [`Prefilter::with_requirements`]).
#[derive(Debug)]
struct Requirements {
    /// Every requirement: for lines whose verb is unclear.
    full: Searcher,
    /// The requirements by verb, when some have a verb clause.
    by_verb: Option<VerbDispatch>,
    /// ASCII characters the needles use (either case): escapes of these matter.
    relevant: [bool; 128],
    /// Some needle holds `/`, which JSON may write `\/`.
    slash_escapes_matter: bool,
}

impl Requirements {
    /// The verdict on a raw line, when its verb's plan needs no lowercased copy.
    /// `event_verb` as for [`VerbDispatch::verdict`].
    fn verdict_on_raw(&self, line: &[u8], event_verb: Option<RawVerb<'_>>) -> Option<Verdict> {
        self.by_verb.as_ref()?.verdict_on_raw(line, event_verb?)
    }

    /// The verdict on a lowercased line (see [`Searcher::verdict`]); `raw_verb` as for
    /// [`Prefilter::verdict_for`].
    fn verdict(
        &self,
        hay: &[u8],
        raw_verb: Option<RawVerb<'_>>,
        event_verb: Option<RawVerb<'_>>,
    ) -> Verdict {
        match self
            .by_verb
            .as_ref()
            .and_then(|d| d.verdict(hay, raw_verb, event_verb))
        {
            Some(verdict) => verdict,
            None => self.full.verdict(hay),
        }
    }

    /// Does the `\u` escape at `pos` write a character the needles use, or one that
    /// lowercases to ASCII?
    fn escape_matters(&self, hay: &[u8], pos: usize) -> bool {
        match escaped_code_at(hay, pos) {
            Some(0x130 | 0x212A) => true,
            Some(c) => c < 0x80 && self.relevant.get(c as usize) == Some(&true),
            None => false,
        }
    }

    /// True when the raw line holds text a needle could miss: a `\u` escape of a character
    /// the needles use or of one that lowercases to ASCII, `\/` when a needle holds `/`, or
    /// a non-ASCII character that lowercases to ASCII (`İ` U+0130, the Kelvin sign U+212A).
    /// One `memchr` pass finds the three lead bytes.
    fn has_unsafe_text(&self, line: &[u8]) -> bool {
        memchr::memchr3_iter(b'\\', 0xC4, 0xE2, line).any(|i| {
            match (line.get(i), line.get(i + 1), line.get(i + 2)) {
                (Some(b'\\'), Some(b'u'), _) => self.escape_matters(line, i),
                (Some(b'\\'), Some(b'/'), _) => self.slash_escapes_matter,
                (Some(0xC4), Some(0xB0), _) | (Some(0xE2), Some(0x84), Some(0xAA)) => true,
                _ => false,
            }
        })
    }
}

thread_local! {
    /// The reused buffer for lowercased lines.
    static LOWERED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Run `f` on an ASCII-lowercased copy of `line` (in a reused buffer).
fn with_lowercased<R>(line: &[u8], f: impl FnOnce(&[u8]) -> R) -> R {
    LOWERED.with(|buf| {
        let mut buf = buf.borrow_mut();
        if buf.len() < line.len() {
            buf.resize(line.len(), 0);
        }
        let lowered = buf.get_mut(..line.len()).unwrap_or_default();
        // A zip of two slices is vectorised; `extend` over a mapped iterator was not.
        for (to, from) in lowered.iter_mut().zip(line) {
            *to = from.to_ascii_lowercase();
        }
        f(lowered)
    })
}

/// True when `bytes` holds a `\uXXXX` escape of an ASCII letter or digit.
pub fn has_alphanumeric_escape(bytes: &[u8]) -> bool {
    // By the backslash: `memchr` of one byte is several times cheaper than `memmem` of `\u`.
    memchr::memchr_iter(b'\\', bytes)
        .any(|at| bytes.get(at + 1) == Some(&b'u') && is_alphanumeric_escape_at(bytes, at))
}

/// True when the `\u` at `at` starts an escape of an ASCII letter or digit.
fn is_alphanumeric_escape_at(bytes: &[u8], at: usize) -> bool {
    escaped_code_at(bytes, at)
        .and_then(|code| u8::try_from(code).ok())
        .is_some_and(|b| b.is_ascii_alphanumeric())
}

/// The code unit a `\uXXXX` escape starting at `at` writes, when its four hex digits are
/// there. Plain byte arithmetic: it runs at most escapes of most lines (Go writes `\u0026` in
/// query strings).
fn escaped_code_at(bytes: &[u8], at: usize) -> Option<u32> {
    bytes
        .get(at + 2..at + 6)?
        .iter()
        .try_fold(0u32, |acc, &b| Some(acc * 16 + (b as char).to_digit(16)?))
}

/// Scan a one-line record for its verb without parsing it: the first `"verb":"..."` (raw
/// events), else `\"verb\":\"...\"` (events escaped inside AKS/EKS wrappers), else the last
/// segment of a GKE `"methodName":"io.k8s....verb"`. Returns `None` when no plausible verb
/// (1-32 ASCII letters) is found, so that the caller parses the line instead.
pub fn scan_verb(line: &[u8]) -> Option<&str> {
    scan_verb_given(line, raw_verb(line).map(|v| v.value))
}

/// The first compact `"verb":"` key of a line (see [`raw_verb`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawVerb<'a> {
    /// Its value, up to the closing quote (escapes included, unchecked).
    pub value: &'a [u8],
    /// Where the key starts in the line.
    pub key_at: usize,
}

impl RawVerb<'_> {
    /// The line (or its lowercased copy) opens with `{` and has no other `{` or `[` before
    /// the key: the key belongs to the line's top-level object. (In valid JSON `"verb":"` is
    /// always a key, since a string cannot hold an unescaped quote; a brace inside an earlier
    /// string only makes this false, which is safe.)
    pub fn top_level(&self, line: &[u8]) -> bool {
        line.first() == Some(&b'{')
            && memchr::memchr2(b'{', b'[', line.get(1..self.key_at).unwrap_or_default()).is_none()
    }

    /// The event's own verb as the rules compare it: a top-level key with a lowercase value
    /// without escapes. (The rules' verb needles are lowercase; another spelling is left to
    /// the checked search, which falls back to every requirement.)
    fn is_event_verb(&self, line: &[u8]) -> bool {
        !self
            .value
            .iter()
            .any(|b| b.is_ascii_uppercase() || *b == b'\\')
            && self.top_level(line)
    }
}

/// The first compact `"verb":"` key of `line`, with its value.
pub fn raw_verb(line: &[u8]) -> Option<RawVerb<'_>> {
    static RAW: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\"verb\":\""));
    let key = RAW.find(line)?;
    let rest = line.get(key + RAW.needle().len()..)?;
    let value = rest.get(..memchr::memchr(b'"', rest)?)?;
    Some(RawVerb { value, key_at: key })
}

/// [`scan_verb`] when [`raw_verb`] of `line` is known.
pub fn scan_verb_given<'a>(line: &'a [u8], raw_verb: Option<&'a [u8]>) -> Option<&'a str> {
    static ESCAPED: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\\\"verb\\\":\\\""));
    static METHOD: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\"methodName\":\""));
    let value = raw_verb
        .or_else(|| value_after(line, &ESCAPED, b'\\'))
        .or_else(|| {
            value_after(line, &METHOD, b'"')
                .map(|method| method.rsplit(|&b| b == b'.').next().unwrap_or(method))
        })?;
    let plausible = (1..=32).contains(&value.len()) && value.iter().all(u8::is_ascii_alphabetic);
    if plausible {
        std::str::from_utf8(value).ok()
    } else {
        None
    }
}

/// The bytes after the first `key` up to (not including) `end`.
fn value_after<'a>(line: &'a [u8], key: &Finder<'_>, end: u8) -> Option<&'a [u8]> {
    let start = key.find(line)? + key.needle().len();
    let rest = line.get(start..)?;
    let len = memchr::memchr(end, rest)?;
    rest.get(..len)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NONE: &[&str] = &[];

    #[test]
    fn batch_needles_catch_raw_escaped_and_gke_forms() {
        let p = Prefilter::batch();
        assert!(p.is_candidate(br#"{"objectRef":{"resource":"cronjobs"}}"#));
        assert!(p.is_candidate(br#"{"requestURI":"/apis/batch/v1/namespaces/d/jobs"}"#));
        assert!(p.is_candidate(br#"{"methodName":"io.k8s.batch.v1.cronjobs.create"}"#));
        assert!(p.is_candidate(br#"{"log":"{\"objectRef\":{\"resource\":\"cronjobs\"}}"}"#));
        // A Pod owned by a Job is not a batch request: the pack does not need it.
        assert!(!p.is_candidate(br#"{"ownerReferences":[{"kind":"Job","name":"x"}]}"#));
        assert!(!p.is_candidate(br#"{"verb":"get","objectRef":{"resource":"pods"}}"#));
        // Go escapes & as \u0026: not a hidden letter.
        assert!(!p.is_candidate(br#"{"requestURI":"/api/v1/pods?limit=1\u0026watch=1"}"#));
    }

    #[test]
    fn case_insensitive_needles() {
        let p = Prefilter::new_ascii_case_insensitive(["jobs", "secrets"]).expect("valid");
        assert!(p.is_candidate(br#"{"objectRef":{"resource":"SECRETS"}}"#));
        assert!(!p.is_candidate(br#"{"objectRef":{"resource":"pods"}}"#));
    }

    #[test]
    fn escaped_letters_make_a_candidate() {
        let p = Prefilter::batch();
        assert!(p.is_candidate(br#"{"resource":"\u006aobs"}"#));
        assert!(p.is_candidate(br#"{"resource":"cronj\u006Fbs"}"#));
        assert!(!has_alphanumeric_escape(br#"\u003c\u003e\u0026\u00e9"#));
        assert!(!has_alphanumeric_escape(br#"trailing \u00"#));
    }

    #[test]
    fn structural_needles_are_always_on() {
        let p = Prefilter::new(["nothing-matches"]).expect("valid");
        assert!(p.is_candidate(br#"{"kind":"EventList","items":[]}"#));
        assert!(p.is_candidate(br#"{"logGroup":"/aws/eks/c/cluster","logEvents":[]}"#));
        assert!(p.is_candidate(br#"{ "records":[{"category":"kube-audit"}]}"#));
        assert!(p.is_candidate(br#"{"messageType":"DATA_MESSAGE","logEvents":[]}"#));
        assert!(!p.is_candidate(br#"{"verb":"create","objectRef":{"resource":"cronjobs"}}"#));
        // A raw event that merely mentions such keys further in is not a batch.
        assert!(!p.is_candidate(br#"{"verb":"get","requestObject":{"records":[]}}"#));
        assert_eq!(
            Prefilter::new([""]).err(),
            Some(PrefilterError::EmptyNeedle)
        );
        assert!(Prefilter::parse_everything().is_candidate(b"anything"));
    }

    fn sigma_like() -> Prefilter {
        let requirements = vec![
            // create pods in kube-system
            vec![
                vec!["\"namespace\":\"kube-system\"".to_string()],
                vec!["\"verb\":\"create\"".to_string()],
                vec!["\"resource\":\"pods\"".to_string()],
            ],
            // secrets modified
            vec![
                vec!["\"resource\":\"secrets\"".to_string()],
                vec![
                    "\"verb\":\"delete\"".to_string(),
                    "\"verb\":\"patch\"".to_string(),
                ],
            ],
            vec![vec![
                "\"code\":403".to_string(),
                "\"code\":\"403\"".to_string(),
            ]],
        ];
        Prefilter::with_requirements(&["jobs"], &["\"message\":\"{"], &requirements).expect("valid")
    }

    #[test]
    fn requirements_need_every_clause() {
        let p = sigma_like();
        assert!(!p.parses_everything());
        let pod = br#"{"verb":"create","objectRef":{"resource":"pods","namespace":"kube-system"}}"#;
        assert!(p.is_candidate(pod));
        // The anchor alone is not enough.
        assert!(!p.is_candidate(
            br#"{"verb":"get","objectRef":{"resource":"pods","namespace":"kube-system"}}"#
        ));
        assert!(p.is_candidate(br#"{"verb":"PATCH","objectRef":{"resource":"Secrets"}}"#));
        assert!(!p.is_candidate(br#"{"verb":"get","objectRef":{"resource":"secrets"}}"#));
        assert!(p.is_candidate(br#"{"verb":"get","responseStatus":{"code":403}}"#));
        assert!(!p.is_candidate(br#"{"verb":"get","responseStatus":{"code":200},"x":"403"}"#));
        // Always-needles, and the batch wrappers and lists as before.
        assert!(p.is_candidate(br#"{"objectRef":{"resource":"cronjobs"}}"#));
        assert!(p.is_candidate(br#"{"kind":"EventList","items":[]}"#));
        assert!(p.is_candidate(br#"{ "records":[{"category":"kube-audit"}]}"#));
    }

    #[test]
    fn keyed_needles_match_spaced_and_multi_line_json() {
        let p = sigma_like();
        assert!(p.is_candidate(
            br#"{"verb": "create", "objectRef": {"resource" : "pods", "namespace":	"kube-system"}}"#
        ));
        assert!(p.is_candidate(
            b"{\n  \"verb\":\n  \"create\",\n  \"objectRef\": {\"resource\":\r\n\"pods\", \"namespace\" :  \"kube-system\"}}"
        ));
        assert!(p.is_candidate(br#"{"responseStatus": {"code": 403}}"#));
        assert!(p.is_candidate(br#"{"message" : "{\"verb\":\"get\"}"}"#));
        // The key must precede the value.
        assert!(!p.is_candidate(
            br#"{"verb":"create","other":"kube-system","namespace":"x","resource":"pods"}"#
        ));
    }

    #[test]
    fn escapes_and_folding_characters_make_candidates() {
        let p = sigma_like();
        // An escaped letter or quote the needles use.
        assert!(p.is_candidate(br#"{"objectRef":{"resource":"\u0073ecrets"}}"#));
        assert!(p.is_candidate(br#"{"x":"\u0022"}"#));
        // Go's `\u0026` (`&`) is in no needle.
        assert!(!p.is_candidate(br#"{"requestURI":"/api?a=1\u0026b=2"}"#));
        // Characters that lowercase to ASCII letters: Kelvin sign, dotted capital I.
        assert!(p.is_candidate("{\"namespace\":\"\u{212A}ube-system\"}".as_bytes()));
        assert!(p.is_candidate("{\"x\":\"\u{130}\"}".as_bytes()));
        assert!(p.is_candidate(br#"{"x":"\u212a"}"#));
        assert!(!p.is_candidate("{\"user\":\"\u{e9}l\u{e8}ve\"}".as_bytes()));
        // `\/` matters only when a needle holds `/`.
        assert!(!p.is_candidate(br#"{"requestURI":"\/api"}"#));
        let slash =
            Prefilter::with_requirements(&["jobs"], NONE, &[vec![vec!["/bin/sh".to_string()]]])
                .expect("valid");
        assert!(slash.is_candidate(br#"{"requestURI":"\/bin\/sh"}"#));
        assert!(slash.is_candidate(br#"{"requestURI":"/BIN/sh"}"#));
        assert_eq!(
            Prefilter::with_requirements(&[""], NONE, &[]).err(),
            Some(PrefilterError::EmptyNeedle)
        );
    }

    #[test]
    fn requirements_are_looked_for_by_the_line_verb() {
        let p = sigma_like();
        let pod_in_system = |verb: &str| {
            format!(
                r#"{{"verb":"{verb}","objectRef":{{"resource":"pods","namespace":"kube-system"}}}}"#
            )
        };
        assert!(p.is_candidate(pod_in_system("create").as_bytes()));
        assert!(p.is_candidate(pod_in_system("CREATE").as_bytes()));
        assert!(!p.is_candidate(pod_in_system("get").as_bytes()));
        assert!(!p.is_candidate(pod_in_system("createx").as_bytes()));
        // A nested verb before the event's own (keys sorted): the line's verb is unclear, so
        // every requirement is looked for.
        let nested = r#"{"requestObject":{"spec":{"resourceAttributes":{"verb":"get"}}},"verb":"create","objectRef":{"resource":"pods","namespace":"kube-system"}}"#;
        assert!(p.is_candidate(nested.as_bytes()));
        // Spaced, escaped or non-key `"verb"`: unclear too.
        assert!(p.is_candidate(
            br#"{"verb" : "create","objectRef":{"resource":"pods","namespace":"kube-system"}}"#
        ));
        assert!(p.is_candidate(
            br#"{"x":"verb","verb":"create","objectRef":{"resource":"pods","namespace":"kube-system"}}"#
        ));
        // Requirements without a verb clause hold for any verb, and none at all.
        assert!(p.is_candidate(br#"{"verb":"watch","responseStatus":{"code":403}}"#));
        assert!(p.is_candidate(br#"{"responseStatus":{"code":403}}"#));
        assert!(!p.is_candidate(br#"{"objectRef":{"resource":"secrets"}}"#));
        // A requirement met by the verb alone.
        let deletes = Prefilter::with_requirements(
            &["jobs"],
            NONE,
            &[vec![vec![
                "\"verb\":\"delete\"".to_string(),
                "\"verb\":\"deletecollection\"".to_string(),
            ]]],
        )
        .expect("valid");
        assert!(deletes.is_candidate(br#"{"verb":"deletecollection","x":1}"#));
        assert!(deletes.is_candidate(br#"{"verb": "delete"}"#));
        assert!(!deletes.is_candidate(br#"{"verb":"get","x":"delete"}"#));
        // `startswith` needles are not verb clauses: looked for as they are.
        let prefix = Prefilter::with_requirements(
            &["jobs"],
            NONE,
            &[vec![
                vec!["\"verb\":\"cre".to_string()],
                vec!["\"pods\"".to_string()],
            ]],
        )
        .expect("valid");
        assert!(prefix.is_candidate(br#"{"verb":"creative","r":"pods"}"#));
        assert!(!prefix.is_candidate(br#"{"verb":"get","r":"pods"}"#));
    }

    #[test]
    fn a_later_verb_key_that_differs_makes_every_requirement_count() {
        let p = sigma_like();
        // Dispatched by its first verb (`get`), the searcher stops at the second `"verb"`.
        assert!(p.is_candidate(
            br#"{"verb":"get","objectRef":{"resource":"pods","namespace":"kube-system"},"requestObject":{"verb":"create"}}"#
        ));
        assert!(!p.is_candidate(
            br#"{"verb":"get","objectRef":{"resource":"pods","namespace":"kube-system"},"requestObject":{"verb":"get"}}"#
        ));
        assert!(p.is_candidate(
            br#"{"verb":"get","objectRef":{"resource":"pods","namespace":"kube-system"},"x":{"verb" : "create"}}"#
        ));
        assert_eq!(compact_verb_at(br#"{"verb":"get"}"#, 1), Some(&b"get"[..]));
        assert_eq!(compact_verb_at(br#"{"verb": "get"}"#, 1), None);
        assert_eq!(compact_verb_at(br#"{"verb":"g\u0065t"}"#, 1), None);
        assert_eq!(compact_verb_at(br#"{"verb":"get"#, 1), None);
        assert_eq!(clause_verb("\"verb\":\"get\""), Some("get"));
        assert_eq!(clause_verb("\"verb\":\"ge"), None);
        assert_eq!(clause_verb("\"verbs\":\"get\""), None);
    }

    #[test]
    fn a_verb_read_by_the_caller_is_checked_against_every_verb_key() {
        let p = sigma_like();
        let given = |line: &[u8]| p.verdict_for(line, raw_verb(line)).candidate;
        let create_pod =
            br#"{"verb":"create","objectRef":{"resource":"pods","namespace":"kube-system"}}"#;
        let get_pod =
            br#"{"verb":"get","objectRef":{"resource":"pods","namespace":"kube-system"}}"#;
        let read = raw_verb(create_pod).expect("a verb");
        assert_eq!(read.value, b"create");
        assert!(read.top_level(create_pod));
        assert!(given(create_pod));
        assert!(!given(get_pod));
        // A top-level verb is the event's verb: a nested `"verb"` key (a SubjectAccessReview
        // body) cannot make a verb clause hold, since verb clauses come from the event's own
        // field. Without the top-level reading, the prefilter checks every key instead.
        let nested = br#"{"verb":"get","objectRef":{"resource":"pods","namespace":"kube-system"},"requestObject":{"verb":"create"}}"#;
        assert!(!given(nested));
        assert!(p.is_candidate(nested));
        // A first key inside a nested object, or after a brace, is not taken as the event's:
        // every `"verb"` key is checked and a mismatch falls back to every requirement.
        for line in [
            &br#"{"x":{"verb":"get"},"verb":"create","objectRef":{"resource":"pods","namespace":"kube-system"}}"#[..],
            br#"{"VERB":"create","objectRef":{"resource":"pods","namespace":"kube-system"},"x":{"verb":"get"}}"#,
            br#"{"verb" : "create","objectRef":{"resource":"pods","namespace":"kube-system"},"x":{"verb":"get"}}"#,
            br#"{"verb":"GET","objectRef":{"resource":"pods","namespace":"kube-system"},"x":{"verb":"create"}}"#,
        ] {
            assert!(raw_verb(line).is_some());
            assert!(given(line), "{}", String::from_utf8_lossy(line));
        }
        // A verb the caller names that the line's `"verb"` key does not have: every
        // requirement counts, so a wrong reading cannot hide a match.
        // (Read at a position where no key starts, so not taken as the top-level verb.)
        let wrong = |value: &'static [u8]| Some(RawVerb { value, key_at: 30 });
        assert!(p.verdict_for(create_pod, wrong(b"get")).candidate);
        assert!(p.verdict_for(create_pod, wrong(b"watch")).candidate);
        assert!(p.verdict_for(create_pod, wrong(b"Create")).candidate);
    }

    #[test]
    fn lines_whose_verb_needs_only_digits_are_searched_raw() {
        let p = sigma_like();
        let req = p.requirements.as_ref().expect("requirements");
        let raw = |line: &[u8]| {
            req.verdict_on_raw(line, raw_verb(line).filter(|v| v.is_event_verb(line)))
        };
        // `get` lines need only the status-code rule (digits) and the plain and always
        // needles: no lowercased copy.
        let denied = br#"{"verb":"get","responseStatus":{"code":403}}"#;
        assert_eq!(raw(denied), Some(Verdict::YES));
        assert!(p.verdict(denied).rules);
        // Keys compare in either case, as on the lowercased copy.
        assert_eq!(
            raw(br#"{"verb":"get","responseStatus":{"CODE" : 403}}"#),
            Some(Verdict::YES)
        );
        let allowed = br#"{"verb":"get","responseStatus":{"code":200}}"#;
        assert_eq!(raw(allowed).map(|v| v.candidate), Some(false));
        // The plain and always needles match as given: as without Sigma rules, and as the
        // decoder recognises what they mark.
        let plain = br#"{"verb":"get","objectRef":{"resource":"jobs"}}"#;
        assert_eq!(
            raw(plain),
            Some(Verdict {
                candidate: true,
                rules: false
            })
        );
        let shouted = br#"{"verb":"get","objectRef":{"resource":"JOBS"}}"#;
        assert_eq!(raw(shouted).map(|v| v.candidate), Some(false));
        assert!(!Prefilter::batch().is_candidate(shouted));
        assert_eq!(
            raw(br#"{"verb":"get","message":"{\"verb\":\"create\"}"}"#),
            Some(Verdict::YES)
        );
        // An escaped digit still makes a candidate (checked on the raw line after).
        assert!(p.is_candidate(br#"{"verb":"get","responseStatus":{"code":"\u0034\u00303"}}"#));
        assert!(
            p.verdict_for(
                br#"{"verb":"get","responseStatus":{"code":"\u0034\u00303"}}"#,
                raw_verb(br#"{"verb":"get","responseStatus":{"code":"\u0034\u00303"}}"#)
            )
            .candidate
        );
        // Other verbs' plans hold letters (`"resource":"secrets"`): lowercased as before.
        assert_eq!(
            raw(br#"{"verb":"delete","objectRef":{"resource":"secrets"}}"#),
            None
        );
        // So do lines whose verb is not certain.
        assert_eq!(
            raw(br#"{"x":{},"verb":"get","responseStatus":{"code":403}}"#),
            None
        );
        assert_eq!(
            raw(br#"{"verb":"GET","responseStatus":{"code":403}}"#),
            None
        );
        let needle = KeyedNeedle::new("\"code\":403");
        assert!(needle.reads_the_same_raw());
        assert!(!KeyedNeedle::new("\"resource\":\"secrets\"").reads_the_same_raw());
        assert!(!KeyedNeedle::new("\"code\":4").reads_the_same_raw());
    }

    #[test]
    fn plain_needles_make_candidates_the_rules_need_not_see() {
        let p = sigma_like();
        // A CronJob read: a candidate for the built-in pack only.
        let read = br#"{"verb":"get","objectRef":{"resource":"cronjobs"}}"#;
        assert_eq!(
            p.verdict(read),
            Verdict {
                candidate: true,
                rules: false
            }
        );
        // A plain needle before a requirement that holds: the scan goes on and finds it.
        let denied =
            br#"{"requestURI":"/apis/batch/v1/jobs","verb":"get","responseStatus":{"code":403}}"#;
        assert_eq!(p.verdict(denied), Verdict::YES);
        // Always-needles, escapes that could hide a needle, and batches are for the rules too.
        assert_eq!(
            p.verdict(br#"{"message":"{\"verb\":\"get\"}"}"#),
            Verdict::YES
        );
        assert_eq!(
            p.verdict(br#"{"resource":"cronjobs","x":"\u0073ecrets"}"#),
            Verdict::YES
        );
        assert_eq!(
            p.verdict(br#"{"records":[{"resource":"cronjobs"}]}"#),
            Verdict::YES
        );
        assert!(
            !p.verdict(br#"{"verb":"get","objectRef":{"resource":"pods"}}"#)
                .candidate
        );
        // Prefilters without requirements say only whether to parse.
        assert_eq!(Prefilter::batch().verdict(read), Verdict::YES);
    }

    #[test]
    fn needles_sharing_a_start_are_all_checked() {
        // `"batch"` and `"batch"x` scan from the same place; a hit of one must not hide the
        // other, nor must a needle inside another's match.
        let req = vec![
            vec![
                vec!["\"apigroup\":\"batch\"".to_string()],
                vec!["zzz1".to_string()],
            ],
            vec![vec!["\"batch\"".to_string()], vec!["zzz2".to_string()]],
            vec![vec!["tch\"".to_string()], vec!["zzz3".to_string()]],
        ];
        let p = Prefilter::with_requirements(&["jobs"], NONE, &req).expect("valid");
        assert!(p.is_candidate(br#"{"apiGroup":"batch","x":"zzz1"}"#));
        assert!(p.is_candidate(br#"{"apiGroup":"batch","x":"zzz2"}"#));
        assert!(p.is_candidate(br#"{"apiGroup":"batch","x":"zzz3"}"#));
        assert!(!p.is_candidate(br#"{"apiGroup":"batch","x":"zzz4"}"#));
    }

    #[test]
    fn verb_scan_handles_every_shape() {
        assert_eq!(
            scan_verb(br#"{"auditID":"a","verb":"watch","x":1}"#),
            Some("watch")
        );
        assert_eq!(
            scan_verb(br#"{"properties":{"log":"{\"verb\":\"update\"}"}}"#),
            Some("update")
        );
        assert_eq!(
            scan_verb(br#"{"protoPayload":{"methodName":"io.k8s.core.v1.pods.list"}}"#),
            Some("list")
        );
        assert_eq!(scan_verb(br#"{"verb": "get"}"#), None);
        assert_eq!(scan_verb(br#"{"verb":"g\u0065t"}"#), None);
        assert_eq!(scan_verb(br#"{"verb":"get"#), None);
        assert_eq!(scan_verb(br#"{"kind": 0}"#), None);
    }
}
