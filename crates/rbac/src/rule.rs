//! Policy rules and the matching functions of the Kubernetes RBAC authorizer
//! (`pkg/apis/rbac/v1/evaluation_helpers.go`, `plugin/pkg/auth/authorizer/rbac/rbac.go`) and
//! of its escalation check (`component-helpers/auth/rbac/validation/policy_comparator.go`),
//! reimplemented one to one so that a decision here is the decision of the apiserver.

use serde::Serialize;

/// `*`: every verb, group, resource or non-resource URL.
pub const ALL: &str = "*";

/// One `rules[]` entry of a Role or ClusterRole, as written.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct PolicyRule {
    /// Verbs (`get`, `create`, `*`, ...).
    pub verbs: Vec<String>,
    /// API groups (`""` is the core group).
    #[serde(rename = "apiGroups", skip_serializing_if = "Vec::is_empty")]
    pub api_groups: Vec<String>,
    /// Resources, `resource/subresource`, `*/subresource` or `*`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub resources: Vec<String>,
    /// Object names the rule is limited to; empty means every name.
    #[serde(rename = "resourceNames", skip_serializing_if = "Vec::is_empty")]
    pub resource_names: Vec<String>,
    /// Non-resource URLs (`/healthz`, `/api/*`, `*`).
    #[serde(rename = "nonResourceURLs", skip_serializing_if = "Vec::is_empty")]
    pub non_resource_urls: Vec<String>,
}

/// What a request asks, in the authorizer's terms (`authorizer.Attributes`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RequestAttributes {
    /// A request on an API resource.
    Resource(ResourceAttributes),
    /// A request on a non-resource URL such as `/healthz` (only ClusterRoleBindings apply).
    NonResource {
        /// Lower-case verb (`get`, `post` is spelled `create` by the apiserver).
        verb: String,
        /// The URL path.
        path: String,
    },
}

/// A resource request. Empty strings mean "not set", as in the apiserver.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResourceAttributes {
    /// Verb (`create`, `patch`, `escalate`, `bind`, `impersonate`, ...).
    pub verb: String,
    /// API group, `""` for core.
    pub group: String,
    /// Resource (plural, lower case).
    pub resource: String,
    /// Subresource, or empty.
    pub subresource: String,
    /// Object name, or empty (create, list, watch, deletecollection have none).
    pub name: String,
    /// Namespace of the request, or empty for cluster-scoped requests.
    pub namespace: String,
}

impl PolicyRule {
    /// `VerbMatches`: `*` or the exact verb.
    pub fn verb_matches(&self, verb: &str) -> bool {
        self.verbs.iter().any(|v| v == ALL || v == verb)
    }

    /// `APIGroupMatches`: `*` or the exact group.
    pub fn api_group_matches(&self, group: &str) -> bool {
        self.api_groups.iter().any(|g| g == ALL || g == group)
    }

    /// `ResourceMatches`: `*` matches every resource and subresource; otherwise the exact
    /// `resource[/subresource]`, or `*/subresource` for a subresource of any resource.
    /// `jobs/*` is a literal and matches nothing.
    pub fn resource_matches(&self, resource: &str, subresource: &str) -> bool {
        self.resources.iter().any(|r| {
            if r == ALL {
                return true;
            }
            if subresource.is_empty() {
                return r == resource;
            }
            let combined_len = resource.len() + 1 + subresource.len();
            if r.len() == combined_len
                && r.starts_with(resource)
                && r.as_bytes().get(resource.len()) == Some(&b'/')
                && r.ends_with(subresource)
            {
                return true;
            }
            r.len() == subresource.len() + 2 && r.starts_with("*/") && r.ends_with(subresource)
        })
    }

    /// `ResourceNameMatches`: no names means every name; otherwise the exact name. A request
    /// without a name (create, list, ...) never matches a rule limited to names.
    pub fn resource_name_matches(&self, name: &str) -> bool {
        self.resource_names.is_empty() || self.resource_names.iter().any(|n| n == name)
    }

    /// `NonResourceURLMatches`: `*`, the exact path, or a prefix ending in `*`.
    pub fn non_resource_url_matches(&self, path: &str) -> bool {
        self.non_resource_urls.iter().any(|u| {
            u == ALL || u == path || (u.ends_with('*') && path.starts_with(u.trim_end_matches('*')))
        })
    }

    /// `RuleAllows`: whether this rule alone authorises the request.
    pub fn allows(&self, request: &RequestAttributes) -> bool {
        match request {
            RequestAttributes::Resource(r) => {
                self.verb_matches(&r.verb)
                    && self.api_group_matches(&r.group)
                    && self.resource_matches(&r.resource, &r.subresource)
                    && self.resource_name_matches(&r.name)
            }
            RequestAttributes::NonResource { verb, path } => {
                self.verb_matches(verb) && self.non_resource_url_matches(path)
            }
        }
    }

    /// Like [`PolicyRule::allows`] for a resource request, but for every object name at once:
    /// `None` if the rule does not apply, `Some(NameScope::Any)` if it applies to every name,
    /// `Some(NameScope::Only(names))` if only to the listed names.
    pub fn allows_names(&self, r: &ResourceAttributes) -> Option<NameScope<'_>> {
        if !(self.verb_matches(&r.verb)
            && self.api_group_matches(&r.group)
            && self.resource_matches(&r.resource, &r.subresource))
        {
            return None;
        }
        if self.resource_names.is_empty() {
            Some(NameScope::Any)
        } else {
            Some(NameScope::Only(&self.resource_names))
        }
    }
}

/// Which object names a rule covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NameScope<'a> {
    /// Every name (and requests without a name).
    Any,
    /// Only these names (never a request without a name).
    Only(&'a [String]),
}

impl NameScope<'_> {
    /// Whether `name` is covered.
    pub fn covers(&self, name: &str) -> bool {
        match self {
            NameScope::Any => true,
            NameScope::Only(names) => names.iter().any(|n| n == name),
        }
    }
}

/// `validation.Covers`: whether `owner` rules hold every permission of `servant` rules (the
/// check the apiserver makes before letting someone without `escalate`/`bind` write a role or
/// binding). Returns the uncovered atomic rules, empty when covered.
pub fn uncovered(owner: &[&PolicyRule], servant: &[PolicyRule]) -> Vec<PolicyRule> {
    let mut missing = Vec::new();
    for rule in servant {
        for sub in breakdown(rule) {
            if !owner.iter().any(|o| rule_covers(o, &sub)) {
                missing.push(sub);
            }
        }
    }
    missing
}

/// `BreakdownRule`: one rule per group x resource x verb (x name), and per URL x verb.
fn breakdown(rule: &PolicyRule) -> Vec<PolicyRule> {
    let mut out = Vec::new();
    for group in &rule.api_groups {
        for resource in &rule.resources {
            for verb in &rule.verbs {
                let base = PolicyRule {
                    verbs: vec![verb.clone()],
                    api_groups: vec![group.clone()],
                    resources: vec![resource.clone()],
                    ..PolicyRule::default()
                };
                if rule.resource_names.is_empty() {
                    out.push(base);
                } else {
                    for name in &rule.resource_names {
                        let mut r = base.clone();
                        r.resource_names = vec![name.clone()];
                        out.push(r);
                    }
                }
            }
        }
    }
    for url in &rule.non_resource_urls {
        for verb in &rule.verbs {
            out.push(PolicyRule {
                verbs: vec![verb.clone()],
                non_resource_urls: vec![url.clone()],
                ..PolicyRule::default()
            });
        }
    }
    out
}

fn has_all(set: &[String], wanted: &[String]) -> bool {
    wanted.iter().all(|w| set.contains(w))
}

fn resource_covers_all(set: &[String], wanted: &[String]) -> bool {
    if set.iter().any(|s| s == ALL) || has_all(set, wanted) {
        return true;
    }
    wanted.iter().all(|path| {
        if set.contains(path) {
            return true;
        }
        match path.split_once('/') {
            Some((_, sub)) => set.iter().any(|s| s == &format!("*/{sub}")),
            None => false,
        }
    })
}

fn non_resource_urls_cover_all(set: &[String], wanted: &[String]) -> bool {
    wanted.iter().all(|path| {
        set.iter().any(|owner| {
            owner == path || (owner.ends_with('*') && path.starts_with(owner.trim_end_matches('*')))
        })
    })
}

/// `ruleCovers`: `owner` (any shape) covers the atomic `sub`.
fn rule_covers(owner: &PolicyRule, sub: &PolicyRule) -> bool {
    let verbs = owner.verbs.iter().any(|v| v == ALL) || has_all(&owner.verbs, &sub.verbs);
    let groups =
        owner.api_groups.iter().any(|g| g == ALL) || has_all(&owner.api_groups, &sub.api_groups);
    let resources = resource_covers_all(&owner.resources, &sub.resources);
    let urls = non_resource_urls_cover_all(&owner.non_resource_urls, &sub.non_resource_urls);
    let names = if sub.resource_names.is_empty() {
        owner.resource_names.is_empty()
    } else {
        owner.resource_names.is_empty() || has_all(&owner.resource_names, &sub.resource_names)
    };
    verbs && groups && resources && names && urls
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(verbs: &[&str], groups: &[&str], resources: &[&str], names: &[&str]) -> PolicyRule {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect();
        PolicyRule {
            verbs: s(verbs),
            api_groups: s(groups),
            resources: s(resources),
            resource_names: s(names),
            non_resource_urls: vec![],
        }
    }

    fn req(verb: &str, group: &str, res: &str, sub: &str, name: &str) -> RequestAttributes {
        RequestAttributes::Resource(ResourceAttributes {
            verb: verb.into(),
            group: group.into(),
            resource: res.into(),
            subresource: sub.into(),
            name: name.into(),
            namespace: "ns".into(),
        })
    }

    #[test]
    fn verbs_and_groups_match_exactly_or_by_star() {
        let r = rule(&["create"], &["batch"], &["cronjobs"], &[]);
        assert!(r.allows(&req("create", "batch", "cronjobs", "", "")));
        assert!(!r.allows(&req("patch", "batch", "cronjobs", "", "")));
        assert!(!r.allows(&req("create", "", "cronjobs", "", "")));
        assert!(!r.allows(&req("create", "batch", "jobs", "", "")));
        let star = rule(&["*"], &["*"], &["cronjobs"], &[]);
        assert!(star.allows(&req("escalate", "anything", "cronjobs", "", "")));
        // "Create" is not "create": no case folding.
        assert!(!r.allows(&req("Create", "batch", "cronjobs", "", "")));
    }

    #[test]
    fn star_resource_matches_subresources_but_resource_does_not() {
        let star = rule(&["get"], &["batch"], &["*"], &[]);
        assert!(star.allows(&req("get", "batch", "jobs", "status", "")));
        let plain = rule(&["get"], &["batch"], &["jobs"], &[]);
        assert!(!plain.allows(&req("get", "batch", "jobs", "status", "")));
        let exact = rule(&["get"], &["batch"], &["jobs/status"], &[]);
        assert!(exact.allows(&req("get", "batch", "jobs", "status", "")));
        assert!(!exact.allows(&req("get", "batch", "jobs", "", "")));
        assert!(!exact.allows(&req("get", "batch", "cronjobs", "status", "")));
    }

    #[test]
    fn star_slash_subresource_matches_that_subresource_of_any_resource() {
        let scale = rule(&["update"], &["*"], &["*/scale"], &[]);
        assert!(scale.allows(&req("update", "apps", "deployments", "scale", "")));
        assert!(!scale.allows(&req("update", "apps", "deployments", "", "")));
        assert!(!scale.allows(&req("update", "apps", "deployments", "status", "")));
        // "jobs/*" is a literal, not a wildcard.
        let literal = rule(&["get"], &["batch"], &["jobs/*"], &[]);
        assert!(!literal.allows(&req("get", "batch", "jobs", "status", "")));
        assert!(!literal.allows(&req("get", "batch", "jobs", "", "")));
    }

    #[test]
    fn resource_names_never_authorise_requests_without_a_name() {
        let named = rule(
            &["create", "get", "patch"],
            &["batch"],
            &["cronjobs"],
            &["backup"],
        );
        assert!(!named.allows(&req("create", "batch", "cronjobs", "", "")));
        assert!(named.allows(&req("patch", "batch", "cronjobs", "", "backup")));
        assert!(!named.allows(&req("patch", "batch", "cronjobs", "", "other")));
        let r = ResourceAttributes {
            verb: "patch".into(),
            group: "batch".into(),
            resource: "cronjobs".into(),
            ..ResourceAttributes::default()
        };
        let scope = named.allows_names(&r);
        assert!(matches!(scope, Some(NameScope::Only(n)) if n == ["backup".to_string()]));
    }

    #[test]
    fn non_resource_urls_match_exact_star_and_prefix() {
        let r = PolicyRule {
            verbs: vec!["get".into()],
            non_resource_urls: vec!["/healthz".into(), "/api/*".into()],
            ..PolicyRule::default()
        };
        let get = |p: &str| RequestAttributes::NonResource {
            verb: "get".into(),
            path: p.into(),
        };
        assert!(r.allows(&get("/healthz")));
        assert!(!r.allows(&get("/healthz/ready")));
        assert!(r.allows(&get("/api/v1")));
        assert!(r.allows(&get("/api/")));
        assert!(!r.allows(&get("/apis")));
        // A resource rule never matches a non-resource request.
        let res = rule(&["*"], &["*"], &["*"], &[]);
        assert!(!res.allows(&get("/healthz")));
    }

    #[test]
    fn covers_follows_the_escalation_check() {
        let owner = rule(&["*"], &["batch"], &["*"], &[]);
        let servant = vec![rule(
            &["create", "patch"],
            &["batch"],
            &["cronjobs", "jobs/status"],
            &[],
        )];
        assert!(uncovered(&[&owner], &servant).is_empty());
        let narrow = rule(&["create"], &["batch"], &["cronjobs"], &[]);
        let missing = uncovered(&[&narrow], &servant);
        assert_eq!(missing.len(), 3);
        let sub_owner = rule(&["get"], &[""], &["*/status"], &[]);
        let sub_servant = vec![rule(&["get"], &[""], &["pods/status"], &[])];
        assert!(uncovered(&[&sub_owner], &sub_servant).is_empty());
        let named_owner = rule(&["get"], &[""], &["secrets"], &["a"]);
        assert!(
            !uncovered(&[&named_owner], &[rule(&["get"], &[""], &["secrets"], &[])]).is_empty()
        );
        assert!(
            uncovered(
                &[&named_owner],
                &[rule(&["get"], &[""], &["secrets"], &["a"])]
            )
            .is_empty()
        );
    }
}
