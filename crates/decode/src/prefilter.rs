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
//! The needles run in one Aho-Corasick pass (Teddy, SIMD); the two-byte escape marker `\u` has
//! its own memmem pass, because a needle that short ruins Teddy's selectivity (measured 5-6x
//! slower, `shared/research/perf-anchors.md` §4.3) and Go writes `\u0026` in most query strings.
//! Batch wrappers are recognised by their first key rather than by needles such as
//! `"records"`, whose first bytes are common in audit JSON and would slow the SIMD scan down.

use aho_corasick::AhoCorasick;
use memchr::memmem::Finder;
use std::sync::LazyLock;

/// The needles of the batch detection pack. Every request the pack judges names the resource
/// `jobs` or `cronjobs` (`objectRef.resource`, the request URI, GKE method and resource names,
/// the escaped JSON inside AKS/EKS wrappers), so one needle suffices — and a single needle lets
/// the automaton run as one SIMD memmem.
pub const BATCH_NEEDLES: [&str; 1] = ["jobs"];

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
    BATCH_FIRST_KEYS.iter().any(|key| rest.starts_with(key))
}

/// Decides which lines are worth a full parse. Cheap to clone (the automaton is shared).
#[derive(Debug, Clone)]
pub struct Prefilter {
    /// `None` when every line is a candidate.
    matcher: Option<AhoCorasick>,
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
        // The structural needle is not in the automaton: its first byte `E` starts `"Event"` on
        // every audit line and would make the start-byte prefilter stop at each one.
        let matcher =
            AhoCorasick::new(&needles).map_err(|e| PrefilterError::Build(e.to_string()))?;
        Ok(Self {
            matcher: Some(matcher),
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
        let matcher =
            AhoCorasick::new(&lowered).map_err(|e| PrefilterError::Build(e.to_string()))?;
        Ok(Self {
            matcher: Some(matcher),
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
            lowercase_line: false,
            needles: Vec::new(),
        }
    }

    /// True when every line is parsed.
    pub fn parses_everything(&self) -> bool {
        self.matcher.is_none()
    }

    /// The configured needles (without the built-in structural ones).
    pub fn needles(&self) -> &[String] {
        &self.needles
    }

    /// Whether `line` must be parsed.
    pub fn is_candidate(&self, line: &[u8]) -> bool {
        match &self.matcher {
            None => true,
            Some(matcher) => {
                let needle_found = if self.lowercase_line {
                    LOWERED.with(|buf| {
                        let mut buf = buf.borrow_mut();
                        buf.clear();
                        buf.extend_from_slice(line);
                        buf.make_ascii_lowercase();
                        matcher.is_match(buf.as_slice())
                    })
                } else {
                    matcher.is_match(line)
                };
                needle_found
                    || opens_as_batch(line)
                    || has_structural_needle(line)
                    || has_alphanumeric_escape(line)
            }
        }
    }
}

impl Default for Prefilter {
    fn default() -> Self {
        Self::batch()
    }
}

thread_local! {
    /// The reused buffer for lowercased lines.
    static LOWERED: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// True when `line` holds several events (an `EventList`).
fn has_structural_needle(line: &[u8]) -> bool {
    static FINDERS: LazyLock<Vec<Finder<'static>>> = LazyLock::new(|| {
        STRUCTURAL_NEEDLES
            .iter()
            .map(|n| Finder::new(n.as_bytes()).into_owned())
            .collect()
    });
    FINDERS.iter().any(|f| f.find(line).is_some())
}

/// True when `bytes` holds a `\uXXXX` escape of an ASCII letter or digit.
pub fn has_alphanumeric_escape(bytes: &[u8]) -> bool {
    static ESCAPE: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\\u"));
    ESCAPE
        .find_iter(bytes)
        .any(|at| is_alphanumeric_escape_at(bytes, at))
}

/// True when the `\u` at `at` starts an escape of an ASCII letter or digit.
fn is_alphanumeric_escape_at(bytes: &[u8], at: usize) -> bool {
    // Hot path (Go writes `\u0026` in most query strings): plain byte arithmetic.
    let hex = |b: u8| (b as char).to_digit(16);
    match bytes.get(at + 2..at + 6) {
        Some([b'0', b'0', hi, lo]) => match (hex(*hi), hex(*lo)) {
            (Some(h), Some(l)) => {
                (h * 16 + l) < 0x80 && ((h * 16 + l) as u8).is_ascii_alphanumeric()
            }
            _ => false,
        },
        _ => false,
    }
}

/// Scan a one-line record for its verb without parsing it: the first `"verb":"..."` (raw
/// events), else `\"verb\":\"...\"` (events escaped inside AKS/EKS wrappers), else the last
/// segment of a GKE `"methodName":"io.k8s....verb"`. Returns `None` when no plausible verb
/// (1-32 ASCII letters) is found, so that the caller parses the line instead.
pub fn scan_verb(line: &[u8]) -> Option<&str> {
    static RAW: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\"verb\":\""));
    static ESCAPED: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\\\"verb\\\":\\\""));
    static METHOD: LazyLock<Finder<'static>> = LazyLock::new(|| Finder::new(b"\"methodName\":\""));
    let value = value_after(line, &RAW, b'"')
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
