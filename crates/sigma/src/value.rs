//! Sigma values and modifiers: turns one detection key (`Field|mod|mod`) and its values into a
//! compiled [`FieldTest`], and evaluates it against the values an event holds for that field.
//!
//! Semantics follow the Sigma specification v2 and pySigma where the specification is silent:
//! string matching is case-insensitive unless `cased`; `*`/`?` are wildcards, `\*`, `\?` and
//! `\\` escape them, any other backslash is literal; `re` is case-sensitive unless `i`; a
//! number in a rule matches a number or a string with the same text (`403` matches `"403"`).

use crate::event::{Event, FieldValue};
use crate::requirement::{Cnf, FieldText};
use aho_corasick::AhoCorasick;
use base64::Engine as _;
use regex::Regex;
use std::borrow::Cow;
use std::collections::HashMap;
use std::net::IpAddr;

/// One piece of a Sigma string value after wildcard parsing.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Part {
    /// Literal text.
    Lit(String),
    /// `*`: any run of characters.
    Star,
    /// `?`: exactly one character.
    One,
}

/// A value during modifier application: text with wildcards, or raw bytes (after `utf16*`).
#[derive(Debug, Clone)]
enum Encoded {
    Text(Vec<Part>),
    Bytes(Vec<u8>),
}

/// Every modifier this engine knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Modifier {
    Contains,
    StartsWith,
    EndsWith,
    All,
    Windash,
    Base64,
    Base64Offset,
    Utf16le,
    Utf16be,
    Utf16,
    Re,
    ReI,
    ReM,
    ReS,
    Cidr,
    Exists,
    Cased,
    Neq,
    Gt,
    Gte,
    Lt,
    Lte,
    FieldRef,
    Expand,
    Time(TimePart),
}

/// The date parts the time modifiers extract (UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TimePart {
    Minute,
    Hour,
    Day,
    Week,
    Month,
    Year,
}

impl TimePart {
    /// The part of a date-time value, when the text is one (RFC 3339, or a civil date-time
    /// taken as UTC, e.g. Sysmon's `2025-10-25 13:44:33.433`).
    fn extract(self, text: &str) -> Option<f64> {
        let text = text.trim();
        let dt = match text.parse::<jiff::Timestamp>() {
            Ok(ts) => ts.to_zoned(jiff::tz::TimeZone::UTC).datetime(),
            Err(_) => text.parse::<jiff::civil::DateTime>().ok()?,
        };
        Some(f64::from(match self {
            TimePart::Minute => i16::from(dt.minute()),
            TimePart::Hour => i16::from(dt.hour()),
            TimePart::Day => i16::from(dt.day()),
            TimePart::Week => i16::from(dt.date().iso_week_date().week()),
            TimePart::Month => i16::from(dt.month()),
            TimePart::Year => dt.year(),
        }))
    }
}

impl Modifier {
    fn parse(name: &str) -> Option<Modifier> {
        Some(match name {
            "contains" => Modifier::Contains,
            "startswith" => Modifier::StartsWith,
            "endswith" => Modifier::EndsWith,
            "all" => Modifier::All,
            "windash" => Modifier::Windash,
            "base64" => Modifier::Base64,
            "base64offset" => Modifier::Base64Offset,
            "utf16le" | "wide" => Modifier::Utf16le,
            "utf16be" => Modifier::Utf16be,
            "utf16" => Modifier::Utf16,
            "re" => Modifier::Re,
            "i" | "ignorecase" => Modifier::ReI,
            "m" | "multiline" => Modifier::ReM,
            "s" | "dotall" => Modifier::ReS,
            "cidr" => Modifier::Cidr,
            "exists" => Modifier::Exists,
            "cased" => Modifier::Cased,
            "neq" => Modifier::Neq,
            "gt" => Modifier::Gt,
            "gte" => Modifier::Gte,
            "lt" => Modifier::Lt,
            "lte" => Modifier::Lte,
            "fieldref" => Modifier::FieldRef,
            "expand" => Modifier::Expand,
            "minute" => Modifier::Time(TimePart::Minute),
            "hour" => Modifier::Time(TimePart::Hour),
            "day" => Modifier::Time(TimePart::Day),
            "week" => Modifier::Time(TimePart::Week),
            "month" => Modifier::Time(TimePart::Month),
            "year" => Modifier::Time(TimePart::Year),
            _ => return None,
        })
    }
}

/// Numeric comparison operators (`gt`, `gte`, `lt`, `lte`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NumOp {
    Gt,
    Gte,
    Lt,
    Lte,
}

impl NumOp {
    fn holds(self, left: f64, right: f64) -> bool {
        match self {
            NumOp::Gt => left > right,
            NumOp::Gte => left >= right,
            NumOp::Lt => left < right,
            NumOp::Lte => left <= right,
        }
    }
}

/// How a fieldref compares the two fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum RefMode {
    Equal,
    Contains,
    StartsWith,
    EndsWith,
}

/// One compiled string pattern, already lowercased when the matcher is case-insensitive.
#[derive(Debug, Clone)]
pub(crate) enum Pat {
    /// A lone `*`: any value, including objects.
    Any,
    Exact(String),
    Prefix(String),
    Suffix(String),
    Contains(String),
    Glob(Regex),
}

impl Pat {
    fn matches(&self, hay: &str) -> bool {
        match self {
            Pat::Any => true,
            Pat::Exact(p) => hay == p,
            Pat::Prefix(p) => hay.starts_with(p.as_str()),
            Pat::Suffix(p) => hay.ends_with(p.as_str()),
            Pat::Contains(p) => hay.contains(p.as_str()),
            Pat::Glob(re) => re.is_match(hay),
        }
    }

    /// The literal every matching string holds, and where, for the prefilter.
    pub(crate) fn needle(&self) -> Option<Needle> {
        let (anchor, text) = match self {
            Pat::Any | Pat::Glob(_) => return None,
            Pat::Exact(p) => (Anchor::Exact, p),
            Pat::Prefix(p) => (Anchor::Prefix, p),
            Pat::Suffix(p) => (Anchor::Suffix, p),
            Pat::Contains(p) => (Anchor::Inner, p),
        };
        Some(Needle {
            anchor,
            text: text.clone(),
        })
    }
}

/// Where a needle sits in the string value it comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Anchor {
    /// The whole value.
    Exact,
    /// Its start.
    Prefix,
    /// Its end.
    Suffix,
    /// Somewhere inside.
    Inner,
}

/// A literal a matching value contains.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Needle {
    pub(crate) anchor: Anchor,
    pub(crate) text: String,
}

/// Needles shorter than this ruin a Teddy prefilter's selectivity and are not emitted.
pub const MIN_NEEDLE: usize = 3;

/// Turns a value needle into raw-JSON needles: lowercase, JSON-escaped, ASCII only, quoted
/// where the anchor allows (string values are quoted in JSON), with `"key":` in front when
/// `key` is given. None when no sound, long enough needle exists.
/// With `numbers` false, a value that reads as a number gives none (its text in untyped JSON
/// may differ: `1e2` is compared as `100`).
pub(crate) fn raw_needles(
    needle: &Needle,
    key: Option<&str>,
    numbers: bool,
) -> Option<Vec<String>> {
    // An empty value is what typed fields default to when the line lacks them.
    if !needle.text.is_ascii() || needle.text.is_empty() {
        return None;
    }
    let mut esc = String::with_capacity(needle.text.len() + 8);
    for c in needle.text.to_ascii_lowercase().chars() {
        match c {
            '\\' => esc.push_str("\\\\"),
            '"' => esc.push_str("\\\""),
            c if c.is_control() => return None,
            c => esc.push(c),
        }
    }
    // Numbers and booleans may be unquoted JSON scalars: only their bare text is certain.
    let numeric = esc.parse::<f64>().is_ok();
    if numeric && !numbers {
        return None;
    }
    let scalar_like = numeric || matches!(esc.as_str(), "true" | "false" | "null");
    let out = match (needle.anchor, key, scalar_like) {
        (Anchor::Exact, Some(k), false) => vec![format!("\"{k}\":\"{esc}\"")],
        (Anchor::Exact, Some(k), true) => {
            vec![format!("\"{k}\":{esc}"), format!("\"{k}\":\"{esc}\"")]
        }
        (Anchor::Prefix, Some(k), false) => vec![format!("\"{k}\":\"{esc}")],
        (Anchor::Prefix, Some(k), true) => {
            vec![format!("\"{k}\":{esc}"), format!("\"{k}\":\"{esc}")]
        }
        (Anchor::Exact, None, false) => vec![format!("\"{esc}\"")],
        (Anchor::Prefix, None, false) => vec![format!("\"{esc}")],
        (Anchor::Suffix, _, false) => vec![format!("{esc}\"")],
        _ => vec![esc],
    };
    out.iter().all(|n| n.len() >= MIN_NEEDLE).then_some(out)
}

/// OR of string patterns over one case mode; many `contains` become one Aho-Corasick automaton.
#[derive(Debug, Clone)]
pub(crate) struct StrMatcher {
    pub(crate) cased: bool,
    pats: Vec<Pat>,
    contains_ac: Option<AhoCorasick>,
    /// Literals one of which every matching value contains; None when a pattern has none.
    needles: Option<Vec<Needle>>,
}

/// From this many `contains` patterns on, one automaton beats a loop of `str::contains`.
const AC_THRESHOLD: usize = 6;

impl StrMatcher {
    fn new(cased: bool, mut pats: Vec<Pat>, glob_needles: Vec<Option<String>>) -> StrMatcher {
        let mut needles = Some(Vec::new());
        for p in &pats {
            if !matches!(p, Pat::Glob(_)) {
                match (p.needle(), needles.as_mut()) {
                    (Some(n), Some(list)) => list.push(n),
                    _ => needles = None,
                }
            }
        }
        for n in glob_needles {
            match (n, needles.as_mut()) {
                (Some(text), Some(list)) => list.push(Needle {
                    anchor: Anchor::Inner,
                    text,
                }),
                _ => needles = None,
            }
        }
        let contains: Vec<String> = pats
            .iter()
            .filter_map(|p| match p {
                Pat::Contains(s) => Some(s.clone()),
                _ => None,
            })
            .collect();
        let mut contains_ac = None;
        if contains.len() >= AC_THRESHOLD
            && let Ok(ac) = AhoCorasick::new(&contains)
        {
            contains_ac = Some(ac);
            pats.retain(|p| !matches!(p, Pat::Contains(_)));
        }
        StrMatcher {
            cased,
            pats,
            contains_ac,
            needles,
        }
    }

    pub(crate) fn matches_text(&self, text: &str) -> bool {
        let hay = if self.cased {
            Cow::Borrowed(text)
        } else {
            fold(text)
        };
        if let Some(ac) = &self.contains_ac
            && ac.is_match(hay.as_ref())
        {
            return true;
        }
        self.pats.iter().any(|p| p.matches(&hay))
    }

    fn matches_any_value(&self) -> bool {
        self.pats.iter().any(|p| matches!(p, Pat::Any))
    }

    /// Needles for the prefilter: None when some pattern has no literal.
    pub(crate) fn needles(&self) -> Option<&[Needle]> {
        self.needles.as_deref()
    }
}

/// Case-folds text the same way patterns are folded: ASCII fast path, Unicode otherwise.
pub(crate) fn fold(text: &str) -> Cow<'_, str> {
    if text.is_ascii() {
        if text.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(text.to_ascii_lowercase())
        } else {
            Cow::Borrowed(text)
        }
    } else {
        Cow::Owned(text.to_lowercase())
    }
}

/// An IPv4 or IPv6 network.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cidr {
    addr: IpAddr,
    prefix: u8,
}

impl Cidr {
    fn parse(text: &str) -> Option<Cidr> {
        let (addr, prefix) = match text.split_once('/') {
            Some((a, p)) => (
                a.trim().parse::<IpAddr>().ok()?,
                p.trim().parse::<u8>().ok()?,
            ),
            None => {
                let a = text.trim().parse::<IpAddr>().ok()?;
                (a, if a.is_ipv4() { 32 } else { 128 })
            }
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        (prefix <= max).then_some(Cidr { addr, prefix })
    }

    fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }
}

/// One test on a field's values.
#[derive(Debug, Clone)]
pub(crate) enum ValueTest {
    Str(StrMatcher),
    Regex(Regex),
    Cidr(Vec<Cidr>),
    Num(NumOp, f64),
    Exists(bool),
    Null,
    FieldRef {
        other: String,
        mode: RefMode,
        cased: bool,
    },
    Not(Box<ValueTest>),
    /// A time modifier: the date part compared with `op` (equality when None).
    Time(TimePart, Option<NumOp>, f64),
}

impl ValueTest {
    fn test<E: Event + ?Sized>(&self, values: &[FieldValue<'_>], event: &E) -> bool {
        match self {
            ValueTest::Str(m) => values.iter().any(|v| match v {
                FieldValue::Object => m.matches_any_value(),
                FieldValue::Null => false,
                other => other.with_text(|t| m.matches_text(t)),
            }),
            ValueTest::Regex(re) => values.iter().any(|v| match v {
                FieldValue::Object | FieldValue::Null => false,
                other => other.with_text(|t| re.is_match(t)),
            }),
            ValueTest::Cidr(nets) => values.iter().any(|v| match v {
                FieldValue::Str(s) => s
                    .trim()
                    .parse::<IpAddr>()
                    .is_ok_and(|ip| nets.iter().any(|n| n.contains(ip))),
                _ => false,
            }),
            ValueTest::Num(op, limit) => values
                .iter()
                .any(|v| v.as_number().is_some_and(|n| op.holds(n, *limit))),
            ValueTest::Exists(want) => values.is_empty() != *want,
            ValueTest::Null => values.iter().all(|v| matches!(v, FieldValue::Null)),
            ValueTest::FieldRef { other, mode, cased } => {
                let others = event.field(other);
                values.iter().any(|v| {
                    v.with_text(|left| {
                        others.iter().any(|o| {
                            o.with_text(|right| {
                                let (l, r) = if *cased {
                                    (Cow::Borrowed(left), Cow::Borrowed(right))
                                } else {
                                    (fold(left), fold(right))
                                };
                                match mode {
                                    RefMode::Equal => l == r,
                                    RefMode::Contains => l.contains(r.as_ref()),
                                    RefMode::StartsWith => l.starts_with(r.as_ref()),
                                    RefMode::EndsWith => l.ends_with(r.as_ref()),
                                }
                            })
                        })
                    })
                })
            }
            ValueTest::Not(inner) => !inner.test(values, event),
            ValueTest::Time(part, op, want) => values.iter().any(|v| match v {
                FieldValue::Str(s) => part.extract(s).is_some_and(|got| match op {
                    Some(op) => op.holds(got, *want),
                    None => got == *want,
                }),
                _ => false,
            }),
        }
    }

    /// Raw-JSON needles one of which any matching event contains (None: no literal is certain).
    fn raw_needles(&self, key: Option<&str>, numbers: bool) -> Option<Vec<String>> {
        match self {
            ValueTest::Str(m) => {
                let mut out = Vec::new();
                for n in m.needles()? {
                    out.extend(raw_needles(n, key, numbers)?);
                }
                (!out.is_empty()).then_some(out)
            }
            _ => None,
        }
    }
}

/// A compiled `field|modifiers: values` entry (or a keyword list when `field` is None).
#[derive(Debug, Clone)]
pub(crate) struct FieldTest {
    /// The Sigma field name; None for keyword (full-text) tests.
    pub(crate) field: Option<String>,
    /// `all`: every test must hold; otherwise one is enough.
    pub(crate) all: bool,
    pub(crate) tests: Vec<ValueTest>,
}

impl FieldTest {
    pub(crate) fn eval<E: Event + ?Sized>(&self, event: &E) -> bool {
        match &self.field {
            Some(name) => {
                let values = event.field(name);
                if self.all {
                    self.tests.iter().all(|t| t.test(&values, event))
                } else {
                    self.tests.iter().any(|t| t.test(&values, event))
                }
            }
            None => {
                let check = |t: &ValueTest| match t {
                    ValueTest::Str(m) => event.keywords().any(|k| m.matches_text(k)),
                    ValueTest::Regex(re) => event.keywords().any(|k| re.is_match(k)),
                    _ => false,
                };
                if self.all {
                    self.tests.iter().all(check)
                } else {
                    self.tests.iter().any(check)
                }
            }
        }
    }

    /// Raw-JSON needles for the prefilter (see [`raw_needles`]): for an OR, the union of every
    /// test's needles; for `all`, the most selective single test's. `key` adds key context.
    pub(crate) fn raw_needles(&self, key: Option<&str>) -> Option<Vec<String>> {
        // Keyword searches see every string, so no key applies.
        let key = if self.field.is_some() { key } else { None };
        if self.all {
            crate::rule::best(self.tests.iter().map(|t| t.raw_needles(key, true)))
        } else {
            let mut out = Vec::new();
            for t in &self.tests {
                out.extend(t.raw_needles(key, true)?);
            }
            Some(out)
        }
    }

    /// The requirement clauses of this test (see [`crate::Requirement`]), its field's values
    /// showing in the line as `text` says: one per test under `all`, else one for all tests
    /// (none when some test has no literal).
    pub(crate) fn clauses(&self, text: &FieldText) -> Cnf {
        let key = match text {
            FieldText::Unknown => return Vec::new(),
            // A computed field is in the line's needles only when the test needs a value.
            FieldText::Implied(needles) => {
                return if self.eval(&NoFields) || needles.is_empty() {
                    Vec::new()
                } else {
                    vec![needles.clone()]
                };
            }
            FieldText::Json {
                key,
                numbers,
                synthesized,
            } => (key.as_deref(), *numbers, *synthesized),
        };
        let (key, numbers, synthesized) = key;
        // Keyword searches see every string, so no key applies.
        let key = if self.field.is_some() { key } else { None };
        let certain = |needles: Vec<String>| -> Option<Vec<String>> {
            let inside_synthesized = needles.iter().any(|n| {
                let bare = n.trim_matches('"');
                synthesized.iter().any(|s| s.contains(bare))
            });
            (!inside_synthesized).then_some(needles)
        };
        if self.all {
            self.tests
                .iter()
                .filter_map(|t| t.raw_needles(key, numbers).and_then(certain))
                .collect()
        } else {
            let mut out = Vec::new();
            for t in &self.tests {
                match t.raw_needles(key, numbers).and_then(certain) {
                    Some(n) => out.extend(n),
                    None => return Vec::new(),
                }
            }
            vec![out]
        }
    }
}

impl FieldTest {
    /// True when every test is a plain, case-insensitive equality with non-numeric text: such a
    /// test can never hold on a field that is always a number.
    pub(crate) fn only_non_numeric_equality(&self) -> bool {
        !self.tests.is_empty()
            && self.tests.iter().all(|t| match t {
                ValueTest::Str(m) => {
                    m.contains_ac.is_none()
                        && !m.pats.is_empty()
                        && m.pats.iter().all(|p| match p {
                            Pat::Exact(v) => v.trim().parse::<f64>().is_err(),
                            _ => false,
                        })
                }
                _ => false,
            })
    }
}

/// An event without fields: what a rule sees of a field that never exists.
pub(crate) struct NoFields;

impl Event for NoFields {
    fn field(&self, _name: &str) -> crate::event::FieldValues<'_> {
        Vec::new()
    }

    fn keywords(&self) -> impl Iterator<Item = &str> {
        std::iter::empty()
    }
}

/// Why a detection entry could not be compiled; the loader adds file and line.
pub(crate) type CompileError = String;

/// A scalar from the rule text.
fn scalar_text(v: &serde_json::Value) -> Option<String> {
    match v {
        serde_json::Value::String(s) => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        serde_json::Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// Parses wildcards and escapes of a Sigma string.
pub(crate) fn parse_wildcards(text: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut lit = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => match chars.peek() {
                Some(&n @ ('*' | '?' | '\\')) => {
                    lit.push(n);
                    chars.next();
                }
                _ => lit.push('\\'),
            },
            '*' | '?' => {
                if !lit.is_empty() {
                    parts.push(Part::Lit(std::mem::take(&mut lit)));
                }
                parts.push(if c == '*' { Part::Star } else { Part::One });
            }
            _ => lit.push(c),
        }
    }
    if !lit.is_empty() {
        parts.push(Part::Lit(lit));
    }
    parts
}

fn literal_only(parts: &[Part]) -> Option<String> {
    let mut out = String::new();
    for p in parts {
        match p {
            Part::Lit(s) => out.push_str(s),
            _ => return None,
        }
    }
    Some(out)
}

fn encoded_bytes(v: &Encoded, modifier: &str) -> Result<Vec<u8>, CompileError> {
    match v {
        Encoded::Bytes(b) => Ok(b.clone()),
        Encoded::Text(parts) => literal_only(parts)
            .map(String::into_bytes)
            .ok_or_else(|| format!("`{modifier}` cannot encode a value with wildcards")),
    }
}

fn text_of(v: &Encoded) -> Vec<Part> {
    match v {
        Encoded::Text(p) => p.clone(),
        // Bytes that reach matching compare as Latin-1 text (one char per byte).
        Encoded::Bytes(b) => vec![Part::Lit(b.iter().map(|&x| char::from(x)).collect())],
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// pySigma's base64offset: the three encodings of the value at each offset, with the
/// characters that depend on unknown neighbours cut off.
fn base64_offsets(bytes: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    for shift in 0..3usize {
        let mut padded = vec![b' '; shift];
        padded.extend_from_slice(bytes);
        let enc = b64(&padded);
        let start = [0usize, 2, 3][shift];
        let end_cut = [0usize, 3, 2][(bytes.len() + shift) % 3];
        let end = enc.len().saturating_sub(end_cut);
        if let Some(s) = enc.get(start..end)
            && !s.is_empty()
        {
            out.push(s.to_string());
        }
    }
    out
}

const WINDASH_CHARS: [char; 5] = ['-', '/', '\u{2013}', '\u{2014}', '\u{2015}'];

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Above this many parameter dashes, windash replaces them all alike instead of permuting
/// (5^4 = 625 variants is the most a value may expand to).
const WINDASH_MAX_POSITIONS: usize = 4;

/// pySigma's windash: every dash at the start of a parameter (`\B[-/]\b`) independently becomes
/// each of `-`, `/`, en dash, em dash and horizontal bar (all permutations).
fn windash_variants(parts: &[Part]) -> Vec<Vec<Part>> {
    // Character-level view: (part index, chars) with the positions to permute.
    let lits: Vec<Option<Vec<char>>> = parts
        .iter()
        .map(|p| match p {
            Part::Lit(s) => Some(s.chars().collect()),
            _ => None,
        })
        .collect();
    let mut positions = Vec::new();
    for (pi, chars) in lits.iter().enumerate() {
        let Some(chars) = chars else { continue };
        for (i, &c) in chars.iter().enumerate() {
            let prev_word = i
                .checked_sub(1)
                .and_then(|j| chars.get(j))
                .is_some_and(|&p| is_word(p));
            let next_word = chars.get(i + 1).is_some_and(|&n| is_word(n));
            if (c == '-' || c == '/') && !prev_word && next_word {
                positions.push((pi, i));
            }
        }
    }
    let build = |choice: &dyn Fn(usize) -> char| -> Vec<Part> {
        parts
            .iter()
            .enumerate()
            .map(|(pi, p)| match (p, lits.get(pi).and_then(Option::as_ref)) {
                (Part::Lit(_), Some(chars)) => {
                    let mut out = String::new();
                    for (i, &c) in chars.iter().enumerate() {
                        match positions.iter().position(|&pos| pos == (pi, i)) {
                            Some(k) => out.push(choice(k)),
                            None => out.push(c),
                        }
                    }
                    Part::Lit(out)
                }
                (other, _) => other.clone(),
            })
            .collect()
    };
    let mut variants: Vec<Vec<Part>> = Vec::new();
    if positions.len() > WINDASH_MAX_POSITIONS {
        for c in WINDASH_CHARS {
            variants.push(build(&|_| c));
        }
    } else {
        let total = WINDASH_CHARS.len().pow(positions.len() as u32);
        for combo in 0..total {
            let pick = |k: usize| -> char {
                let digit = combo / WINDASH_CHARS.len().pow(k as u32) % WINDASH_CHARS.len();
                WINDASH_CHARS.get(digit).copied().unwrap_or('-')
            };
            variants.push(build(&pick));
        }
    }
    let mut unique: Vec<Vec<Part>> = Vec::with_capacity(variants.len());
    for v in variants {
        if !unique.contains(&v) {
            unique.push(v);
        }
    }
    unique
}

fn utf16(text: &[u8], big_endian: bool, bom: bool) -> Result<Vec<u8>, CompileError> {
    let s = std::str::from_utf8(text).map_err(|_| "utf16 of non-UTF-8 bytes".to_string())?;
    let mut out = Vec::new();
    if bom {
        out.extend_from_slice(&[0xFF, 0xFE]);
    }
    for unit in s.encode_utf16() {
        if big_endian {
            out.extend_from_slice(&unit.to_be_bytes());
        } else {
            out.extend_from_slice(&unit.to_le_bytes());
        }
    }
    Ok(out)
}

/// Compiles parts (already folded when case-insensitive) into a pattern plus its needle.
fn compile_parts(parts: &[Part]) -> Result<(Pat, Option<String>), CompileError> {
    let longest = parts
        .iter()
        .filter_map(|p| match p {
            Part::Lit(s) => Some(s.clone()),
            _ => None,
        })
        .max_by_key(String::len);
    match parts {
        [] => Ok((Pat::Exact(String::new()), None)),
        [Part::Star] => Ok((Pat::Any, None)),
        [Part::Lit(s)] => Ok((Pat::Exact(s.clone()), None)),
        [Part::Lit(s), Part::Star] => Ok((Pat::Prefix(s.clone()), None)),
        [Part::Star, Part::Lit(s)] => Ok((Pat::Suffix(s.clone()), None)),
        [Part::Star, Part::Lit(s), Part::Star] => Ok((Pat::Contains(s.clone()), None)),
        _ => {
            let mut re = String::from("(?s)^");
            for p in parts {
                match p {
                    Part::Lit(s) => re.push_str(&regex::escape(s)),
                    Part::Star => re.push_str(".*"),
                    Part::One => re.push('.'),
                }
            }
            re.push('$');
            let compiled = Regex::new(&re).map_err(|e| format!("wildcard pattern: {e}"))?;
            Ok((Pat::Glob(compiled), longest))
        }
    }
}

fn fold_parts(parts: Vec<Part>) -> Vec<Part> {
    parts
        .into_iter()
        .map(|p| match p {
            Part::Lit(s) => Part::Lit(fold(&s).into_owned()),
            other => other,
        })
        .collect()
}

/// Replaces `%name%` placeholders with every configured value (the `expand` modifier).
fn expand_placeholders(
    text: &str,
    placeholders: &HashMap<String, Vec<String>>,
) -> Result<Vec<String>, CompileError> {
    let mut results = vec![String::new()];
    let mut rest = text;
    while let Some(start) = rest.find('%') {
        let after = rest.get(start + 1..).unwrap_or("");
        let Some(len) = after.find('%') else { break };
        let name = after.get(..len).unwrap_or("");
        let prefix = rest.get(..start).unwrap_or("");
        let values = placeholders.get(name).ok_or_else(|| {
            format!("`expand` placeholder `%{name}%` has no values in the configuration")
        })?;
        let mut next = Vec::new();
        for r in &results {
            for v in values {
                next.push(format!("{r}{prefix}{v}"));
            }
        }
        results = next;
        rest = after.get(len + 1..).unwrap_or("");
    }
    for r in &mut results {
        r.push_str(rest);
    }
    Ok(results)
}

/// Compiles one detection entry: `key` is `Field|mod|...` (or empty / `|mod` for keywords).
pub(crate) fn compile_field(
    key: &str,
    value: &serde_json::Value,
    placeholders: &HashMap<String, Vec<String>>,
) -> Result<FieldTest, CompileError> {
    let mut segments = key.split('|');
    let field_name = segments.next().unwrap_or("").trim();
    let mut mods = Vec::new();
    for m in segments {
        mods.push(
            Modifier::parse(m.trim())
                .ok_or_else(|| format!("unsupported modifier `{m}` in `{key}`"))?,
        );
    }
    let field = (!field_name.is_empty()).then(|| field_name.to_string());
    let raw_values: Vec<&serde_json::Value> = match value {
        serde_json::Value::Array(items) => items.iter().collect(),
        other => vec![other],
    };
    if raw_values.is_empty() {
        return Err(format!("`{key}` has an empty value list"));
    }
    compile_values(key, field, &mods, &raw_values, placeholders)
}

/// Compiles a keyword list (full-text search): every value is a `contains` match.
pub(crate) fn compile_keywords(
    values: &[&serde_json::Value],
    placeholders: &HashMap<String, Vec<String>>,
) -> Result<FieldTest, CompileError> {
    compile_values("keywords", None, &[], values, placeholders)
}

fn compile_values(
    key: &str,
    field: Option<String>,
    mods: &[Modifier],
    raw_values: &[&serde_json::Value],
    placeholders: &HashMap<String, Vec<String>>,
) -> Result<FieldTest, CompileError> {
    let has = |m: Modifier| mods.contains(&m);
    let all = has(Modifier::All);
    let cased = has(Modifier::Cased);
    let neq = has(Modifier::Neq);
    let is_keyword = field.is_none();
    let mut tests = Vec::new();

    if has(Modifier::Exists) {
        let [serde_json::Value::Bool(want)] = raw_values else {
            return Err(format!("`{key}`: `exists` takes `true` or `false`"));
        };
        if is_keyword {
            return Err("`exists` needs a field".into());
        }
        return Ok(FieldTest {
            field,
            all: false,
            tests: vec![ValueTest::Exists(*want)],
        });
    }

    let num_op = mods.iter().find_map(|m| match m {
        Modifier::Gt => Some(NumOp::Gt),
        Modifier::Gte => Some(NumOp::Gte),
        Modifier::Lt => Some(NumOp::Lt),
        Modifier::Lte => Some(NumOp::Lte),
        _ => None,
    });

    let mut str_pats: Vec<Pat> = Vec::new();
    let mut glob_needles: Vec<Option<String>> = Vec::new();
    let wrap = |t: ValueTest| if neq { ValueTest::Not(Box::new(t)) } else { t };

    for raw in raw_values {
        if raw.is_null() {
            if is_keyword {
                return Err("a keyword cannot be null".into());
            }
            tests.push(wrap(ValueTest::Null));
            continue;
        }
        let Some(text) = scalar_text(raw) else {
            return Err(format!(
                "`{key}`: a value must be a string, number, boolean or null, not a map or list"
            ));
        };
        if let Some(part) = mods.iter().find_map(|m| match m {
            Modifier::Time(p) => Some(*p),
            _ => None,
        }) {
            let n: f64 = text
                .parse()
                .map_err(|_| format!("`{key}`: `{text}` is not a number"))?;
            tests.push(wrap(ValueTest::Time(part, num_op, n)));
            continue;
        }
        if let Some(op) = num_op {
            let n: f64 = text
                .parse()
                .map_err(|_| format!("`{key}`: `{text}` is not a number"))?;
            tests.push(wrap(ValueTest::Num(op, n)));
            continue;
        }
        if has(Modifier::Re) {
            let mut flags = String::new();
            if has(Modifier::ReI) {
                flags.push('i');
            }
            if has(Modifier::ReM) {
                flags.push('m');
            }
            if has(Modifier::ReS) {
                flags.push('s');
            }
            let pattern = if flags.is_empty() {
                text.clone()
            } else {
                format!("(?{flags}){text}")
            };
            let re = Regex::new(&pattern).map_err(|e| {
                format!(
                    "`{key}`: regular expression not supported: {}",
                    first_line(&e.to_string())
                )
            })?;
            tests.push(wrap(ValueTest::Regex(re)));
            continue;
        }
        if has(Modifier::Cidr) {
            let net = Cidr::parse(&text)
                .ok_or_else(|| format!("`{key}`: `{text}` is not a CIDR network"))?;
            tests.push(wrap(ValueTest::Cidr(vec![net])));
            continue;
        }
        if has(Modifier::FieldRef) {
            let mode = if has(Modifier::Contains) {
                RefMode::Contains
            } else if has(Modifier::StartsWith) {
                RefMode::StartsWith
            } else if has(Modifier::EndsWith) {
                RefMode::EndsWith
            } else {
                RefMode::Equal
            };
            if is_keyword {
                return Err("`fieldref` needs a field".into());
            }
            tests.push(wrap(ValueTest::FieldRef {
                other: text,
                mode,
                cased,
            }));
            continue;
        }
        let texts = if has(Modifier::Expand) {
            expand_placeholders(&text, placeholders)?
        } else {
            vec![text]
        };
        let mut alternatives: Vec<Encoded> = texts
            .iter()
            .map(|t| {
                // Numbers and booleans never carry wildcards.
                if raw.is_string() {
                    Encoded::Text(parse_wildcards(t))
                } else {
                    Encoded::Text(vec![Part::Lit(t.clone())])
                }
            })
            .collect();
        if is_keyword {
            alternatives = alternatives
                .iter()
                .map(|v| wrap_parts(v, true, true))
                .collect();
        }
        for m in mods {
            alternatives = apply_modifier(*m, alternatives)?;
        }
        let mut value_pats = Vec::new();
        let mut value_needles = Vec::new();
        for alt in alternatives {
            let parts = text_of(&alt);
            let parts = if cased { parts } else { fold_parts(parts) };
            let (pat, needle) = compile_parts(&parts)?;
            if matches!(pat, Pat::Glob(_)) {
                value_needles.push(needle);
            }
            value_pats.push(pat);
        }
        if all || neq {
            tests.push(wrap(ValueTest::Str(StrMatcher::new(
                cased,
                value_pats,
                value_needles,
            ))));
        } else {
            str_pats.extend(value_pats);
            glob_needles.extend(value_needles);
        }
    }
    if !str_pats.is_empty() {
        tests.push(ValueTest::Str(StrMatcher::new(
            cased,
            str_pats,
            glob_needles,
        )));
    }
    // `neq` over several values means "none of them": every negated test must hold.
    Ok(FieldTest {
        field,
        all: all || neq,
        tests,
    })
}

fn first_line(s: &str) -> String {
    s.lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or(s)
        .trim()
        .to_string()
}

fn wrap_parts(v: &Encoded, front: bool, back: bool) -> Encoded {
    let mut parts = text_of(v);
    if front && !matches!(parts.first(), Some(Part::Star)) {
        parts.insert(0, Part::Star);
    }
    if back && !matches!(parts.last(), Some(Part::Star)) {
        parts.push(Part::Star);
    }
    Encoded::Text(parts)
}

fn apply_modifier(m: Modifier, values: Vec<Encoded>) -> Result<Vec<Encoded>, CompileError> {
    let mut out = Vec::with_capacity(values.len());
    for v in values {
        match m {
            Modifier::Contains => out.push(wrap_parts(&v, true, true)),
            Modifier::StartsWith => out.push(wrap_parts(&v, false, true)),
            Modifier::EndsWith => out.push(wrap_parts(&v, true, false)),
            Modifier::Windash => {
                out.extend(
                    windash_variants(&text_of(&v))
                        .into_iter()
                        .map(Encoded::Text),
                );
            }
            Modifier::Base64 => {
                let bytes = encoded_bytes(&v, "base64")?;
                out.push(Encoded::Text(vec![Part::Lit(b64(&bytes))]));
            }
            Modifier::Base64Offset => {
                let bytes = encoded_bytes(&v, "base64offset")?;
                out.extend(
                    base64_offsets(&bytes)
                        .into_iter()
                        .map(|s| Encoded::Text(vec![Part::Lit(s)])),
                );
            }
            Modifier::Utf16le => out.push(Encoded::Bytes(utf16(
                &encoded_bytes(&v, "utf16le")?,
                false,
                false,
            )?)),
            Modifier::Utf16be => out.push(Encoded::Bytes(utf16(
                &encoded_bytes(&v, "utf16be")?,
                true,
                false,
            )?)),
            Modifier::Utf16 => out.push(Encoded::Bytes(utf16(
                &encoded_bytes(&v, "utf16")?,
                false,
                true,
            )?)),
            // Handled by compile_values or purely flags.
            _ => out.push(v),
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wildcard_escapes() {
        assert_eq!(parse_wildcards(r"a\*b"), vec![Part::Lit("a*b".into())]);
        assert_eq!(
            parse_wildcards(r"a\\*"),
            vec![Part::Lit(r"a\".into()), Part::Star]
        );
        assert_eq!(
            parse_wildcards(r"\reg.exe"),
            vec![Part::Lit(r"\reg.exe".into())]
        );
        assert_eq!(
            parse_wildcards("a?b*"),
            vec![
                Part::Lit("a".into()),
                Part::One,
                Part::Lit("b".into()),
                Part::Star
            ]
        );
    }

    #[test]
    fn base64offset_matches_pysigma() {
        // pySigma: `/bin/bash` base64offset|contains → L2Jpbi9iYXNo, 9iaW4vYmFza, vYmluL2Jhc2
        assert_eq!(
            base64_offsets(b"/bin/bash"),
            vec!["L2Jpbi9iYXNo", "9iaW4vYmFza", "vYmluL2Jhc2"]
        );
    }

    #[test]
    fn cidr_contains() {
        let net = Cidr::parse("10.0.0.0/8").expect("net");
        assert!(net.contains("10.1.2.3".parse().expect("ip")));
        assert!(!net.contains("11.1.2.3".parse().expect("ip")));
        let v6 = Cidr::parse("fe80::/10").expect("net");
        assert!(v6.contains("fe80::1".parse().expect("ip")));
        assert!(
            Cidr::parse("0.0.0.0/0").is_some_and(|n| n.contains("1.2.3.4".parse().expect("ip")))
        );
    }

    #[test]
    fn windash_variants_permute_parameter_dashes() {
        let v = windash_variants(&parse_wildcards("-v foo-bar"));
        assert_eq!(v.len(), 5);
        assert!(v.contains(&vec![Part::Lit("/v foo-bar".into())]));
        assert!(v.contains(&vec![Part::Lit("\u{2013}v foo-bar".into())]));
        // Two parameters: all 25 permutations, as pySigma expands them.
        let v = windash_variants(&parse_wildcards("-a -b"));
        assert_eq!(v.len(), 25);
        assert!(v.contains(&vec![Part::Lit("-a /b".into())]));
        assert_eq!(windash_variants(&parse_wildcards("a-b")).len(), 1);
    }
}
