//! Label selectors as `metav1.LabelSelectorAsSelector` reads them, for ClusterRole
//! `aggregationRule.clusterRoleSelectors`: `matchLabels` and `matchExpressions` (`In`, `NotIn`,
//! `Exists`, `DoesNotExist`) all have to hold; an empty selector matches every label set.

use serde_json::Value;
use std::collections::BTreeMap;

/// One parsed label selector.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LabelSelector {
    /// `matchLabels`: every key must carry exactly this value.
    pub match_labels: BTreeMap<String, String>,
    /// `matchExpressions`.
    pub match_expressions: Vec<Requirement>,
}

/// One `matchExpressions` entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    /// Label key.
    pub key: String,
    /// The operator.
    pub operator: Operator,
    /// Values (empty for `Exists` / `DoesNotExist`).
    pub values: Vec<String>,
}

/// `matchExpressions` operators.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    /// Label present with one of the values.
    In,
    /// Label absent, or present with none of the values.
    NotIn,
    /// Label present.
    Exists,
    /// Label absent.
    DoesNotExist,
}

impl LabelSelector {
    /// Whether `labels` satisfy the selector.
    pub fn matches(&self, labels: &BTreeMap<String, String>) -> bool {
        self.match_labels
            .iter()
            .all(|(k, v)| labels.get(k) == Some(v))
            && self.match_expressions.iter().all(|req| {
                let value = labels.get(&req.key);
                match req.operator {
                    Operator::In => value.is_some_and(|v| req.values.contains(v)),
                    Operator::NotIn => value.is_none_or(|v| !req.values.contains(v)),
                    Operator::Exists => value.is_some(),
                    Operator::DoesNotExist => value.is_none(),
                }
            })
    }

    /// Parses a selector; the error names the offending field relative to `value`.
    pub fn parse(value: &Value) -> Result<LabelSelector, (String, String)> {
        let Some(map) = value.as_object() else {
            return Err((String::new(), "a label selector must be a mapping".into()));
        };
        let mut selector = LabelSelector::default();
        if let Some(labels) = map.get("matchLabels").filter(|v| !v.is_null()) {
            let Some(labels) = labels.as_object() else {
                return Err(("matchLabels".into(), "must be a mapping".into()));
            };
            for (k, v) in labels {
                let Some(v) = scalar_string(v) else {
                    return Err((format!("matchLabels.{k}"), "must be a string".into()));
                };
                selector.match_labels.insert(k.clone(), v);
            }
        }
        if let Some(exprs) = map.get("matchExpressions").filter(|v| !v.is_null()) {
            let Some(exprs) = exprs.as_array() else {
                return Err(("matchExpressions".into(), "must be a list".into()));
            };
            for (i, expr) in exprs.iter().enumerate() {
                let field = format!("matchExpressions[{i}]");
                let key = expr.get("key").and_then(Value::as_str).ok_or_else(|| {
                    (
                        format!("{field}.key"),
                        "missing or not a string".to_string(),
                    )
                })?;
                let op = expr.get("operator").and_then(Value::as_str).unwrap_or("");
                let operator = match op {
                    "In" => Operator::In,
                    "NotIn" => Operator::NotIn,
                    "Exists" => Operator::Exists,
                    "DoesNotExist" => Operator::DoesNotExist,
                    other => {
                        return Err((
                            format!("{field}.operator"),
                            format!("unknown operator {other:?} (In, NotIn, Exists, DoesNotExist)"),
                        ));
                    }
                };
                let values: Vec<String> = match expr.get("values") {
                    None | Some(Value::Null) => Vec::new(),
                    Some(Value::Array(vs)) => {
                        let mut out = Vec::with_capacity(vs.len());
                        for v in vs {
                            let Some(s) = scalar_string(v) else {
                                return Err((
                                    format!("{field}.values"),
                                    "values must be strings".into(),
                                ));
                            };
                            out.push(s);
                        }
                        out
                    }
                    Some(_) => {
                        return Err((format!("{field}.values"), "must be a list".into()));
                    }
                };
                // The same validation as LabelSelectorAsSelector: the apiserver's aggregation
                // controller gives up on the whole role when it fails.
                let needs_values = matches!(operator, Operator::In | Operator::NotIn);
                if needs_values && values.is_empty() {
                    return Err((
                        format!("{field}.values"),
                        format!("{op} needs at least one value"),
                    ));
                }
                if !needs_values && !values.is_empty() {
                    return Err((format!("{field}.values"), format!("{op} takes no values")));
                }
                selector.match_expressions.push(Requirement {
                    key: key.to_string(),
                    operator,
                    values,
                });
            }
        }
        Ok(selector)
    }
}

/// Label values are strings; YAML may have produced a bool or number (`"true"` unquoted).
pub(crate) fn scalar_string(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn labels(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn match_labels_and_expressions_all_have_to_hold() {
        let sel = LabelSelector::parse(&json!({
            "matchLabels": {"a": "true"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["x", "y"]},
                {"key": "env", "operator": "NotIn", "values": ["prod"]},
                {"key": "team", "operator": "Exists"},
                {"key": "legacy", "operator": "DoesNotExist"}
            ]
        }))
        .expect("valid selector");
        assert!(sel.matches(&labels(&[("a", "true"), ("tier", "x"), ("team", "t")])));
        assert!(!sel.matches(&labels(&[("a", "false"), ("tier", "x"), ("team", "t")])));
        assert!(!sel.matches(&labels(&[("a", "true"), ("tier", "z"), ("team", "t")])));
        assert!(!sel.matches(&labels(&[
            ("a", "true"),
            ("tier", "x"),
            ("team", "t"),
            ("env", "prod")
        ])));
        assert!(!sel.matches(&labels(&[("a", "true"), ("tier", "x")])));
        assert!(!sel.matches(&labels(&[
            ("a", "true"),
            ("tier", "x"),
            ("team", "t"),
            ("legacy", "")
        ])));
    }

    #[test]
    fn empty_selector_matches_everything_and_bad_ones_are_errors() {
        let all = LabelSelector::parse(&json!({})).expect("empty selector");
        assert!(all.matches(&BTreeMap::new()));
        let unquoted = LabelSelector::parse(&json!({"matchLabels": {"x": true}})).expect("bool");
        assert!(unquoted.matches(&labels(&[("x", "true")])));
        assert!(
            LabelSelector::parse(&json!({"matchExpressions": [{"key": "k", "operator": "In"}]}))
                .is_err()
        );
        assert!(
            LabelSelector::parse(
                &json!({"matchExpressions": [{"key": "k", "operator": "Exists", "values": ["v"]}]})
            )
            .is_err()
        );
        let err = LabelSelector::parse(
            &json!({"matchExpressions": [{"key": "k", "operator": "Gt", "values": ["1"]}]}),
        )
        .expect_err("unknown operator");
        assert_eq!(err.0, "matchExpressions[0].operator");
    }
}
