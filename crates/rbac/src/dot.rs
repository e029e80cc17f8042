//! `--format dot`: the subject -> binding -> role -> (aggregated source) -> rule graph of a set
//! of answers, for Graphviz; indirect paths add a dashed edge from the subject to each hop.

use crate::access::AccessAnswer;
use crate::graph::ObjectRef;
use crate::rule::PolicyRule;
use std::collections::BTreeSet;
use std::fmt::Write;

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

fn object_id(o: &ObjectRef) -> String {
    match &o.namespace {
        Some(ns) => format!("{} {ns}/{}", o.kind, o.name),
        None => format!("{} {}", o.kind, o.name),
    }
}

fn rule_label(r: &PolicyRule) -> String {
    let mut parts = vec![r.verbs.join(",")];
    if !r.api_groups.is_empty() {
        let groups: Vec<&str> = r
            .api_groups
            .iter()
            .map(|g| if g.is_empty() { "core" } else { g.as_str() })
            .collect();
        parts.push(groups.join(","));
    }
    if !r.resources.is_empty() {
        parts.push(r.resources.join(","));
    }
    if !r.resource_names.is_empty() {
        parts.push(format!("names={}", r.resource_names.join(",")));
    }
    if !r.non_resource_urls.is_empty() {
        parts.push(r.non_resource_urls.join(","));
    }
    parts.join(" ")
}

/// Renders the answers as one Graphviz `digraph`. Nodes are shared between answers, so the
/// picture shows which roles and bindings many subjects go through.
pub fn to_dot(answers: &[AccessAnswer]) -> String {
    let mut nodes: BTreeSet<(String, &'static str)> = BTreeSet::new();
    let mut edges: BTreeSet<(String, String, String, &'static str)> = BTreeSet::new();
    for a in answers {
        let subject = a.subject.to_string();
        nodes.insert((subject.clone(), "box"));
        for g in &a.via {
            let binding = object_id(&g.binding);
            let role = object_id(&g.role);
            let rule = format!("{role}: {}", rule_label(&g.rule));
            nodes.insert((binding.clone(), "ellipse"));
            nodes.insert((role.clone(), "hexagon"));
            edges.insert((subject.clone(), binding.clone(), String::new(), "solid"));
            edges.insert((binding, role.clone(), String::new(), "solid"));
            let mut from = role;
            for src in &g.aggregated_from {
                let src = format!("ClusterRole {src}");
                nodes.insert((src.clone(), "hexagon"));
                edges.insert((from, src.clone(), "aggregates".into(), "solid"));
                from = src;
            }
            nodes.insert((rule.clone(), "note"));
            edges.insert((from, rule, String::new(), "solid"));
        }
        for hop in &a.hops {
            let target = match (&hop.subject, &hop.object) {
                (Some(s), _) => s.to_string(),
                (None, Some(o)) => object_id(o),
                (None, None) => continue,
            };
            nodes.insert((
                target.clone(),
                if hop.subject.is_some() {
                    "box"
                } else {
                    "hexagon"
                },
            ));
            edges.insert((
                subject.clone(),
                target,
                a.path.as_str().to_string(),
                "dashed",
            ));
        }
    }
    let mut out = String::from("digraph who_can {\n  rankdir=LR;\n");
    for (id, shape) in &nodes {
        let _ = writeln!(out, "  {} [shape={shape}];", quote(id));
    }
    for (from, to, label, style) in &edges {
        let _ = writeln!(
            out,
            "  {} -> {} [label={}, style={style}];",
            quote(from),
            quote(to),
            quote(label)
        );
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{AccessQuery, Analysis, SourcedObject};
    use serde_json::json;

    #[test]
    fn draws_the_chain_and_escapes_quotes() {
        let objects = vec![
            SourcedObject::new(
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole",
                       "metadata": {"name": "w\"x"},
                       "rules": [{"apiGroups": ["batch"], "resources": ["cronjobs"], "verbs": ["create"]}]}),
                "d.yaml",
                1,
            ),
            SourcedObject::new(
                json!({"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding",
                       "metadata": {"name": "b"}, "roleRef": {"kind": "ClusterRole", "name": "w\"x"},
                       "subjects": [{"kind": "User", "name": "alice"}]}),
                "d.yaml",
                9,
            ),
        ];
        let a = Analysis::build(&objects);
        let dot = to_dot(&a.who_can(&AccessQuery::parse("create", "cronjobs").expect("query")));
        assert!(dot.starts_with("digraph who_can {"));
        assert!(dot.contains("\"User alice\" -> \"ClusterRoleBinding b\""));
        assert!(dot.contains("\"ClusterRoleBinding b\" -> \"ClusterRole w\\\"x\""));
        assert!(dot.contains("create batch cronjobs"));
        assert!(dot.contains("\"Group system:masters\" [shape=box]"));
    }
}
