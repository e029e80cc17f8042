//! alcideio/rbac-tool's fixtures: each file's header says what to run and what a live cluster
//! printed. Our answers must match, and every difference must be one where rbac-tool departs
//! from the Kubernetes authorizer (explained by looking at the subject's own rules).

use crate::common;

use jobwarden_rbac::{
    AccessQuery, Analysis, Scope, SourcedObject, SubjectKind, SubjectRef, Target,
};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

struct Header {
    runs: Vec<Vec<String>>,
    rows: Vec<Vec<String>>,
}

fn header(path: &Path) -> Header {
    let text = std::fs::read_to_string(path).expect("readable");
    let mut runs = Vec::new();
    let mut rows = Vec::new();
    let mut in_expect = false;
    for line in text.lines() {
        let Some(body) = line.strip_prefix('#') else {
            if !line.trim().is_empty() {
                break;
            }
            continue;
        };
        let body = body.trim();
        if body.starts_with("Expect") {
            in_expect = true;
        } else if let Some(cmd) = body.strip_prefix("bin/rbac-tool") {
            let cmd = cmd.split('|').next().unwrap_or("");
            let grep = body.split("grep").nth(1).map(|g| g.trim().to_string());
            let mut words: Vec<String> = cmd.split_whitespace().map(str::to_string).collect();
            words.push(grep.unwrap_or_default());
            runs.push(words);
        } else if in_expect && body.contains('|') && !body.starts_with('+') {
            let cols: Vec<String> = body.split('|').map(|c| c.trim().to_string()).collect();
            if matches!(
                cols.first().map(String::as_str),
                Some("User" | "Group" | "ServiceAccount")
            ) {
                rows.push(cols);
            }
        }
    }
    Header { runs, rows }
}

fn subject(kind: &str, name: &str, ns: &str) -> SubjectRef {
    match kind {
        "User" => SubjectRef::from_user_name(name),
        "Group" => SubjectRef::group(name),
        _ => SubjectRef::service_account(ns, name),
    }
}

/// The API group discovery would give a resource named without one: the non-core group the
/// input's rules list it under, else the crate's default.
fn discovered_group(objects: &[SourcedObject], resource: &str) -> Option<String> {
    let mut groups = BTreeSet::new();
    for o in objects {
        for rule in o
            .value
            .get("rules")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let lists = |k: &str| -> Vec<String> {
                rule.get(k)
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default()
            };
            if lists("resources").iter().any(|r| r == resource || r == "*") {
                groups.extend(
                    lists("apiGroups")
                        .into_iter()
                        .filter(|g| !g.is_empty() && g != "*"),
                );
            }
        }
    }
    (groups.len() == 1)
        .then(|| groups.into_iter().next())
        .flatten()
}

/// Why the authorizer does not allow what rbac-tool printed, or `None`.
fn explain(analysis: &Analysis, s: &SubjectRef, q: &AccessQuery) -> Option<&'static str> {
    let rules = analysis.rules_of_subject(s);
    match &q.target {
        Target::NonResourceUrl(url) => {
            let matching: Vec<&Scope> = rules
                .iter()
                .filter(|(_, g)| {
                    g.rule.verb_matches(&q.verb) && g.rule.non_resource_url_matches(url)
                })
                .map(|(s, _)| s)
                .collect();
            (!matching.is_empty() && matching.iter().all(|s| **s != Scope::All))
                .then_some("non-resource URLs are only granted through ClusterRoleBindings")
        }
        Target::Resource { .. } => (!rules.iter().any(|(_, g)| g.rule.verb_matches(&q.verb)))
            .then_some("no rule bound to the subject grants the verb"),
    }
}

fn who_can_file(path: &Path, differences: &mut Vec<String>) -> usize {
    let h = header(path);
    let objects = common::load_yaml(path);
    let analysis = Analysis::build(&objects);
    assert!(
        analysis.errors().is_empty(),
        "{}: {:?}",
        path.display(),
        analysis.errors()
    );
    let expected: BTreeSet<SubjectRef> = h
        .rows
        .iter()
        .map(|r| subject(&r[0], &r[1], r.get(2).map(String::as_str).unwrap_or("")))
        .collect();
    let mut checked = 0;
    for run in h
        .runs
        .iter()
        .filter(|r| r.first().map(String::as_str) == Some("who-can"))
    {
        let (verb, target, grep) = (&run[1], &run[2], run.last().cloned().unwrap_or_default());
        // rbac-tool spells `KIND/NAME`; ours is RESOURCE/SUBRESOURCE plus a name.
        let (resource, name) = match target.split_once('/') {
            Some((r, n)) if !target.starts_with('/') => (r.to_string(), Some(n.to_string())),
            _ => (target.clone(), None),
        };
        let mut q = AccessQuery::parse(verb, &resource)
            .expect("query")
            .named(name.as_deref());
        if let Target::Resource {
            group, resource, ..
        } = &mut q.target
            && group.is_empty()
            && let Some(g) = discovered_group(&objects, resource)
        {
            *group = g;
        }
        let ours: BTreeSet<SubjectRef> = analysis
            .who_can(&q)
            .into_iter()
            .map(|a| a.subject)
            .filter(|s| {
                s.name.contains(&grep) || s.namespace.as_deref().is_some_and(|n| n.contains(&grep))
            })
            .collect();
        for s in expected.difference(&ours) {
            match explain(&analysis, s, &q) {
                Some(why) => differences.push(format!("{}: {s}: {why}", path.display())),
                None => panic!(
                    "{}: `{verb} {target}`: {s} expected but not found; ours {ours:?}",
                    path.display()
                ),
            }
        }
        let extra: Vec<&SubjectRef> = ours
            .difference(&expected)
            .filter(|s| !(s.kind == SubjectKind::Group && s.name == "system:masters"))
            .collect();
        assert!(
            extra.is_empty(),
            "{}: `{verb} {target}`: unexpected {extra:?}",
            path.display()
        );
        checked += 1;
    }
    checked
}

#[test]
fn rbac_tool_who_can_fixtures_agree_where_the_semantics_are_the_authorizers() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let dir = shared.join("fixtures/rbac-tool/testdata/whocan");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("whocan dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    files.sort();
    let mut differences = Vec::new();
    let checked: usize = files
        .iter()
        .map(|f| who_can_file(f, &mut differences))
        .sum();
    println!(
        "rbac-tool who-can: {checked} runs; differences explained:\n{}",
        differences.join("\n")
    );
    assert!(checked >= files.len());
}

#[test]
fn rbac_tool_policy_rules_fixture_lists_the_same_rules() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let dir = shared.join("fixtures/rbac-tool/testdata/policyrules");
    for file in std::fs::read_dir(&dir)
        .expect("policyrules dir")
        .filter_map(|e| e.ok())
    {
        let path = file.path();
        let h = header(&path);
        let analysis = Analysis::build(&common::load_yaml(&path));
        assert!(analysis.errors().is_empty(), "{:?}", analysis.errors());
        // kind | name | verb | namespace | group | resource | resourceName | url | Roles>>ns/role
        let expected: BTreeSet<Vec<String>> = h
            .rows
            .iter()
            .map(|r| {
                let mut r = r.clone();
                if r[4] == "core" {
                    r[4] = String::new();
                }
                r.truncate(9);
                r
            })
            .collect();
        let subjects: BTreeSet<SubjectRef> = h
            .rows
            .iter()
            .map(|r| subject(&r[0], &r[1], &r[3]))
            .collect();
        let mut ours = BTreeSet::new();
        for s in &subjects {
            for (scope, g) in analysis.rules_of_subject(s) {
                let source = match &g.role.namespace {
                    Some(ns) => format!("Roles>>{ns}/{}", g.role.name),
                    None => format!("ClusterRoles>>{}", g.role.name),
                };
                let names = if g.rule.resource_names.is_empty() {
                    vec![String::new()]
                } else {
                    g.rule.resource_names.clone()
                };
                for verb in &g.rule.verbs {
                    for group in &g.rule.api_groups {
                        for res in &g.rule.resources {
                            for n in &names {
                                let kind = format!("{:?}", s.kind);
                                ours.insert(vec![
                                    kind,
                                    s.name.clone(),
                                    verb.clone(),
                                    scope.to_string(),
                                    group.clone(),
                                    res.clone(),
                                    n.clone(),
                                    String::new(),
                                    source.clone(),
                                ]);
                            }
                        }
                    }
                }
            }
        }
        assert_eq!(ours, expected, "{}", path.display());
    }
}

#[test]
fn rbac_tool_viz_fixtures_load_cleanly() {
    let Some(shared) = common::shared_dir() else {
        return;
    };
    let dir = shared.join("fixtures/rbac-tool/testdata/viz");
    let mut loaded = 0;
    for file in std::fs::read_dir(&dir)
        .expect("viz dir")
        .filter_map(|e| e.ok())
    {
        let analysis = Analysis::build(&common::load_yaml(&file.path()));
        assert!(analysis.errors().is_empty(), "{:?}", analysis.errors());
        // Each scenario binds its roles to a service account: whether written with or
        // without a namespace, in a RoleBinding it is the binding's namespace.
        for a in analysis.who_can(&AccessQuery::parse("get", "pods").expect("query")) {
            if a.subject.kind == SubjectKind::ServiceAccount {
                assert_eq!(a.subject.namespace.as_deref(), Some(a.scope.as_str()));
                loaded += 1;
            }
        }
    }
    assert!(
        loaded > 0,
        "no service account can get pods in the viz scenarios"
    );
}
