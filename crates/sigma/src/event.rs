//! The event abstraction Sigma rules are evaluated against, and its implementation over
//! `serde_json::Value` with dotted paths, array fan-out, a field-mapping table and an optional
//! leaf-name fallback.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::collections::HashMap;

/// One value an event holds for a field.
#[derive(Debug, Clone, PartialEq)]
pub enum FieldValue<'a> {
    /// A string.
    Str(Cow<'a, str>),
    /// A number.
    Num(f64),
    /// A boolean.
    Bool(bool),
    /// JSON `null`.
    Null,
    /// A map or list that is not a leaf: it exists, but only `*` and `exists` match it.
    Object,
}

impl FieldValue<'_> {
    /// Calls `f` with the value's text (numbers and booleans as written in JSON).
    pub fn with_text<R>(&self, f: impl FnOnce(&str) -> R) -> R {
        match self {
            FieldValue::Str(s) => f(s),
            FieldValue::Num(n) => f(&n.to_string()),
            FieldValue::Bool(b) => f(if *b { "true" } else { "false" }),
            FieldValue::Null => f("null"),
            FieldValue::Object => f(""),
        }
    }

    /// The numeric value: numbers, and strings that parse as numbers.
    pub fn as_number(&self) -> Option<f64> {
        match self {
            FieldValue::Num(n) => Some(*n),
            FieldValue::Str(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
}

/// Zero or more values of one field (several when a path fans out over an array).
pub type FieldValues<'a> = Vec<FieldValue<'a>>;

/// What a Sigma rule can ask of an event.
pub trait Event {
    /// Every value of the field `name` (a Sigma field name, resolved by the implementation).
    fn field(&self, name: &str) -> FieldValues<'_>;
    /// Every string leaf of the event, for keyword (full-text) searches.
    fn keywords(&self) -> impl Iterator<Item = &str>;
}

/// How Sigma field names resolve to JSON paths. Deserialisable from configuration, e.g. YAML
/// `{paths: {Image: [process.executable]}, leaf_fallback: true}`; merge it onto a default with
/// [`FieldMap::merge`].
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FieldMap {
    /// Sigma name → JSON paths (dotted; arrays fan out). Names absent here are used as paths.
    pub paths: HashMap<String, Vec<String>>,
    /// When a name resolves to nothing, look for object keys with exactly this name anywhere.
    pub leaf_fallback: bool,
}

impl FieldMap {
    /// Identity mapping: Sigma names are dotted JSON paths (`objectRef.resource`).
    pub fn raw() -> FieldMap {
        FieldMap::default()
    }

    /// Generic JSON: dotted paths, then any key of that name anywhere in the document.
    pub fn generic() -> FieldMap {
        FieldMap {
            paths: HashMap::new(),
            leaf_fallback: true,
        }
    }

    /// Adds `other`'s paths in front of this map's (so configured paths are tried first) and
    /// turns the leaf fallback on when either has it.
    pub fn merge(mut self, other: FieldMap) -> FieldMap {
        for (name, mut paths) in other.paths {
            let entry = self.paths.entry(name).or_default();
            for p in entry.drain(..) {
                if !paths.contains(&p) {
                    paths.push(p);
                }
            }
            *entry = paths;
        }
        self.leaf_fallback |= other.leaf_fallback;
        self
    }

    /// Adds (or extends) a mapping from a Sigma name to JSON paths.
    pub fn with(mut self, name: &str, paths: &[&str]) -> FieldMap {
        self.paths
            .entry(name.to_string())
            .or_default()
            .extend(paths.iter().map(|p| p.to_string()));
        self
    }
}

/// Keys anywhere in a document → their values; keys with spaces also under their space-less
/// form (Windows Defender's `Source Name` answers Sigma's `SourceName`).
#[derive(Default)]
struct LeafIndex<'a> {
    exact: HashMap<&'a str, Vec<&'a serde_json::Value>>,
    despaced: HashMap<String, Vec<&'a serde_json::Value>>,
}

/// A `serde_json::Value` seen through a [`FieldMap`].
pub struct JsonEvent<'a> {
    root: &'a serde_json::Value,
    map: &'a FieldMap,
    leaves: OnceCell<LeafIndex<'a>>,
    strings: OnceCell<Vec<&'a str>>,
}

impl<'a> JsonEvent<'a> {
    /// Wraps a parsed event.
    pub fn new(root: &'a serde_json::Value, map: &'a FieldMap) -> JsonEvent<'a> {
        JsonEvent {
            root,
            map,
            leaves: OnceCell::new(),
            strings: OnceCell::new(),
        }
    }

    fn leaf_index(&self) -> &LeafIndex<'a> {
        self.leaves.get_or_init(|| {
            let mut index = LeafIndex::default();
            let mut stack = vec![self.root];
            while let Some(v) = stack.pop() {
                match v {
                    serde_json::Value::Object(m) => {
                        for (k, child) in m {
                            index.exact.entry(k.as_str()).or_default().push(child);
                            if k.contains(' ') {
                                index
                                    .despaced
                                    .entry(k.replace(' ', ""))
                                    .or_default()
                                    .push(child);
                            }
                            stack.push(child);
                        }
                    }
                    serde_json::Value::Array(items) => stack.extend(items.iter()),
                    _ => {}
                }
            }
            index
        })
    }
}

/// Resolves a dotted path with fan-out over arrays; a key containing dots is tried whole first.
fn resolve<'v>(value: &'v serde_json::Value, path: &str, out: &mut Vec<&'v serde_json::Value>) {
    match value {
        serde_json::Value::Array(items) => {
            for item in items {
                resolve(item, path, out);
            }
        }
        serde_json::Value::Object(map) => {
            if let Some(v) = map.get(path) {
                out.push(v);
                return;
            }
            let mut split_at = path.find('.');
            while let Some(i) = split_at {
                let (head, tail) = (path.get(..i).unwrap_or(""), path.get(i + 1..).unwrap_or(""));
                if let Some(child) = map.get(head) {
                    resolve(child, tail, out);
                    return;
                }
                split_at = path
                    .get(i + 1..)
                    .and_then(|t| t.find('.'))
                    .map(|j| i + 1 + j);
            }
        }
        _ => {}
    }
}

/// Turns resolved JSON values into field values, fanning out over arrays.
fn push_values<'v>(v: &'v serde_json::Value, out: &mut FieldValues<'v>) {
    match v {
        serde_json::Value::String(s) => out.push(FieldValue::Str(Cow::Borrowed(s))),
        serde_json::Value::Number(n) => out.push(
            n.as_f64()
                .map_or(FieldValue::Str(Cow::Owned(n.to_string())), FieldValue::Num),
        ),
        serde_json::Value::Bool(b) => out.push(FieldValue::Bool(*b)),
        serde_json::Value::Null => out.push(FieldValue::Null),
        serde_json::Value::Array(items) => {
            if items.is_empty() {
                out.push(FieldValue::Object);
            }
            for item in items {
                push_values(item, out);
            }
        }
        serde_json::Value::Object(_) => out.push(FieldValue::Object),
    }
}

impl Event for JsonEvent<'_> {
    fn field(&self, name: &str) -> FieldValues<'_> {
        let mut found = Vec::new();
        match self.map.paths.get(name) {
            Some(paths) => {
                for p in paths {
                    resolve(self.root, p, &mut found);
                }
            }
            None => resolve(self.root, name, &mut found),
        }
        if found.is_empty() && self.map.leaf_fallback {
            let leaf = name.rsplit('.').next().unwrap_or(name);
            let index = self.leaf_index();
            if let Some(vs) = index.exact.get(leaf).or_else(|| index.despaced.get(leaf)) {
                found.extend(vs.iter().copied());
            }
        }
        let mut out = Vec::with_capacity(found.len());
        for v in found {
            push_values(v, &mut out);
        }
        out
    }

    fn keywords(&self) -> impl Iterator<Item = &str> {
        self.strings
            .get_or_init(|| {
                let mut out = Vec::new();
                let mut stack = vec![self.root];
                while let Some(v) = stack.pop() {
                    match v {
                        serde_json::Value::String(s) => out.push(s.as_str()),
                        serde_json::Value::Object(m) => stack.extend(m.values()),
                        serde_json::Value::Array(items) => stack.extend(items.iter()),
                        _ => {}
                    }
                }
                out
            })
            .iter()
            .copied()
    }
}

/// An event with derived fields laid over it: names found in `derived` (a JSON object, dotted
/// paths, arrays fan out) answer from there, all others from the base event. This is how
/// jobwarden's judgement of an event (privileged, host namespaces, decoded commands, runs per
/// day, ...) becomes visible to Sigma rules; keep derived names in their own namespace (e.g.
/// `jobwarden.privileged`) so they never shadow raw fields.
pub struct OverlayEvent<'a, E: Event + ?Sized> {
    base: &'a E,
    derived: &'a serde_json::Value,
}

impl<'a, E: Event + ?Sized> OverlayEvent<'a, E> {
    /// Lays `derived` over `base`.
    pub fn new(base: &'a E, derived: &'a serde_json::Value) -> OverlayEvent<'a, E> {
        OverlayEvent { base, derived }
    }
}

impl<E: Event + ?Sized> Event for OverlayEvent<'_, E> {
    fn field(&self, name: &str) -> FieldValues<'_> {
        let mut found = Vec::new();
        resolve(self.derived, name, &mut found);
        if found.is_empty() {
            return self.base.field(name);
        }
        let mut out = Vec::with_capacity(found.len());
        for v in found {
            push_values(v, &mut out);
        }
        out
    }

    fn keywords(&self) -> impl Iterator<Item = &str> {
        self.base.keywords()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn dotted_paths_fan_out_over_arrays() {
        let v = json!({"requestObject": {"spec": {"containers": [{"image": "a"}, {"image": "b"}]}}, "a.b": 1});
        let map = FieldMap::raw();
        let e = JsonEvent::new(&v, &map);
        assert_eq!(e.field("requestObject.spec.containers.image").len(), 2);
        assert_eq!(e.field("a.b"), vec![FieldValue::Num(1.0)]);
        assert!(e.field("image").is_empty());
        let generic = FieldMap::generic();
        assert_eq!(JsonEvent::new(&v, &generic).field("image").len(), 2);
    }

    #[test]
    fn field_maps_load_from_config_and_merge() {
        let cfg: FieldMap =
            serde_json::from_value(json!({"paths": {"Image": ["proc.exe"]}})).expect("map");
        let merged = FieldMap::raw().with("Image", &["Image"]).merge(cfg);
        assert_eq!(
            merged.paths.get("Image"),
            Some(&vec!["proc.exe".to_string(), "Image".to_string()])
        );
        assert!(!merged.leaf_fallback);
        assert!(serde_json::from_value::<FieldMap>(json!({"pathz": {}})).is_err());
    }

    #[test]
    fn overlay_answers_derived_names_first() {
        let raw = json!({"verb": "create", "jobwarden": {"privileged": false}});
        let derived = json!({"jobwarden": {"privileged": true, "images": ["a", "b"]}});
        let map = FieldMap::raw();
        let base = JsonEvent::new(&raw, &map);
        let e = OverlayEvent::new(&base, &derived);
        assert_eq!(
            e.field("jobwarden.privileged"),
            vec![FieldValue::Bool(true)]
        );
        assert_eq!(e.field("jobwarden.images").len(), 2);
        assert_eq!(
            e.field("verb"),
            vec![FieldValue::Str(Cow::Borrowed("create"))]
        );
    }
}
