//! Applying a patch to the last known state of an object.
//!
//! An audit event for `verb=patch` carries the patch body, not the result; when the
//! `responseObject` is missing (Request level) the result must be computed from the last known
//! object. Supported: JSON Patch (RFC 6902), JSON merge patch (RFC 7386), strategic merge patch
//! with the merge keys of pod specs, and server-side apply (the full intended object, merged like
//! a strategic merge patch without directives). Audit events do not record the content type, so
//! [`PatchKind::guess`] infers it from the body.

use serde_json::{Map, Value};

/// The patch formats the API server accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PatchKind {
    /// `application/json-patch+json` (RFC 6902).
    JsonPatch,
    /// `application/merge-patch+json` (RFC 7386).
    MergePatch,
    /// `application/strategic-merge-patch+json`.
    StrategicMerge,
    /// `application/apply-patch+yaml` (server-side apply).
    Apply,
}

impl PatchKind {
    /// The patch kind of a request `Content-Type`, parameters and case ignored.
    pub fn from_content_type(content_type: &str) -> Option<PatchKind> {
        let mime = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        match mime.as_str() {
            "application/json-patch+json" => Some(PatchKind::JsonPatch),
            "application/merge-patch+json" => Some(PatchKind::MergePatch),
            "application/strategic-merge-patch+json" => Some(PatchKind::StrategicMerge),
            "application/apply-patch+yaml"
            | "application/apply-patch+json"
            | "application/apply-patch+cbor" => Some(PatchKind::Apply),
            _ => None,
        }
    }

    /// Guess the kind from the body: an array is a JSON Patch; an object with `$patch`-style
    /// directives is a strategic merge patch; an object naming `apiVersion` and `kind` is an apply
    /// body; any other object is treated as a strategic merge patch (kubectl's default, and a
    /// superset of a merge patch for the fields that matter).
    pub fn guess(patch: &Value) -> PatchKind {
        match patch {
            Value::Array(_) => PatchKind::JsonPatch,
            Value::Object(map) => {
                if has_directive(patch, 0) {
                    PatchKind::StrategicMerge
                } else if map.contains_key("apiVersion") && map.contains_key("kind") {
                    PatchKind::Apply
                } else {
                    PatchKind::StrategicMerge
                }
            }
            _ => PatchKind::MergePatch,
        }
    }
}

fn has_directive(v: &Value, depth: usize) -> bool {
    if depth > 64 {
        return false;
    }
    match v {
        Value::Object(m) => m
            .iter()
            .any(|(k, v)| k.starts_with('$') || has_directive(v, depth + 1)),
        Value::Array(a) => a.iter().any(|v| has_directive(v, depth + 1)),
        _ => false,
    }
}

/// Why a patch could not be applied.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PatchError {
    /// A JSON Patch must be an array of operations.
    #[error("JSON patch must be an array of operations")]
    NotAnArray,
    /// A merge-style patch must be an object.
    #[error("merge patch must be a JSON object, got {0}")]
    NotAnObject(&'static str),
    /// An operation is malformed.
    #[error("JSON patch operation {index}: {reason}")]
    InvalidOperation {
        /// Index of the operation in the array.
        index: usize,
        /// What is wrong.
        reason: String,
    },
    /// A path does not exist where it must.
    #[error("JSON patch operation {index}: path {path:?} does not exist")]
    PathNotFound {
        /// Index of the operation.
        index: usize,
        /// The JSON pointer.
        path: String,
    },
    /// A `test` operation failed: the server would have rejected the whole patch.
    #[error("JSON patch operation {index}: test at {path:?} failed")]
    TestFailed {
        /// Index of the operation.
        index: usize,
        /// The JSON pointer.
        path: String,
    },
    /// The patch nests deeper than we follow.
    #[error("patch nests deeper than {0} levels")]
    TooDeep(usize),
}

/// Deepest nesting followed by the merge algorithms.
const MAX_DEPTH: usize = 128;

/// Apply `patch` of `kind` to `base`, returning the patched object.
pub fn apply_patch(base: &Value, patch: &Value, kind: PatchKind) -> Result<Value, PatchError> {
    // Some producers log the body as a JSON string; decode it when it is one.
    let decoded;
    let patch = match patch {
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(v) => {
                decoded = v;
                &decoded
            }
            Err(_) => patch,
        },
        _ => patch,
    };
    match kind {
        PatchKind::JsonPatch => json_patch(base, patch),
        PatchKind::MergePatch => {
            if !patch.is_object() {
                // RFC 7386: a non-object patch replaces the target.
                return Ok(patch.clone());
            }
            let mut out = base.clone();
            merge_patch(&mut out, patch, 0)?;
            Ok(out)
        }
        PatchKind::StrategicMerge | PatchKind::Apply => {
            let Value::Object(_) = patch else {
                return Err(PatchError::NotAnObject(type_name(patch)));
            };
            let mut out = base.clone();
            if !out.is_object() {
                out = Value::Object(Map::new());
            }
            strategic_merge(&mut out, patch, "", kind == PatchKind::Apply, 0)?;
            Ok(out)
        }
    }
}

fn type_name(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

// ---------------------------------------------------------------------------------------------
// RFC 6902

fn parse_pointer(pointer: &str, index: usize) -> Result<Vec<String>, PatchError> {
    if pointer.is_empty() {
        return Ok(Vec::new());
    }
    let Some(rest) = pointer.strip_prefix('/') else {
        return Err(PatchError::InvalidOperation {
            index,
            reason: format!("path {pointer:?} does not start with '/'"),
        });
    };
    Ok(rest
        .split('/')
        .map(|t| t.replace("~1", "/").replace("~0", "~"))
        .collect())
}

fn array_index(token: &str, len: usize, allow_end: bool) -> Option<usize> {
    if allow_end && token == "-" {
        return Some(len);
    }
    if token.is_empty()
        || (token.len() > 1 && token.starts_with('0'))
        || !token.bytes().all(|b| b.is_ascii_digit())
    {
        return None;
    }
    let i: usize = token.parse().ok()?;
    let limit = if allow_end {
        len
    } else {
        len.saturating_sub(1)
    };
    (i <= limit && (allow_end || len > 0)).then_some(i)
}

fn get_mut<'a>(root: &'a mut Value, tokens: &[String]) -> Option<&'a mut Value> {
    let mut cur = root;
    for t in tokens {
        cur = match cur {
            Value::Object(m) => m.get_mut(t)?,
            Value::Array(a) => {
                let i = array_index(t, a.len(), false)?;
                a.get_mut(i)?
            }
            _ => return None,
        };
    }
    Some(cur)
}

fn get<'a>(root: &'a Value, tokens: &[String]) -> Option<&'a Value> {
    let mut cur = root;
    for t in tokens {
        cur = match cur {
            Value::Object(m) => m.get(t)?,
            Value::Array(a) => a.get(array_index(t, a.len(), false)?)?,
            _ => return None,
        };
    }
    Some(cur)
}

fn add(
    root: &mut Value,
    tokens: &[String],
    value: Value,
    index: usize,
    pointer: &str,
) -> Result<(), PatchError> {
    let not_found = || PatchError::PathNotFound {
        index,
        path: pointer.to_string(),
    };
    let Some((last, parent_tokens)) = tokens.split_last() else {
        *root = value;
        return Ok(());
    };
    match get_mut(root, parent_tokens).ok_or_else(not_found)? {
        Value::Object(m) => {
            m.insert(last.clone(), value);
            Ok(())
        }
        Value::Array(a) => {
            let i = array_index(last, a.len(), true).ok_or_else(not_found)?;
            a.insert(i, value);
            Ok(())
        }
        _ => Err(not_found()),
    }
}

fn remove(
    root: &mut Value,
    tokens: &[String],
    index: usize,
    pointer: &str,
) -> Result<Value, PatchError> {
    let not_found = || PatchError::PathNotFound {
        index,
        path: pointer.to_string(),
    };
    let (last, parent_tokens) =
        tokens
            .split_last()
            .ok_or_else(|| PatchError::InvalidOperation {
                index,
                reason: "cannot remove the whole document".into(),
            })?;
    match get_mut(root, parent_tokens).ok_or_else(not_found)? {
        Value::Object(m) => m.remove(last).ok_or_else(not_found),
        Value::Array(a) => {
            let i = array_index(last, a.len(), false).ok_or_else(not_found)?;
            Ok(a.remove(i))
        }
        _ => Err(not_found()),
    }
}

fn json_patch(base: &Value, patch: &Value) -> Result<Value, PatchError> {
    let ops = patch.as_array().ok_or(PatchError::NotAnArray)?;
    let mut doc = base.clone();
    for (index, op) in ops.iter().enumerate() {
        apply_op(&mut doc, index, op)?;
    }
    Ok(doc)
}

/// One JSON Patch operation.
fn apply_op(doc: &mut Value, index: usize, op: &Value) -> Result<(), PatchError> {
    let invalid = |reason: &str| PatchError::InvalidOperation {
        index,
        reason: reason.to_string(),
    };
    let name = op
        .get("op")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("missing \"op\""))?;
    let pointer = op
        .get("path")
        .and_then(Value::as_str)
        .ok_or_else(|| invalid("missing \"path\""))?;
    let tokens = parse_pointer(pointer, index)?;
    let value = || {
        op.get("value")
            .cloned()
            .ok_or_else(|| invalid("missing \"value\""))
    };
    let from = || -> Result<(String, Vec<String>), PatchError> {
        let f = op
            .get("from")
            .and_then(Value::as_str)
            .ok_or_else(|| invalid("missing \"from\""))?;
        Ok((f.to_string(), parse_pointer(f, index)?))
    };
    match name {
        "add" => add(doc, &tokens, value()?, index, pointer)?,
        "remove" => {
            remove(doc, &tokens, index, pointer)?;
        }
        "replace" => {
            let v = value()?;
            let slot = get_mut(doc, &tokens).ok_or_else(|| PatchError::PathNotFound {
                index,
                path: pointer.to_string(),
            })?;
            *slot = v;
        }
        "move" => {
            let (from_ptr, from_tokens) = from()?;
            if tokens.len() > from_tokens.len() && tokens.starts_with(&from_tokens) {
                return Err(invalid("cannot move a value into one of its children"));
            }
            let v = remove(doc, &from_tokens, index, &from_ptr)?;
            add(doc, &tokens, v, index, pointer)?;
        }
        "copy" => {
            let (from_ptr, from_tokens) = from()?;
            let v = get(doc, &from_tokens)
                .cloned()
                .ok_or(PatchError::PathNotFound {
                    index,
                    path: from_ptr,
                })?;
            add(doc, &tokens, v, index, pointer)?;
        }
        "test" => {
            let expected = value()?;
            if get(doc, &tokens) != Some(&expected) {
                return Err(PatchError::TestFailed {
                    index,
                    path: pointer.to_string(),
                });
            }
        }
        other => return Err(invalid(&format!("unknown op {other:?}"))),
    }
    Ok(())
}

/// Longest array index the lenient mode pads up to (bounds memory on hostile pointers).
const MAX_LENIENT_INDEX: usize = 1024;

/// Apply `patch` even when the base is unknown or stale: what the strict algorithm rejects is
/// approximated instead (missing parents of `add`/`replace` are created, failed `test`s and
/// removals of absent values are skipped), and every such step is reported. With an empty base
/// the result is the part of the object the patch wrote, which is still worth judging (a JSON
/// patch that replaces `/spec/jobTemplate/spec/template/spec/containers/0/command` yields a
/// CronJob-shaped fragment holding that command).
pub fn apply_patch_lenient(
    base: &Value,
    patch: &Value,
    kind: PatchKind,
) -> (Value, Vec<PatchError>) {
    if kind != PatchKind::JsonPatch {
        return match apply_patch(base, patch, kind) {
            Ok(v) => (v, Vec::new()),
            Err(e) => (base.clone(), vec![e]),
        };
    }
    let Some(ops) = patch.as_array() else {
        return (base.clone(), vec![PatchError::NotAnArray]);
    };
    let mut doc = base.clone();
    let mut skipped = Vec::new();
    for (index, op) in ops.iter().enumerate() {
        let Err(err) = apply_op(&mut doc, index, op) else {
            continue;
        };
        let name = op.get("op").and_then(Value::as_str).unwrap_or("");
        let pointer = op.get("path").and_then(Value::as_str).unwrap_or("");
        let value = match name {
            "add" | "replace" => op.get("value").cloned(),
            "copy" | "move" => op
                .get("from")
                .and_then(Value::as_str)
                .and_then(|f| parse_pointer(f, index).ok())
                .and_then(|t| get(&doc, &t).cloned()),
            _ => None,
        };
        if let (Some(value), Ok(tokens)) = (value, parse_pointer(pointer, index))
            && matches!(err, PatchError::PathNotFound { .. })
            && tokens.len() <= MAX_DEPTH
        {
            force_set(&mut doc, &tokens, value);
        }
        skipped.push(err);
    }
    (doc, skipped)
}

/// Set the value at `tokens`, creating objects (or arrays, for numeric tokens) on the way.
fn force_set(doc: &mut Value, tokens: &[String], value: Value) {
    let Some((first, rest)) = tokens.split_first() else {
        *doc = value;
        return;
    };
    let numeric = first == "-" || (!first.is_empty() && first.bytes().all(|b| b.is_ascii_digit()));
    if numeric && !doc.is_array() && !doc.is_object() {
        *doc = Value::Array(Vec::new());
    } else if !numeric && !doc.is_object() {
        *doc = Value::Object(Map::new());
    }
    match doc {
        Value::Object(m) => {
            let slot = m.entry(first.clone()).or_insert(Value::Null);
            force_set(slot, rest, value);
        }
        Value::Array(a) => {
            let i = if first == "-" {
                a.len()
            } else {
                first.parse::<usize>().unwrap_or(usize::MAX)
            };
            if i > MAX_LENIENT_INDEX {
                return;
            }
            while a.len() <= i {
                a.push(Value::Null);
            }
            if let Some(slot) = a.get_mut(i) {
                force_set(slot, rest, value);
            }
        }
        _ => {}
    }
}

// ---------------------------------------------------------------------------------------------
// RFC 7386

fn merge_patch(target: &mut Value, patch: &Value, depth: usize) -> Result<(), PatchError> {
    if depth > MAX_DEPTH {
        return Err(PatchError::TooDeep(MAX_DEPTH));
    }
    let Value::Object(patch_map) = patch else {
        *target = patch.clone();
        return Ok(());
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(t) = target {
        for (k, v) in patch_map {
            if v.is_null() {
                t.remove(k);
            } else {
                let slot = t.entry(k.clone()).or_insert(Value::Null);
                merge_patch(slot, v, depth + 1)?;
            }
        }
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Strategic merge patch

/// How a list field merges, by field name (and parent, for `ports`).
fn merge_key(field: &str, parent: &str) -> Option<&'static str> {
    Some(match field {
        "containers"
        | "initContainers"
        | "ephemeralContainers"
        | "volumes"
        | "env"
        | "imagePullSecrets"
        | "resourceClaims"
        | "schedulingGates"
        | "readinessGates" => match field {
            "readinessGates" => "conditionType",
            _ => "name",
        },
        "ports" if parent == "container" => "containerPort",
        "ports" => "port",
        "volumeMounts" => "mountPath",
        "volumeDevices" => "devicePath",
        "hostAliases" => "ip",
        "ownerReferences" => "uid",
        "topologySpreadConstraints" => "topologyKey",
        "conditions" => "type",
        _ => return None,
    })
}

/// Primitive lists merged as sets instead of replaced.
fn merges_primitives(field: &str) -> bool {
    field == "finalizers"
}

fn strategic_merge(
    target: &mut Value,
    patch: &Value,
    context: &str,
    apply: bool,
    depth: usize,
) -> Result<(), PatchError> {
    if depth > MAX_DEPTH {
        return Err(PatchError::TooDeep(MAX_DEPTH));
    }
    let Value::Object(patch_map) = patch else {
        *target = patch.clone();
        return Ok(());
    };
    // `$patch: replace` on a map replaces it wholesale; `$patch: delete` removes it.
    match patch_map.get("$patch").and_then(Value::as_str) {
        Some("replace") => {
            let mut clean = patch.clone();
            strip_directives(&mut clean, 0);
            *target = clean;
            return Ok(());
        }
        Some("delete") => {
            *target = Value::Null;
            return Ok(());
        }
        _ => {}
    }
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    let retain: Option<Vec<String>> =
        patch_map
            .get("$retainKeys")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            });
    let Value::Object(t) = target else {
        return Ok(());
    };
    for (key, value) in patch_map {
        if let Some(field) = key.strip_prefix("$deleteFromPrimitiveList/") {
            if let (Some(Value::Array(list)), Some(remove)) = (t.get_mut(field), value.as_array()) {
                list.retain(|item| !remove.contains(item));
            }
            continue;
        }
        if key.starts_with('$') {
            // $setElementOrder/..., $retainKeys (handled below), $patch (handled above).
            continue;
        }
        if value.is_null() {
            if !apply {
                t.remove(key);
            }
            continue;
        }
        let child_context = match key.as_str() {
            "containers" | "initContainers" | "ephemeralContainers" => "container",
            _ => key.as_str(),
        };
        match value {
            Value::Array(items) => {
                let existing = t.entry(key.clone()).or_insert(Value::Null);
                merge_list(existing, items, key, context, apply, depth + 1)?;
            }
            Value::Object(_) => {
                let slot = t.entry(key.clone()).or_insert(Value::Null);
                strategic_merge(slot, value, child_context, apply, depth + 1)?;
                if slot.is_null() {
                    t.remove(key);
                }
            }
            _ => {
                t.insert(key.clone(), value.clone());
            }
        }
    }
    if let Some(keep) = retain {
        t.retain(|k, _| keep.iter().any(|r| r == k));
    }
    Ok(())
}

fn strip_directives(v: &mut Value, depth: usize) {
    if depth > MAX_DEPTH {
        return;
    }
    match v {
        Value::Object(m) => {
            m.retain(|k, _| !k.starts_with('$'));
            for child in m.values_mut() {
                strip_directives(child, depth + 1);
            }
        }
        Value::Array(a) => {
            for child in a {
                strip_directives(child, depth + 1);
            }
        }
        _ => {}
    }
}

fn merge_list(
    existing: &mut Value,
    items: &[Value],
    field: &str,
    parent: &str,
    apply: bool,
    depth: usize,
) -> Result<(), PatchError> {
    // A list-level `{"$patch": "replace"}` element replaces the whole list.
    let replace = items.iter().any(|i| {
        i.get("$patch").and_then(Value::as_str) == Some("replace")
            && i.as_object().is_some_and(|m| m.len() == 1)
    });
    if replace {
        let mut kept: Vec<Value> = items
            .iter()
            .filter(|i| !(i.get("$patch").is_some() && i.as_object().is_some_and(|m| m.len() == 1)))
            .cloned()
            .collect();
        for k in &mut kept {
            strip_directives(k, 0);
        }
        *existing = Value::Array(kept);
        return Ok(());
    }
    if merges_primitives(field) {
        let mut list = take_array(existing);
        for item in items {
            if !list.contains(item) {
                list.push(item.clone());
            }
        }
        *existing = Value::Array(list);
        return Ok(());
    }
    let Some(key) = merge_key(field, parent) else {
        // Atomic list: the patch replaces it.
        let mut v = Value::Array(items.to_vec());
        strip_directives(&mut v, 0);
        *existing = v;
        return Ok(());
    };
    let mut list = take_array(existing);
    let result = merge_keyed(&mut list, items, key, field, apply, depth);
    *existing = Value::Array(list);
    result
}

fn merge_keyed(
    list: &mut Vec<Value>,
    items: &[Value],
    key: &str,
    field: &str,
    apply: bool,
    depth: usize,
) -> Result<(), PatchError> {
    let child_context = if matches!(
        field,
        "containers" | "initContainers" | "ephemeralContainers"
    ) {
        "container"
    } else {
        field
    };
    for item in items {
        let Some(id) = item.get(key) else {
            // No merge key: nothing to match, append (what the API server would reject or keep).
            let mut v = item.clone();
            strip_directives(&mut v, 0);
            list.push(v);
            continue;
        };
        let directive = item.get("$patch").and_then(Value::as_str);
        let position = list.iter().position(|e| e.get(key) == Some(id));
        match (directive, position) {
            (Some("delete"), Some(p)) => {
                list.remove(p);
            }
            (Some("delete"), None) => {}
            (Some("replace"), Some(p)) => {
                let mut v = item.clone();
                strip_directives(&mut v, 0);
                if let Some(slot) = list.get_mut(p) {
                    *slot = v;
                }
            }
            (_, Some(p)) => {
                if let Some(slot) = list.get_mut(p) {
                    strategic_merge(slot, item, child_context, apply, depth + 1)?;
                }
            }
            (_, None) => {
                let mut v = item.clone();
                strip_directives(&mut v, 0);
                list.push(v);
            }
        }
    }
    Ok(())
}

/// Take the list out of a value (an empty one when it is not a list).
fn take_array(v: &mut Value) -> Vec<Value> {
    match std::mem::take(v) {
        Value::Array(a) => a,
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cronjob() -> Value {
        json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "backup", "namespace": "db", "finalizers": ["a"]},
            "spec": {"schedule": "0 3 * * *", "suspend": true,
                "jobTemplate": {"spec": {"template": {"spec": {
                    "serviceAccountName": "backup",
                    "containers": [
                        {"name": "main", "image": "postgres:16", "command": ["pg_dump"], "env": [{"name": "A", "value": "1"}, {"name": "B", "value": "2"}],
                         "ports": [{"containerPort": 80, "protocol": "TCP"}]},
                        {"name": "side", "image": "busybox"}],
                    "volumes": [{"name": "data", "emptyDir": {}}]}}}}}})
    }

    #[test]
    fn content_types() {
        assert_eq!(
            PatchKind::from_content_type("application/json-patch+json"),
            Some(PatchKind::JsonPatch)
        );
        assert_eq!(
            PatchKind::from_content_type("application/merge-patch+json; charset=utf-8"),
            Some(PatchKind::MergePatch)
        );
        assert_eq!(
            PatchKind::from_content_type("Application/Strategic-Merge-Patch+JSON"),
            Some(PatchKind::StrategicMerge)
        );
        assert_eq!(
            PatchKind::from_content_type("application/apply-patch+yaml"),
            Some(PatchKind::Apply)
        );
        assert_eq!(PatchKind::from_content_type("text/plain"), None);
    }

    #[test]
    fn guesses_from_shape() {
        assert_eq!(
            PatchKind::guess(&json!([{"op": "add"}])),
            PatchKind::JsonPatch
        );
        assert_eq!(
            PatchKind::guess(&json!({"spec": {"$setElementOrder/containers": []}})),
            PatchKind::StrategicMerge
        );
        assert_eq!(
            PatchKind::guess(&json!({"apiVersion": "batch/v1", "kind": "CronJob", "spec": {}})),
            PatchKind::Apply
        );
        assert_eq!(
            PatchKind::guess(&json!({"spec": {"suspend": false}})),
            PatchKind::StrategicMerge
        );
    }

    #[test]
    fn json_patch_operations() {
        let base = cronjob();
        let img = "/spec/jobTemplate/spec/template/spec/containers/0/image";
        let patch = json!([
            {"op": "test", "path": "/spec/suspend", "value": true},
            {"op": "replace", "path": "/spec/suspend", "value": false},
            {"op": "replace", "path": img, "value": "evil.example/x:1"},
            {"op": "add", "path": "/metadata/annotations", "value": {}},
            {"op": "add", "path": "/metadata/annotations/a~1b~0c", "value": "v"},
            {"op": "add", "path": "/metadata/finalizers/-", "value": "z"},
            {"op": "add", "path": "/metadata/finalizers/0", "value": "first"},
            {"op": "copy", "from": "/spec/schedule", "path": "/metadata/annotations/old"},
            {"op": "move", "from": "/metadata/annotations/old", "path": "/metadata/annotations/moved"},
            {"op": "remove", "path": "/spec/jobTemplate/spec/template/spec/containers/1"}
        ]);
        let out = apply_patch(&base, &patch, PatchKind::JsonPatch).expect("applies");
        assert_eq!(out["spec"]["suspend"], json!(false));
        assert_eq!(out.pointer(img), Some(&json!("evil.example/x:1")));
        assert_eq!(out["metadata"]["annotations"]["a/b~c"], json!("v"));
        assert_eq!(out["metadata"]["annotations"]["moved"], json!("0 3 * * *"));
        assert!(out["metadata"]["annotations"].get("old").is_none());
        assert_eq!(out["metadata"]["finalizers"], json!(["first", "a", "z"]));
        assert_eq!(
            out["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
                .as_array()
                .map(Vec::len),
            Some(1)
        );
        // base untouched
        assert_eq!(base["spec"]["suspend"], json!(true));
    }

    #[test]
    fn json_patch_errors() {
        let base = cronjob();
        let err = |p: Value| apply_patch(&base, &p, PatchKind::JsonPatch).expect_err("fails");
        assert_eq!(err(json!({"op": "add"})), PatchError::NotAnArray);
        assert!(matches!(
            err(json!([{"op": "test", "path": "/spec/suspend", "value": false}])),
            PatchError::TestFailed { index: 0, .. }
        ));
        assert!(matches!(
            err(json!([{"op": "replace", "path": "/nope/x", "value": 1}])),
            PatchError::PathNotFound { .. }
        ));
        assert!(matches!(
            err(json!([{"op": "remove", "path": "/metadata/finalizers/5"}])),
            PatchError::PathNotFound { .. }
        ));
        assert!(matches!(
            err(json!([{"op": "add", "path": "/metadata/finalizers/01", "value": 1}])),
            PatchError::PathNotFound { .. }
        ));
        assert!(matches!(
            err(json!([{"op": "jump", "path": "/x"}])),
            PatchError::InvalidOperation { .. }
        ));
        assert!(matches!(
            err(json!([{"op": "add", "path": "x", "value": 1}])),
            PatchError::InvalidOperation { .. }
        ));
        assert!(matches!(
            err(json!([{"op": "move", "from": "/spec", "path": "/spec/x"}])),
            PatchError::InvalidOperation { .. }
        ));
        assert!(matches!(
            err(json!([{"op": "add", "path": "/spec/schedule/x", "value": 1}])),
            PatchError::PathNotFound { .. }
        ));
        assert!(matches!(
            err(json!([1])),
            PatchError::InvalidOperation { .. }
        ));
    }

    #[test]
    fn merge_patch_rfc7386() {
        let base = json!({"a": "b", "c": {"d": "e", "f": "g"}, "l": [1, 2]});
        let patch = json!({"a": "z", "c": {"f": null}, "l": [3], "n": {"x": 1}});
        let out = apply_patch(&base, &patch, PatchKind::MergePatch).expect("applies");
        assert_eq!(
            out,
            json!({"a": "z", "c": {"d": "e"}, "l": [3], "n": {"x": 1}})
        );
        assert_eq!(
            apply_patch(&base, &json!([1]), PatchKind::MergePatch),
            Ok(json!([1]))
        );
        // lists are replaced: containers not named in the patch are gone
        let out = apply_patch(&cronjob(), &json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "main", "image": "x"}]}}}}}}), PatchKind::MergePatch).expect("ok");
        assert_eq!(
            out["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"],
            json!([{"name": "main", "image": "x"}])
        );
    }

    #[test]
    fn strategic_merge_by_keys() {
        let patch = json!({"spec": {"suspend": false, "jobTemplate": {"spec": {"template": {"spec": {
            "$setElementOrder/containers": [{"name": "main"}, {"name": "side"}],
            "containers": [
                {"name": "main", "image": "evil.example/x:1", "env": [{"name": "B", "value": "changed"}, {"name": "C", "value": "3"}],
                 "ports": [{"containerPort": 80, "protocol": "UDP"}]},
                {"name": "side", "$patch": "delete"},
                {"name": "new", "image": "alpine", "command": ["sh"]}],
            "volumes": [{"name": "host", "hostPath": {"path": "/"}}]}}}}}});
        let out = apply_patch(&cronjob(), &patch, PatchKind::StrategicMerge).expect("applies");
        let spec = &out["spec"]["jobTemplate"]["spec"]["template"]["spec"];
        let names: Vec<&str> = spec["containers"]
            .as_array()
            .expect("list")
            .iter()
            .filter_map(|c| c["name"].as_str())
            .collect();
        assert_eq!(names, ["main", "new"]);
        let main = &spec["containers"][0];
        assert_eq!(main["image"], json!("evil.example/x:1"));
        assert_eq!(main["command"], json!(["pg_dump"]), "untouched fields stay");
        assert_eq!(
            main["env"],
            json!([{"name": "A", "value": "1"}, {"name": "B", "value": "changed"}, {"name": "C", "value": "3"}])
        );
        assert_eq!(
            main["ports"],
            json!([{"containerPort": 80, "protocol": "UDP"}])
        );
        assert_eq!(spec["volumes"].as_array().map(Vec::len), Some(2));
        assert_eq!(out["spec"]["suspend"], json!(false));
        assert!(spec.get("$setElementOrder/containers").is_none());
    }

    #[test]
    fn strategic_merge_directives() {
        let base = cronjob();
        // replace a whole list
        let patch = json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"$patch": "replace"}, {"name": "only", "image": "x"}]}}}}}});
        let out = apply_patch(&base, &patch, PatchKind::StrategicMerge).expect("ok");
        assert_eq!(
            out["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"],
            json!([{"name": "only", "image": "x"}])
        );
        // replace a map
        let patch = json!({"metadata": {"$patch": "replace", "name": "n2"}});
        let out = apply_patch(&base, &patch, PatchKind::StrategicMerge).expect("ok");
        assert_eq!(out["metadata"], json!({"name": "n2"}));
        // delete a map, delete a key, delete from a primitive list, retainKeys
        let patch = json!({"metadata": {"$patch": "delete"}, "spec": {"schedule": null, "$retainKeys": ["jobTemplate", "suspend"]}});
        let out = apply_patch(&base, &patch, PatchKind::StrategicMerge).expect("ok");
        assert!(out.get("metadata").is_none());
        assert_eq!(out["spec"].as_object().map(|m| m.len()), Some(2));
        let patch = json!({"metadata": {"$deleteFromPrimitiveList/finalizers": ["a"], "finalizers": ["b"]}});
        let out = apply_patch(&base, &patch, PatchKind::StrategicMerge).expect("ok");
        assert_eq!(out["metadata"]["finalizers"], json!(["b"]));
        // atomic lists (command, args, tolerations) are replaced
        let patch = json!({"spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "main", "command": ["sh", "-c", "id"]}]}}}}}});
        let out = apply_patch(&base, &patch, PatchKind::StrategicMerge).expect("ok");
        assert_eq!(
            out["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["command"],
            json!(["sh", "-c", "id"])
        );
    }

    #[test]
    fn apply_merges_full_object() {
        let body = json!({"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "backup"},
            "spec": {"schedule": "* * * * *", "jobTemplate": {"spec": {"template": {"spec": {"containers": [{"name": "main", "image": "evil:1"}]}}}}}});
        let out = apply_patch(&cronjob(), &body, PatchKind::Apply).expect("ok");
        assert_eq!(out["spec"]["schedule"], json!("* * * * *"));
        assert_eq!(
            out["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][0]["image"],
            json!("evil:1")
        );
        assert_eq!(
            out["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"][1]["name"],
            json!("side")
        );
        // onto nothing: the body is the object
        let out = apply_patch(&Value::Null, &body, PatchKind::Apply).expect("ok");
        assert_eq!(out, body);
        // string bodies are decoded
        let out = apply_patch(
            &json!({}),
            &Value::String(body.to_string()),
            PatchKind::Apply,
        )
        .expect("ok");
        assert_eq!(out, body);
        assert!(matches!(
            apply_patch(&json!({}), &json!("not json"), PatchKind::Apply),
            Err(PatchError::NotAnObject(_))
        ));
    }

    #[test]
    fn lenient_json_patch_without_prior_state() {
        let patch = json!([
            {"op": "test", "path": "/spec/suspend", "value": true},
            {"op": "replace", "path": "/spec/suspend", "value": false},
            {"op": "replace", "path": "/spec/jobTemplate/spec/template/spec/containers/0/command", "value": ["sh", "-c", "id"]},
            {"op": "add", "path": "/spec/jobTemplate/spec/template/spec/volumes/-", "value": {"name": "h", "hostPath": {"path": "/"}}},
            {"op": "remove", "path": "/spec/schedule"}
        ]);
        assert!(apply_patch(&Value::Null, &patch, PatchKind::JsonPatch).is_err());
        let (out, skipped) = apply_patch_lenient(&Value::Null, &patch, PatchKind::JsonPatch);
        assert_eq!(skipped.len(), 5, "{skipped:?}");
        assert_eq!(out["spec"]["suspend"], json!(false));
        let spec = &out["spec"]["jobTemplate"]["spec"]["template"]["spec"];
        assert_eq!(spec["containers"][0]["command"], json!(["sh", "-c", "id"]));
        assert_eq!(spec["volumes"][0]["hostPath"]["path"], json!("/"));
        let t = crate::workload::pod_template(&out).expect("CronJob-shaped fragment");
        assert_eq!(t.kind, "CronJob");
        // with a known base it is the strict result
        let (out, skipped) = apply_patch_lenient(
            &cronjob(),
            &json!([{"op": "replace", "path": "/spec/suspend", "value": false}]),
            PatchKind::JsonPatch,
        );
        assert!(skipped.is_empty());
        assert_eq!(out["spec"]["suspend"], json!(false));
        // hostile indices are bounded
        let (_, skipped) = apply_patch_lenient(
            &Value::Null,
            &json!([{"op": "add", "path": "/a/999999999", "value": 1}]),
            PatchKind::JsonPatch,
        );
        assert_eq!(skipped.len(), 1);
        // other kinds fall back to the strict result
        let (out, skipped) = apply_patch_lenient(
            &Value::Null,
            &json!({"spec": {"suspend": false}}),
            PatchKind::MergePatch,
        );
        assert!(skipped.is_empty());
        assert_eq!(out, json!({"spec": {"suspend": false}}));
    }

    #[test]
    fn deep_nesting_is_refused_not_crashed() {
        let mut deep = json!(1);
        for _ in 0..500 {
            deep = json!({"a": deep});
        }
        assert_eq!(
            apply_patch(&json!({}), &deep, PatchKind::MergePatch),
            Err(PatchError::TooDeep(MAX_DEPTH))
        );
        assert_eq!(
            apply_patch(&json!({}), &deep, PatchKind::StrategicMerge),
            Err(PatchError::TooDeep(MAX_DEPTH))
        );
        let _ = PatchKind::guess(&deep);
    }
}
