//! Compiled Sigma rules: detection rules (selections + condition) and correlation rules, and
//! the compilation of one YAML document (already merged with its collection's `global`) into one.

use crate::condition::{self, Cond};
use crate::event::Event;
use crate::requirement::{Cnf, FieldText, Requirement, or_cnf};
use crate::value::{self, FieldTest};
use serde_json::Value;
use std::collections::HashMap;

/// A Sigma `level`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// `informational`
    Informational,
    /// `low`
    Low,
    /// `medium`
    Medium,
    /// `high`
    High,
    /// `critical`
    Critical,
}

impl Level {
    fn parse(text: &str) -> Option<Level> {
        Some(match text.to_ascii_lowercase().as_str() {
            "informational" | "info" => Level::Informational,
            "low" => Level::Low,
            "medium" => Level::Medium,
            "high" => Level::High,
            "critical" => Level::Critical,
            _ => return None,
        })
    }
}

/// A rule's `logsource`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Logsource {
    /// `product`, e.g. `kubernetes`, `linux`, `windows`.
    pub product: Option<String>,
    /// `category`, e.g. `process_creation`.
    pub category: Option<String>,
    /// `service`, e.g. `audit`.
    pub service: Option<String>,
}

/// Which jobwarden event stream a rule's logsource binds it to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Binding {
    /// `product: kubernetes, service: audit`: raw audit events, raw field names.
    K8sAudit,
    /// `product: linux, category: process_creation`: host process events, Sigma taxonomy names.
    HostProcess,
    /// `product: linux, category: file_event`: host file events, Sigma taxonomy names.
    HostFile,
    /// Anything else: only evaluated in generic JSON mode.
    Other,
}

impl Logsource {
    /// The event stream this logsource binds to.
    pub fn binding(&self) -> Binding {
        let is = |v: &Option<String>, want: &str| {
            v.as_deref().is_some_and(|x| x.eq_ignore_ascii_case(want))
        };
        if is(&self.product, "kubernetes") && is(&self.service, "audit") {
            Binding::K8sAudit
        } else if is(&self.product, "linux") && is(&self.category, "process_creation") {
            Binding::HostProcess
        } else if is(&self.product, "linux") && is(&self.category, "file_event") {
            Binding::HostFile
        } else {
            Binding::Other
        }
    }
}

/// A selection: a map is an AND of field tests, a list an OR of its items.
#[derive(Debug, Clone)]
pub(crate) enum Selection {
    All(Vec<FieldTest>),
    Any(Vec<Selection>),
}

impl Selection {
    fn eval<E: Event + ?Sized>(&self, event: &E) -> bool {
        match self {
            Selection::All(tests) => tests.iter().all(|t| t.eval(event)),
            Selection::Any(items) => items.iter().any(|s| s.eval(event)),
        }
    }

    /// The selection's value when it does not depend on the event (`fixed` decides field tests).
    fn constant(&self, fixed: &dyn Fn(&FieldTest) -> Option<bool>) -> Option<bool> {
        let results: Vec<Option<bool>> = match self {
            Selection::All(tests) => tests.iter().map(fixed).collect(),
            Selection::Any(items) => items.iter().map(|s| s.constant(fixed)).collect(),
        };
        match self {
            Selection::All(_) if results.contains(&Some(false)) => Some(false),
            Selection::All(_) if results.iter().all(|r| *r == Some(true)) => Some(true),
            Selection::Any(_) if results.contains(&Some(true)) => Some(true),
            Selection::Any(_) if results.iter().all(|r| *r == Some(false)) => Some(false),
            _ => None,
        }
    }

    /// Requirement clauses (see [`crate::Requirement`]); `text_of` says how a field's values
    /// show in the line (None: keyword searches).
    fn clauses(&self, text_of: &dyn Fn(Option<&str>) -> FieldText) -> Cnf {
        match self {
            Selection::All(tests) => tests
                .iter()
                .flat_map(|t| t.clauses(&text_of(t.field.as_deref())))
                .collect(),
            Selection::Any(items) => or_cnf(items.iter().map(|s| s.clauses(text_of))),
        }
    }

    fn needles(&self, key_of: &dyn Fn(&str) -> Option<String>) -> Option<Vec<String>> {
        match self {
            Selection::All(tests) => best(
                tests
                    .iter()
                    .map(|t| t.raw_needles(t.field.as_deref().and_then(key_of).as_deref())),
            ),
            Selection::Any(items) => union(items.iter().map(|s| s.needles(key_of))),
        }
    }
}

/// For an AND: the usable needle set whose shortest needle is longest.
pub(crate) fn best(sets: impl Iterator<Item = Option<Vec<String>>>) -> Option<Vec<String>> {
    sets.flatten().max_by_key(|n| {
        (
            n.iter().map(String::len).min().unwrap_or(0),
            usize::MAX - n.len(),
        )
    })
}

/// For an OR: every branch needs a needle set; the result is their union.
pub(crate) fn union(sets: impl Iterator<Item = Option<Vec<String>>>) -> Option<Vec<String>> {
    let mut out = Vec::new();
    for s in sets {
        out.extend(s?);
    }
    Some(out)
}

/// A field a rule reads, with the plain string values it compares it to (for `rules lint`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldUse {
    /// The Sigma field name.
    pub name: String,
    /// The detection key as written (`name|mod|...`).
    pub key: String,
    /// 1-based line of the key in the rule file (the document's line when not found).
    pub line: usize,
    /// The modifiers written after the name.
    pub modifiers: Vec<String>,
    /// The values written as YAML strings.
    pub string_values: Vec<String>,
}

/// A compiled Sigma detection rule.
#[derive(Debug, Clone)]
pub struct DetectionRule {
    /// `id`, or the title when the rule has no id.
    pub id: String,
    /// `name` (used by correlation rules to refer to it).
    pub name: Option<String>,
    /// `title`.
    pub title: String,
    /// `level`.
    pub level: Option<Level>,
    /// `status`.
    pub status: Option<String>,
    /// `tags`.
    pub tags: Vec<String>,
    /// `logsource`.
    pub logsource: Logsource,
    /// The rule file, as given to the loader.
    pub file: String,
    /// 1-based line where the rule's document starts.
    pub line: usize,
    /// Fields the detection reads.
    pub fields: Vec<FieldUse>,
    /// Whether the rule uses keyword (full-text) searches.
    pub uses_keywords: bool,
    pub(crate) selections: Vec<Selection>,
    pub(crate) condition: Cond,
}

impl DetectionRule {
    /// Does the event match?
    pub fn matches<E: Event + ?Sized>(&self, event: &E) -> bool {
        let sels = &self.selections;
        self.condition
            .eval(&mut |i| sels.get(i).is_some_and(|s| s.eval(event)))
    }

    /// Could the rule fire at all, given `fixed`, which decides field tests whose outcome does
    /// not depend on the event (None: unknown)? Free selections are tried both ways (up to 2^12
    /// assignments; beyond that the answer is a conservative true).
    pub(crate) fn can_fire(&self, fixed: &dyn Fn(&FieldTest) -> Option<bool>) -> bool {
        let constants: Vec<Option<bool>> =
            self.selections.iter().map(|s| s.constant(fixed)).collect();
        let free: Vec<usize> = (0..constants.len())
            .filter(|i| constants.get(*i) == Some(&None))
            .collect();
        if free.len() > 12 {
            return true;
        }
        (0u32..(1u32 << free.len())).any(|bits| {
            self.condition
                .eval(&mut |i| match constants.get(i).copied().flatten() {
                    Some(v) => v,
                    None => free
                        .iter()
                        .position(|f| *f == i)
                        .is_some_and(|k| bits & (1 << k) != 0),
                })
        })
    }

    /// What every matching event's raw JSON line must contain, as clauses (see
    /// [`crate::Requirement`]); `text_of` says how a field's values show in the line (None:
    /// keyword searches). None when nothing is certain: such a rule must see every event.
    pub(crate) fn requirement_with(
        &self,
        text_of: &dyn Fn(Option<&str>) -> FieldText,
    ) -> Option<Requirement> {
        fn walk(c: &Cond, sels: &[Selection], text_of: &dyn Fn(Option<&str>) -> FieldText) -> Cnf {
            match c {
                Cond::Sel(i) => sels.get(*i).map(|s| s.clauses(text_of)).unwrap_or_default(),
                Cond::Not(_) => Vec::new(),
                Cond::And(cs) => cs.iter().flat_map(|c| walk(c, sels, text_of)).collect(),
                Cond::Or(cs) => or_cnf(cs.iter().map(|c| walk(c, sels, text_of))),
            }
        }
        Requirement::from_cnf(walk(&self.condition, &self.selections, text_of))
    }

    /// Raw-JSON needles one of which every matching event's (ASCII-lowercased) JSON text
    /// contains; None when no such set exists. See the crate docs for the contract.
    pub fn needles(&self) -> Option<Vec<String>> {
        self.needles_with(&|_| None)
    }

    /// [`DetectionRule::needles`] where `key_of(field)` may give the JSON key (lowercase) that
    /// immediately holds the field's scalar value in compact JSON, for `"key":"value"` needles.
    pub fn needles_with(&self, key_of: &dyn Fn(&str) -> Option<String>) -> Option<Vec<String>> {
        fn walk(
            c: &Cond,
            sels: &[Selection],
            key_of: &dyn Fn(&str) -> Option<String>,
        ) -> Option<Vec<String>> {
            match c {
                Cond::Sel(i) => sels.get(*i).and_then(|s| s.needles(key_of)),
                Cond::Not(_) => None,
                Cond::And(cs) => best(cs.iter().map(|c| walk(c, sels, key_of))),
                Cond::Or(cs) => union(cs.iter().map(|c| walk(c, sels, key_of))),
            }
        }
        let mut n = walk(&self.condition, &self.selections, key_of)?;
        n.sort();
        n.dedup();
        Some(n)
    }
}

/// The four Sigma v2 correlation types.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrelationType {
    /// `event_count`
    EventCount,
    /// `value_count`
    ValueCount,
    /// `temporal`
    Temporal,
    /// `temporal_ordered`
    TemporalOrdered,
}

/// A correlation `condition`: every bound must hold (`range` gives two).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CountCondition {
    /// `gt`
    pub gt: Option<u64>,
    /// `gte`
    pub gte: Option<u64>,
    /// `lt`
    pub lt: Option<u64>,
    /// `lte`
    pub lte: Option<u64>,
    /// `eq`
    pub eq: Option<u64>,
    /// `field` (value_count).
    pub field: Option<String>,
}

impl CountCondition {
    /// Does a count satisfy every bound?
    pub fn holds(&self, n: u64) -> bool {
        self.gt.is_none_or(|v| n > v)
            && self.gte.is_none_or(|v| n >= v)
            && self.lt.is_none_or(|v| n < v)
            && self.lte.is_none_or(|v| n <= v)
            && self.eq.is_none_or(|v| n == v)
    }

    /// True when only lower bounds are set: the condition can be decided as soon as it holds.
    pub fn is_monotone(&self) -> bool {
        self.lt.is_none() && self.lte.is_none() && self.eq.is_none()
    }
}

/// A compiled Sigma correlation rule.
#[derive(Debug, Clone)]
pub struct CorrelationRule {
    /// `id`, or the title.
    pub id: String,
    /// `name`.
    pub name: Option<String>,
    /// `title`.
    pub title: String,
    /// `level`.
    pub level: Option<Level>,
    /// `tags`.
    pub tags: Vec<String>,
    /// The rule file.
    pub file: String,
    /// 1-based line of the document.
    pub line: usize,
    /// `type`.
    pub kind: CorrelationType,
    /// `rules`: names or ids of the referenced rules, in order.
    pub rules: Vec<String>,
    /// `group-by`.
    pub group_by: Vec<String>,
    /// `timespan`, in seconds.
    pub timespan_secs: i64,
    /// `condition`.
    pub condition: CountCondition,
    /// `aliases`: alias → (rule name or id → field).
    pub aliases: HashMap<String, HashMap<String, String>>,
    /// `generate`: the referenced rules also alert on their own.
    pub generate: bool,
}

/// A compiled Sigma filter rule (Sigma filters specification v2).
#[derive(Debug, Clone)]
pub struct FilterRule {
    /// `id`, or the title.
    pub id: String,
    /// `title`.
    pub title: String,
    /// `logsource`: the filter applies to named rules whose logsource agrees on every field set here.
    pub logsource: Logsource,
    /// The rule file.
    pub file: String,
    /// 1-based line of the document.
    pub line: usize,
    /// `filter.rules`: ids or names of the rules to tune.
    pub rules: Vec<String>,
    pub(crate) selections: Vec<Selection>,
    pub(crate) condition: Cond,
}

impl Logsource {
    /// Does a rule with logsource `rule` fall under this (filter) logsource?
    pub fn covers(&self, rule: &Logsource) -> bool {
        let agree = |mine: &Option<String>, theirs: &Option<String>| match mine {
            None => true,
            Some(m) => theirs.as_deref().is_some_and(|t| t.eq_ignore_ascii_case(m)),
        };
        agree(&self.product, &rule.product)
            && agree(&self.category, &rule.category)
            && agree(&self.service, &rule.service)
    }
}

impl DetectionRule {
    /// Adds a filter: the rule now matches only when the filter's condition does not.
    pub(crate) fn apply_filter(&mut self, filter: &FilterRule) {
        let offset = self.selections.len();
        self.selections.extend(filter.selections.iter().cloned());
        let shifted = filter.condition.shifted(offset);
        let original = std::mem::replace(&mut self.condition, Cond::And(Vec::new()));
        self.condition = Cond::And(vec![original, Cond::Not(Box::new(shifted))]);
    }
}

/// A loaded rule of either kind.
#[derive(Debug, Clone)]
pub enum Rule {
    /// A detection rule.
    Detection(Box<DetectionRule>),
    /// A correlation rule.
    Correlation(Box<CorrelationRule>),
    /// A filter (meta) rule: `and not` its condition onto the rules it names.
    Filter(Box<FilterRule>),
}

impl Rule {
    /// The rule id (or title).
    pub fn id(&self) -> &str {
        match self {
            Rule::Detection(r) => &r.id,
            Rule::Correlation(r) => &r.id,
            Rule::Filter(r) => &r.id,
        }
    }
}

/// A compile error with a hint of where it is (text to look for in the document).
#[derive(Debug)]
pub(crate) struct DocError {
    pub(crate) message: String,
    pub(crate) near: Option<String>,
}

fn err(message: impl Into<String>, near: Option<&str>) -> DocError {
    DocError {
        message: message.into(),
        near: near.map(str::to_string),
    }
}

fn get_str(doc: &Value, key: &str) -> Result<Option<String>, DocError> {
    match doc.get(key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(Value::Number(n)) => Ok(Some(n.to_string())),
        Some(_) => Err(err(format!("`{key}` must be a string"), Some(key))),
    }
}

fn get_tags(doc: &Value) -> Result<Vec<String>, DocError> {
    match doc.get("tags") {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(Value::Array(items)) => items
            .iter()
            .map(|t| {
                t.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| err("`tags` must be a list of strings", Some("tags")))
            })
            .collect(),
        Some(_) => Err(err("`tags` must be a list of strings", Some("tags"))),
    }
}

fn get_level(doc: &Value) -> Result<Option<Level>, DocError> {
    match get_str(doc, "level")? {
        None => Ok(None),
        Some(l) => Level::parse(&l).map(Some).ok_or_else(|| {
            err(
                format!("unknown level `{l}` (informational, low, medium, high, critical)"),
                Some("level"),
            )
        }),
    }
}

/// Compiles a detection rule document.
pub(crate) fn compile_detection(
    doc: &Value,
    file: &str,
    line: usize,
    placeholders: &HashMap<String, Vec<String>>,
) -> Result<DetectionRule, DocError> {
    let title = get_str(doc, "title")?;
    let id = get_str(doc, "id")?;
    let Some(title) = title.or_else(|| id.clone()) else {
        return Err(err("rule has neither `title` nor `id`", None));
    };
    let logsource = get_logsource(doc)?;
    let Some(Value::Object(detection)) = doc.get("detection") else {
        return Err(err(
            "`detection` must be a map of selections and a `condition`",
            Some("detection"),
        ));
    };
    if detection.contains_key("timeframe") {
        return Err(err(
            "`timeframe` aggregations are not supported; use a correlation rule",
            Some("timeframe"),
        ));
    }
    let (selections, condition, fields, uses_keywords) =
        compile_body(detection, &["condition"], placeholders)?;
    Ok(DetectionRule {
        id: id.unwrap_or_else(|| title.clone()),
        name: get_str(doc, "name")?,
        title,
        level: get_level(doc)?,
        status: get_str(doc, "status")?,
        tags: get_tags(doc)?,
        logsource,
        file: file.to_string(),
        line,
        fields,
        uses_keywords,
        selections,
        condition,
    })
}

/// What a detection (or filter) body compiles to: selections, condition, fields, keywords.
type Body = (Vec<Selection>, Cond, Vec<FieldUse>, bool);

/// Compiles the selections of a detection-like map (all keys but `skip`) and its `condition`.
fn compile_body(
    map: &serde_json::Map<String, Value>,
    skip: &[&str],
    placeholders: &HashMap<String, Vec<String>>,
) -> Result<Body, DocError> {
    let mut names = Vec::new();
    let mut selections = Vec::new();
    let mut fields = Vec::new();
    let mut uses_keywords = false;
    for (name, body) in map {
        if skip.contains(&name.as_str()) {
            continue;
        }
        let sel = compile_selection(body, placeholders, &mut fields, &mut uses_keywords).map_err(
            |e| DocError {
                message: format!("selection `{name}`: {}", e.message),
                near: e.near.or(Some(name.clone())),
            },
        )?;
        names.push(name.clone());
        selections.push(sel);
    }
    let condition_text = match map.get("condition") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(items)) => {
            let parts: Option<Vec<String>> = items
                .iter()
                .map(|v| v.as_str().map(|s| format!("({s})")))
                .collect();
            parts
                .ok_or_else(|| err("`condition` list must hold strings", Some("condition")))?
                .join(" or ")
        }
        None => return Err(err("`detection` has no `condition`", Some("detection"))),
        Some(_) => return Err(err("`condition` must be a string", Some("condition"))),
    };
    let condition =
        condition::parse(&condition_text, &names).map_err(|m| err(m, Some("condition")))?;
    Ok((selections, condition, fields, uses_keywords))
}

fn compile_selection(
    body: &Value,
    placeholders: &HashMap<String, Vec<String>>,
    fields: &mut Vec<FieldUse>,
    uses_keywords: &mut bool,
) -> Result<Selection, DocError> {
    let is_scalar = |v: &Value| matches!(v, Value::String(_) | Value::Number(_) | Value::Bool(_));
    match body {
        Value::Object(map) => {
            if map.is_empty() {
                return Err(err("empty selection", None));
            }
            let mut tests = Vec::new();
            for (key, v) in map {
                let test =
                    value::compile_field(key, v, placeholders).map_err(|m| err(m, Some(key)))?;
                match &test.field {
                    Some(f) => {
                        let string_values = match v {
                            Value::String(s) => vec![s.clone()],
                            Value::Array(items) => items
                                .iter()
                                .filter_map(|i| i.as_str().map(str::to_string))
                                .collect(),
                            _ => Vec::new(),
                        };
                        let modifiers = key.split('|').skip(1).map(str::to_string).collect();
                        fields.push(FieldUse {
                            name: f.clone(),
                            key: key.clone(),
                            line: 0,
                            modifiers,
                            string_values,
                        });
                    }
                    None => *uses_keywords = true,
                }
                tests.push(test);
            }
            Ok(Selection::All(tests))
        }
        Value::Array(items) if items.is_empty() => Err(err("empty selection list", None)),
        Value::Array(items) if items.iter().all(is_scalar) => {
            *uses_keywords = true;
            let values: Vec<&Value> = items.iter().collect();
            let kw = value::compile_keywords(&values, placeholders).map_err(|m| err(m, None))?;
            Ok(Selection::All(vec![kw]))
        }
        Value::Array(items) => {
            let mut out = Vec::new();
            for item in items {
                match item {
                    Value::Object(_) => out.push(compile_selection(
                        item,
                        placeholders,
                        fields,
                        uses_keywords,
                    )?),
                    v if is_scalar(v) => {
                        *uses_keywords = true;
                        let kw = value::compile_keywords(&[v], placeholders)
                            .map_err(|m| err(m, None))?;
                        out.push(Selection::All(vec![kw]));
                    }
                    _ => {
                        return Err(err(
                            "a selection list may hold maps and keywords only",
                            None,
                        ));
                    }
                }
            }
            Ok(Selection::Any(out))
        }
        v if is_scalar(v) => {
            *uses_keywords = true;
            let kw = value::compile_keywords(&[v], placeholders).map_err(|m| err(m, None))?;
            Ok(Selection::All(vec![kw]))
        }
        _ => Err(err("a selection must be a map, a list or a keyword", None)),
    }
}

fn get_logsource(doc: &Value) -> Result<Logsource, DocError> {
    match doc.get("logsource") {
        Some(ls @ Value::Object(_)) => Ok(Logsource {
            product: get_str(ls, "product")?,
            category: get_str(ls, "category")?,
            service: get_str(ls, "service")?,
        }),
        None => Err(err("rule has no `logsource`", None)),
        Some(_) => Err(err("`logsource` must be a map", Some("logsource"))),
    }
}

/// Compiles a filter rule document.
pub(crate) fn compile_filter(
    doc: &Value,
    file: &str,
    line: usize,
    placeholders: &HashMap<String, Vec<String>>,
) -> Result<FilterRule, DocError> {
    let title = get_str(doc, "title")?;
    let id = get_str(doc, "id")?;
    let Some(title) = title.or_else(|| id.clone()) else {
        return Err(err("filter has neither `title` nor `id`", None));
    };
    let logsource = get_logsource(doc)?;
    let Some(Value::Object(filter)) = doc.get("filter") else {
        return Err(err(
            "`filter` must be a map of `rules`, selections and a `condition`",
            Some("filter"),
        ));
    };
    let rules: Vec<String> = match filter.get("rules") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| err("`rules` must list rule names or ids", Some("rules")))
            })
            .collect::<Result<_, _>>()?,
        _ => return Err(err("filter needs `rules`", Some("filter"))),
    };
    if rules.is_empty() {
        return Err(err("filter `rules` is empty", Some("rules")));
    }
    let (selections, condition, _, _) =
        compile_body(filter, &["condition", "rules"], placeholders)?;
    Ok(FilterRule {
        id: id.unwrap_or_else(|| title.clone()),
        title,
        logsource,
        file: file.to_string(),
        line,
        rules,
        selections,
        condition,
    })
}

/// Parses a Sigma timespan (`30s`, `5m`, `1h`, `2d`, `1w`).
pub(crate) fn parse_timespan(text: &str) -> Option<i64> {
    let text = text.trim();
    let split = text.find(|c: char| !c.is_ascii_digit())?;
    let (num, unit) = text.split_at(split);
    let n: i64 = num.parse().ok()?;
    let mult = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        "w" => 604_800,
        "M" => 2_592_000,
        "y" => 31_536_000,
        _ => return None,
    };
    n.checked_mul(mult).filter(|v| *v > 0)
}

/// Compiles a correlation rule document.
pub(crate) fn compile_correlation(
    doc: &Value,
    file: &str,
    line: usize,
) -> Result<CorrelationRule, DocError> {
    let title = get_str(doc, "title")?;
    let id = get_str(doc, "id")?;
    let Some(title) = title.or_else(|| id.clone()) else {
        return Err(err("correlation rule has neither `title` nor `id`", None));
    };
    let Some(Value::Object(c)) = doc.get("correlation") else {
        return Err(err("`correlation` must be a map", Some("correlation")));
    };
    let cv = Value::Object(c.clone());
    let kind = match get_str(&cv, "type")?.as_deref() {
        Some("event_count") => CorrelationType::EventCount,
        Some("value_count") => CorrelationType::ValueCount,
        Some("temporal") => CorrelationType::Temporal,
        Some("temporal_ordered") => CorrelationType::TemporalOrdered,
        Some(other) => {
            return Err(err(
                format!(
                    "unsupported correlation type `{other}` (event_count, value_count, temporal, temporal_ordered)"
                ),
                Some("type"),
            ));
        }
        None => return Err(err("correlation has no `type`", Some("correlation"))),
    };
    let rules: Vec<String> = match c.get("rules") {
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| err("`rules` must list rule names or ids", Some("rules")))
            })
            .collect::<Result<_, _>>()?,
        _ => return Err(err("correlation needs `rules`", Some("correlation"))),
    };
    if rules.is_empty() {
        return Err(err("correlation `rules` is empty", Some("rules")));
    }
    let group_by: Vec<String> = match c.get("group-by") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::String(s)) => vec![s.clone()],
        Some(Value::Array(items)) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .map(str::to_string)
                    .ok_or_else(|| err("`group-by` must list field names", Some("group-by")))
            })
            .collect::<Result<_, _>>()?,
        Some(_) => return Err(err("`group-by` must list field names", Some("group-by"))),
    };
    let timespan_text = get_str(&cv, "timespan")?
        .ok_or_else(|| err("correlation needs `timespan`", Some("correlation")))?;
    let timespan_secs = parse_timespan(&timespan_text).ok_or_else(|| {
        err(
            format!("invalid timespan `{timespan_text}` (e.g. 30s, 5m, 1h, 2d)"),
            Some("timespan"),
        )
    })?;
    let mut condition = CountCondition::default();
    match c.get("condition") {
        None | Some(Value::Null) => {
            if matches!(
                kind,
                CorrelationType::EventCount | CorrelationType::ValueCount
            ) {
                return Err(err(
                    "event_count and value_count correlations need a `condition`",
                    Some("correlation"),
                ));
            }
        }
        Some(Value::Object(m)) => {
            for (k, v) in m {
                let num = || {
                    v.as_u64().ok_or_else(|| {
                        err(
                            format!("condition `{k}` must be a non-negative integer"),
                            Some(k),
                        )
                    })
                };
                match k.as_str() {
                    "gt" => condition.gt = Some(num()?),
                    "gte" => condition.gte = Some(num()?),
                    "lt" => condition.lt = Some(num()?),
                    "lte" => condition.lte = Some(num()?),
                    "eq" => condition.eq = Some(num()?),
                    "field" => condition.field = v.as_str().map(str::to_string),
                    "range" => {
                        let text = v.as_str().unwrap_or("");
                        let (lo, hi) = text
                            .split_once("..")
                            .and_then(|(a, b)| {
                                Some((a.trim().parse().ok()?, b.trim().parse().ok()?))
                            })
                            .ok_or_else(|| {
                                err(
                                    format!("invalid range `{text}` (expected `min..max`)"),
                                    Some("range"),
                                )
                            })?;
                        condition.gte = Some(lo);
                        condition.lte = Some(hi);
                    }
                    other => {
                        return Err(err(
                            format!("unsupported correlation condition `{other}`"),
                            Some(other),
                        ));
                    }
                }
            }
        }
        Some(_) => {
            return Err(err(
                "correlation `condition` must be a map",
                Some("condition"),
            ));
        }
    }
    let temporal = matches!(
        kind,
        CorrelationType::Temporal | CorrelationType::TemporalOrdered
    );
    if temporal && (condition.lt.is_some() || condition.lte.is_some()) {
        return Err(err(
            "temporal correlations count the rules seen: only `gt`, `gte` and `eq` apply",
            Some("condition"),
        ));
    }
    if kind == CorrelationType::ValueCount && condition.field.is_none() {
        return Err(err(
            "value_count needs `condition.field`",
            Some("condition"),
        ));
    }
    let mut aliases = HashMap::new();
    if let Some(Value::Object(a)) = c.get("aliases") {
        for (alias, mapping) in a {
            let Value::Object(m) = mapping else {
                return Err(err(
                    format!("alias `{alias}` must map rule names to fields"),
                    Some(alias),
                ));
            };
            let mut per_rule = HashMap::new();
            for (rule, field) in m {
                let f = field.as_str().ok_or_else(|| {
                    err(
                        format!("alias `{alias}`: field for `{rule}` must be a string"),
                        Some(alias),
                    )
                })?;
                per_rule.insert(rule.clone(), f.to_string());
            }
            aliases.insert(alias.clone(), per_rule);
        }
    }
    let generate = match c.get("generate").or_else(|| doc.get("generate")) {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(_) => return Err(err("`generate` must be true or false", Some("generate"))),
    };
    Ok(CorrelationRule {
        id: id.unwrap_or_else(|| title.clone()),
        name: get_str(doc, "name")?,
        title,
        level: get_level(doc)?,
        tags: get_tags(doc)?,
        file: file.to_string(),
        line,
        kind,
        rules,
        group_by,
        timespan_secs,
        condition,
        aliases,
        generate,
    })
}
