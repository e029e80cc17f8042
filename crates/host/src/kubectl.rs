//! kubectl (and `oc`) command lines, understood the way kubectl itself parses them: cobra
//! commands with pflag flags, so global flags may come before or after the verb, long flags
//! take `--flag=value` or `--flag value` (except flags with an implicit value such as
//! `--dry-run`, which only take `=`), short flags may be combined (`-An`) or glued to their value
//! (`-nprod`), and `--` ends the flags.
//!
//! [`parse`] reads one argv; [`parse_command_line`] finds every kubectl in a shell command line
//! (pipelines, lists, `sh -c`, wrappers) and fills in what a pipe or here-document feeds to
//! `-f -`.

use crate::event::basename;
use crate::shell::{self, SimpleCommand};
use serde::Serialize;

/// A Kubernetes resource named on the command line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ResourceRef {
    /// Canonical kind: `Job`, `CronJob`, `Pod`, `all`, or the resource as typed (lowercased)
    /// for anything else.
    pub kind: String,
    /// The object name, when given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl ResourceRef {
    /// True for Jobs, CronJobs and `all` (which includes both).
    pub fn is_batch(&self) -> bool {
        matches!(self.kind.as_str(), "Job" | "CronJob" | "all")
    }
}

/// Where `-f` takes manifests from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ManifestKind {
    /// A file.
    File,
    /// A directory (a path ending in `/`, or without a manifest extension).
    Directory,
    /// An `http(s)://` URL.
    Url,
    /// Standard input (`-`).
    Stdin,
}

/// One `-f`/`--filename` argument.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ManifestArg {
    /// The path, URL or `-`.
    pub path: String,
    /// What it is.
    pub kind: ManifestKind,
}

/// `--dry-run` as given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DryRun {
    /// `--dry-run`, `--dry-run=client` or `=true`: nothing is sent.
    Client,
    /// `--dry-run=server`: sent, not persisted.
    Server,
    /// `--dry-run=none` or `=false`: a real request.
    None,
}

/// `--as`, `--as-group`, `--as-uid`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Impersonation {
    /// `--as`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// `--as-group`, each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
    /// `--as-uid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
}

/// What a kubectl invocation does, coarsely.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Reads: get, describe, logs, wait, explain, `auth can-i`, top.
    Read,
    /// Creates or changes objects: create, apply, replace, patch, set, edit, run, label,
    /// annotate, scale, rollout restart.
    Write,
    /// delete.
    Delete,
    /// exec, attach, cp, debug, port-forward.
    Exec,
    /// Anything else (config, version, plugin, ...).
    Other,
}

/// One kubectl invocation, parsed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct KubectlInvocation {
    /// `kubectl` or `oc`.
    pub program: String,
    /// The command (`get`, `create`, `apply`, ...); empty when none was given.
    pub verb: String,
    /// The sub-command: `job`/`cronjob` for `create`, `image` for `set`, `can-i` for `auth`,
    /// `restart` for `rollout`, ...
    #[serde(skip_serializing_if = "Option::is_none")]
    pub subcommand: Option<String>,
    /// The resources named (kinds canonical, names when given).
    pub resources: Vec<ResourceRef>,
    /// `-n`/`--namespace`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// `-A`/`--all-namespaces`.
    pub all_namespaces: bool,
    /// `-f`/`--filename` arguments.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<ManifestArg>,
    /// `-k`/`--kustomize`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kustomize: Option<String>,
    /// `--from=cronjob/NAME` (create job).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from: Option<ResourceRef>,
    /// `--dry-run`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<DryRun>,
    /// `-o`/`--output`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// `--as`, `--as-group`, `--as-uid`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub impersonate: Option<Impersonation>,
    /// `--token` was given (its value is never kept).
    pub token_flag_present: bool,
    /// `-s`/`--server`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// `--context`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub context: Option<String>,
    /// `--cluster`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<String>,
    /// `--user`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// `--kubeconfig`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kubeconfig: Option<String>,
    /// `--insecure-skip-tls-verify`.
    pub insecure_skip_tls_verify: bool,
    /// `--image`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub image: Option<String>,
    /// `--schedule`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// `--restart` (run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restart: Option<String>,
    /// `--overrides` (run): the JSON patched into the Pod.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overrides: Option<String>,
    /// `--raw` URI.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub raw: Option<String>,
    /// `auth can-i VERB ...`: the verb asked about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub can_i_verb: Option<String>,
    /// `set image` pairs (`container=image`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub set_images: Vec<String>,
    /// Everything after `--` (the container command of `create job|cronjob`, `run`, `exec`).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub command_after_dashdash: Vec<String>,
    /// Kinds the manifests given to `-f` hold, as far as the command line shows: a
    /// here-document's `kind:` lines, the `create job|cronjob` whose output is piped in, or a
    /// file name such as `cronjob.yaml`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub manifest_kinds: Vec<String>,
}

const PROGRAMS: &[&str] = &["kubectl", "oc"];

/// Long flags that take a value (`--flag value` allowed). Everything not listed and not in
/// [`IMPLICIT_VALUE`] is treated as a boolean.
const LONG_WITH_VALUE: &[&str] = &[
    // Global (persistent) flags.
    "namespace",
    "context",
    "kubeconfig",
    "server",
    "token",
    "as",
    "as-group",
    "as-uid",
    "user",
    "cluster",
    "certificate-authority",
    "client-certificate",
    "client-key",
    "cache-dir",
    "password",
    "username",
    "profile",
    "profile-output",
    "request-timeout",
    "tls-server-name",
    "v",
    "vmodule",
    "log-dir",
    "log-file",
    "log-file-max-size",
    "log-flush-frequency",
    "stderrthreshold",
    "log-backtrace-at",
    "kuberc",
    // Command flags.
    "filename",
    "kustomize",
    "output",
    "selector",
    "field-selector",
    "from",
    "image",
    "schedule",
    "restart",
    "overrides",
    "container",
    "template",
    "sort-by",
    "field-manager",
    "type",
    "patch",
    "patch-file",
    "env",
    "labels",
    "port",
    "replicas",
    "timeout",
    "grace-period",
    "chunk-size",
    "subresource",
    "for",
    "image-pull-policy",
    "serviceaccount",
    "requests",
    "limits",
    "annotations",
    "pod-running-timeout",
    "prune-allowlist",
    "label-columns",
    "raw",
    "list",
    "target",
    "profile",
    "resource-version",
    "current-replicas",
    "to-revision",
    "max-log-requests",
    "since",
    "since-time",
    "tail",
    "limit-bytes",
    "address",
    "hostport",
    "expose-port",
    "cascade-delete",
    "from-file",
    "from-literal",
    "from-env-file",
    "docker-server",
    "docker-username",
    "docker-password",
    "docker-email",
    "cert",
    "key",
    "clusterrole",
    "role",
    "group",
    "user-name",
    "session-key",
    "node-name",
    "copy-to",
    "attach-timeout",
    "duration",
    "audience",
    "bound-object-kind",
    "bound-object-name",
    "bound-object-uid",
    "session-affinity",
    "cluster-ip",
    "external-ip",
    "load-balancer-ip",
    "name",
    "protocol",
    "target-port",
    "generator",
    "pod-selector",
    "max-unavailable",
    "min-available",
    "description",
    "value",
    "preemption-policy",
    "hard",
    "scopes",
    "resource",
    "resource-name",
    "verb",
    "aggregation-rule",
    "non-resource-url",
    "rule",
    "class",
    "default-backend",
    "annotation",
    "tcp",
    "node-port",
    "service-account",
    "cpu-percent",
    "max",
    "min",
    "all-containers-log",
    "prefix-log",
    "pod-template-file",
];

/// Long flags with an implicit value: the value must be given with `=` (kept to document,
/// and test, that they never consume the next argument).
#[cfg_attr(not(test), allow(dead_code))]
const IMPLICIT_VALUE: &[&str] = &[
    "dry-run",
    "validate",
    "cascade",
    "all-namespaces",
    "insecure-skip-tls-verify",
    "wait",
    "show-managed-fields",
    "server-side",
    "force-conflicts",
    "prune",
    "record",
    "save-config",
    "overwrite",
    "local",
    "recursive",
    "all",
    "force",
    "now",
    "ignore-not-found",
    "watch",
    "watch-only",
    "no-headers",
    "show-labels",
    "show-kind",
    "stdin",
    "tty",
    "quiet",
    "rm",
    "privileged",
    "attach",
    "leave-stdin-open",
    "expose",
    "windows-line-endings",
    "follow",
    "previous",
    "timestamps",
    "ignore-errors",
    "edit",
    "include-uninitialized",
    "match-server-version",
    "disable-compression",
    "warnings-as-errors",
    "allow-missing-template-keys",
];

/// Short flags that take a value, with their long names.
const SHORT_WITH_VALUE: &[(char, &str)] = &[
    ('n', "namespace"),
    ('s', "server"),
    ('f', "filename"),
    ('k', "kustomize"),
    ('o', "output"),
    ('l', "selector"),
    ('c', "container"),
    ('p', "patch"),
    ('v', "v"),
    ('L', "label-columns"),
    ('e', "env"),
    ('r', "replicas"),
];

/// Short boolean flags, with their long names.
const SHORT_BOOL: &[(char, &str)] = &[
    ('A', "all-namespaces"),
    ('i', "stdin"),
    ('t', "tty"),
    ('q', "quiet"),
    ('R', "recursive"),
    ('w', "watch"),
    ('h', "help"),
    ('a', "all"),
];

/// `create` sub-commands (with aliases) and the kind they create.
const CREATE_SUBCOMMANDS: &[(&str, &str)] = &[
    ("job", "Job"),
    ("cronjob", "CronJob"),
    ("cj", "CronJob"),
    ("deployment", "deployments"),
    ("deploy", "deployments"),
    ("clusterrole", "clusterroles"),
    ("clusterrolebinding", "clusterrolebindings"),
    ("role", "roles"),
    ("rolebinding", "rolebindings"),
    ("configmap", "configmaps"),
    ("cm", "configmaps"),
    ("secret", "secrets"),
    ("namespace", "namespaces"),
    ("ns", "namespaces"),
    ("service", "services"),
    ("svc", "services"),
    ("serviceaccount", "serviceaccounts"),
    ("sa", "serviceaccounts"),
    ("token", "serviceaccounts"),
    ("ingress", "ingresses"),
    ("ing", "ingresses"),
    ("poddisruptionbudget", "poddisruptionbudgets"),
    ("pdb", "poddisruptionbudgets"),
    ("priorityclass", "priorityclasses"),
    ("pc", "priorityclasses"),
    ("quota", "resourcequotas"),
    ("resourcequota", "resourcequotas"),
];

/// Commands with sub-commands of their own.
const GROUP_COMMANDS: &[&str] = &[
    "set",
    "auth",
    "rollout",
    "config",
    "certificate",
    "plugin",
    "alpha",
    "apply",
];

/// Is `arg0` kubectl or oc (any path, `.exe`, version suffixes like `kubectl-1.29`)?
pub fn is_kubectl(arg0: &str) -> bool {
    program_name(arg0).is_some()
}

fn program_name(arg0: &str) -> Option<&'static str> {
    let base = basename(arg0).to_ascii_lowercase();
    let base = base.strip_suffix(".exe").unwrap_or(&base);
    for p in PROGRAMS {
        if base == *p {
            return Some(p);
        }
        if let Some(rest) = base.strip_prefix(p) {
            // kubectl1.29, kubectl-1.29, kubectl_v1.29 (not kubectl-neat or other plugins).
            let rest = rest.trim_start_matches(['-', '_', '.']);
            let rest = rest.strip_prefix('v').unwrap_or(rest);
            if *p == "kubectl"
                && !rest.is_empty()
                && rest.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            {
                return Some(p);
            }
        }
    }
    None
}

/// Canonical kind of a resource as typed: `jobs`, `job.v1.batch`, `cj`, `cronjobs.batch` ...
pub fn canonical_kind(typed: &str) -> String {
    let lower = typed.trim().to_ascii_lowercase();
    let (resource, group) = match lower.split_once('.') {
        Some((r, g)) => (r, Some(g)),
        None => (lower.as_str(), None),
    };
    let batch_group = match group {
        None => true,
        Some(g) => {
            let g = g
                .strip_prefix("v1.")
                .or_else(|| g.strip_prefix("v1beta1."))
                .or_else(|| g.strip_prefix("v2alpha1."))
                .unwrap_or(g);
            g == "batch"
        }
    };
    let core_group = match group {
        None => true,
        Some(g) => g == "v1" || g.is_empty(),
    };
    match resource {
        "job" | "jobs" if batch_group => "Job".to_string(),
        "cronjob" | "cronjobs" | "cj" if batch_group => "CronJob".to_string(),
        "all" if group.is_none() => "all".to_string(),
        "pod" | "pods" | "po" if core_group => "Pod".to_string(),
        _ => lower,
    }
}

/// Parse one argv (`argv[0]` is the program). `None` when it is not kubectl or oc.
pub fn parse(argv: &[&str]) -> Option<KubectlInvocation> {
    let owned: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
    parse_owned(&owned)
}

/// [`parse`] for owned strings.
pub fn parse_owned(argv: &[String]) -> Option<KubectlInvocation> {
    let first = argv.first()?;
    let mut start = 1;
    let program = match program_name(first) {
        Some(p) => p,
        None => {
            // `microk8s kubectl ...`, `k3s kubectl ...`, `minikube kubectl -- ...`.
            let host = basename(first).to_ascii_lowercase();
            if !matches!(
                host.as_str(),
                "microk8s" | "microk8s.kubectl" | "k3s" | "k0s" | "minikube" | "rke2"
            ) {
                return None;
            }
            if host == "microk8s.kubectl" {
                "kubectl"
            } else {
                if argv.get(1).map(String::as_str) != Some("kubectl") {
                    return None;
                }
                start = 2;
                if host == "minikube" && argv.get(2).map(String::as_str) == Some("--") {
                    start = 3;
                }
                "kubectl"
            }
        }
    };
    let mut inv = KubectlInvocation {
        program: program.to_string(),
        ..KubectlInvocation::default()
    };
    let mut positionals: Vec<String> = Vec::new();
    let mut i = start;
    while let Some(arg) = argv.get(i) {
        i += 1;
        if arg == "--" {
            inv.command_after_dashdash = argv.get(i..).unwrap_or_default().to_vec();
            break;
        }
        if let Some(long) = arg.strip_prefix("--") {
            let (name, inline) = match long.split_once('=') {
                Some((n, v)) => (n, Some(v.to_string())),
                None => (long, None),
            };
            let value = if inline.is_some() {
                inline
            } else if LONG_WITH_VALUE.contains(&name) {
                let v = argv.get(i).cloned();
                i += 1;
                v
            } else {
                None
            };
            apply_flag(&mut inv, name, value);
            continue;
        }
        if arg.len() > 1 && arg.starts_with('-') {
            // A group of short flags: booleans, then at most one that takes a value (the rest
            // of the group, or the next argument).
            let group = arg.get(1..).unwrap_or_default();
            for (at, c) in group.char_indices() {
                if let Some((_, long)) = SHORT_WITH_VALUE.iter().find(|(s, _)| *s == c) {
                    let rest = group.get(at + c.len_utf8()..).unwrap_or_default();
                    let value = if rest.is_empty() {
                        let v = argv.get(i).cloned();
                        i += 1;
                        v
                    } else {
                        Some(rest.strip_prefix('=').unwrap_or(rest).to_string())
                    };
                    apply_flag(&mut inv, long, value);
                    break;
                }
                if let Some((_, long)) = SHORT_BOOL.iter().find(|(s, _)| *s == c) {
                    apply_flag(&mut inv, long, None);
                }
            }
            continue;
        }
        positionals.push(arg.clone());
    }
    interpret_positionals(&mut inv, positionals);
    Some(inv)
}

fn apply_flag(inv: &mut KubectlInvocation, name: &str, value: Option<String>) {
    let truthy = |v: &Option<String>| v.as_deref().is_none_or(|v| v != "false");
    match name {
        "namespace" => inv.namespace = value,
        "all-namespaces" => inv.all_namespaces = truthy(&value),
        "context" => inv.context = value,
        "kubeconfig" => inv.kubeconfig = value,
        "server" => inv.server = value,
        "token" => inv.token_flag_present = true,
        "as" => {
            inv.impersonate
                .get_or_insert_with(Impersonation::default)
                .user = value
        }
        "as-group" => {
            if let Some(v) = value {
                inv.impersonate
                    .get_or_insert_with(Impersonation::default)
                    .groups
                    .push(v);
            }
        }
        "as-uid" => {
            inv.impersonate
                .get_or_insert_with(Impersonation::default)
                .uid = value
        }
        "user" => inv.user = value,
        "cluster" => inv.cluster = value,
        "insecure-skip-tls-verify" => inv.insecure_skip_tls_verify = truthy(&value),
        "filename" => {
            if let Some(v) = value {
                for part in v.split(',').filter(|p| !p.is_empty()) {
                    inv.files.push(manifest_arg(part));
                }
            }
        }
        "kustomize" => inv.kustomize = value,
        "from" => {
            inv.from = value.map(|v| match v.split_once('/') {
                Some((k, n)) => ResourceRef {
                    kind: canonical_kind(k),
                    name: Some(n.to_string()),
                },
                None => ResourceRef {
                    kind: canonical_kind(&v),
                    name: None,
                },
            })
        }
        "dry-run" => {
            inv.dry_run = Some(
                match value.as_deref().map(str::to_ascii_lowercase).as_deref() {
                    None | Some("client" | "true" | "unchanged" | "") => DryRun::Client,
                    Some("server") => DryRun::Server,
                    Some(_) => DryRun::None,
                },
            )
        }
        "output" => inv.output = value,
        "image" => inv.image = value,
        "schedule" => inv.schedule = value,
        "restart" => inv.restart = value,
        "overrides" => inv.overrides = value,
        "raw" => inv.raw = value,
        _ => {}
    }
}

fn manifest_arg(path: &str) -> ManifestArg {
    let lower = path.to_ascii_lowercase();
    let kind = if path == "-" {
        ManifestKind::Stdin
    } else if lower.starts_with("http://") || lower.starts_with("https://") {
        ManifestKind::Url
    } else if path.ends_with('/')
        || path == "."
        || !(lower.ends_with(".yaml") || lower.ends_with(".yml") || lower.ends_with(".json"))
    {
        ManifestKind::Directory
    } else {
        ManifestKind::File
    };
    ManifestArg {
        path: path.to_string(),
        kind,
    }
}

fn interpret_positionals(inv: &mut KubectlInvocation, positionals: Vec<String>) {
    let mut words = positionals.into_iter();
    let Some(verb) = words.next() else {
        return;
    };
    inv.verb = verb.to_ascii_lowercase();
    let mut rest: Vec<String> = words.collect();
    let verb = inv.verb.clone();
    match verb.as_str() {
        "create" => {
            if let Some(sub) = rest.first() {
                let sub_l = sub.to_ascii_lowercase();
                if let Some((_, kind)) = CREATE_SUBCOMMANDS.iter().find(|(s, _)| *s == sub_l) {
                    inv.subcommand = Some(sub_l.clone());
                    let name = rest.get(1).cloned();
                    inv.resources.push(ResourceRef {
                        kind: kind.to_string(),
                        name,
                    });
                }
            }
            if let Some(raw) = inv.raw.clone() {
                push_raw_resources(inv, &raw);
            }
        }
        "auth" => {
            if let Some(sub) = rest.first() {
                inv.subcommand = Some(sub.to_ascii_lowercase());
            }
            if inv.subcommand.as_deref() == Some("can-i") {
                inv.can_i_verb = rest.get(1).map(|v| v.to_ascii_lowercase());
                let targets = rest.get(2..).unwrap_or_default().to_vec();
                // `auth can-i create cronjobs.batch/name` or `... cronjobs name`.
                inv.resources = resource_args(&targets);
            }
        }
        "set" | "rollout" => {
            if !rest.is_empty() {
                inv.subcommand = Some(rest.remove(0).to_ascii_lowercase());
            }
            let (pairs, targets): (Vec<String>, Vec<String>) =
                rest.into_iter().partition(|a| a.contains('='));
            if inv.subcommand.as_deref() == Some("image") {
                inv.set_images = pairs;
            }
            inv.resources = resource_args(&targets);
        }
        "label" | "annotate" => {
            let targets: Vec<String> = rest
                .into_iter()
                .filter(|a| !a.contains('=') && !a.ends_with('-'))
                .collect();
            inv.resources = resource_args(&targets);
        }
        "run" => {
            let name = rest.first().cloned();
            let kind = if inv.schedule.is_some() {
                "CronJob"
            } else if inv
                .restart
                .as_deref()
                .is_some_and(|r| r.eq_ignore_ascii_case("onfailure"))
            {
                // Before kubectl 1.18, `run --restart=OnFailure` created a Job.
                "Job"
            } else {
                "Pod"
            };
            inv.resources.push(ResourceRef {
                kind: kind.to_string(),
                name,
            });
        }
        "exec" | "attach" | "port-forward" | "cp" | "debug" | "logs" => {
            if let Some(target) = rest.first() {
                if target.contains('/') && verb != "cp" {
                    inv.resources = resource_args(&rest[..1]);
                } else if verb == "cp" {
                    // `cp ns/pod:/path local`.
                    if let Some(pod) = rest.iter().find_map(|a| a.split_once(':').map(|(p, _)| p)) {
                        let name = pod.rsplit('/').next().unwrap_or(pod);
                        inv.resources.push(ResourceRef {
                            kind: "Pod".into(),
                            name: Some(name.to_string()),
                        });
                    }
                } else {
                    inv.resources.push(ResourceRef {
                        kind: "Pod".into(),
                        name: Some(target.clone()),
                    });
                }
            }
        }
        "config" | "version" | "api-resources" | "api-versions" | "cluster-info" | "completion"
        | "plugin" | "options" | "kustomize" | "proxy" | "certificate" | "help" => {
            if let Some(sub) = rest.first()
                && GROUP_COMMANDS.contains(&verb.as_str())
            {
                inv.subcommand = Some(sub.to_ascii_lowercase());
            }
        }
        "get" if inv.raw.is_some() => {
            if let Some(raw) = inv.raw.clone() {
                push_raw_resources(inv, &raw);
            }
        }
        "apply" => {
            // `apply edit-last-applied|set-last-applied|view-last-applied TYPE NAME`.
            if rest.first().is_some_and(|s| s.ends_with("-last-applied")) {
                inv.subcommand = Some(rest.remove(0));
            }
            inv.resources = resource_args(&rest);
        }
        _ => inv.resources = resource_args(&rest),
    }
    // A file name is the last resort for what `-f` holds.
    let mut kinds = Vec::new();
    for f in &inv.files {
        if let Some(k) = kind_from_name(&f.path) {
            kinds.push(k.to_string());
        }
    }
    if let Some(k) = inv.kustomize.as_deref().and_then(kind_from_name) {
        kinds.push(k.to_string());
    }
    for k in kinds {
        if !inv.manifest_kinds.contains(&k) {
            inv.manifest_kinds.push(k);
        }
    }
}

fn push_raw_resources(inv: &mut KubectlInvocation, raw: &str) {
    if let Some(target) = crate::rawapi::api_target(raw) {
        if let Some(kind) = target.kind {
            inv.resources.push(ResourceRef {
                kind,
                name: target.name,
            });
        }
        if inv.namespace.is_none() {
            inv.namespace = target.namespace;
        }
    }
}

/// `TYPE[,TYPE...] [NAME...]` or `TYPE/NAME...`, as kubectl's resource builder reads them.
fn resource_args(args: &[String]) -> Vec<ResourceRef> {
    let Some(first) = args.first() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    if first.contains('/') {
        for a in args {
            match a.split_once('/') {
                Some((k, n)) => out.push(ResourceRef {
                    kind: canonical_kind(k),
                    name: (!n.is_empty()).then(|| n.to_string()),
                }),
                None => out.push(ResourceRef {
                    kind: canonical_kind(a),
                    name: None,
                }),
            }
        }
        return out;
    }
    let names = args.get(1..).unwrap_or_default();
    for kind in first.split(',').filter(|k| !k.is_empty()) {
        let kind = canonical_kind(kind);
        if names.is_empty() {
            out.push(ResourceRef { kind, name: None });
        } else {
            for n in names {
                out.push(ResourceRef {
                    kind: kind.clone(),
                    name: Some(n.clone()),
                });
            }
        }
    }
    out
}

/// `cronjob.yaml`, `backup-cj.yml`, `jobs/`: the kind a manifest's name suggests.
fn kind_from_name(path: &str) -> Option<&'static str> {
    let lower = basename(path.trim_end_matches('/')).to_ascii_lowercase();
    if lower.contains("cronjob")
        || lower.contains("cron-job")
        || lower.contains("cron_job")
        || lower.starts_with("cj")
        || lower.contains("-cj")
    {
        Some("CronJob")
    } else if lower.contains("job") {
        Some("Job")
    } else {
        None
    }
}

/// Kinds declared in manifest text (`kind: CronJob` lines, JSON `"kind": "Job"`).
pub fn kinds_in_manifest(text: &str) -> Vec<String> {
    let mut kinds = Vec::new();
    for line in text.lines() {
        let line = line.trim().trim_start_matches('{').trim();
        let rest = line
            .strip_prefix("kind:")
            .or_else(|| line.strip_prefix("\"kind\":"))
            .or_else(|| line.strip_prefix("\"kind\" :"));
        let Some(rest) = rest else { continue };
        let value = rest
            .trim()
            .trim_end_matches(',')
            .trim_matches(|c| c == '"' || c == '\'')
            .trim();
        let kind = match value {
            "CronJob" => "CronJob".to_string(),
            "Job" => "Job".to_string(),
            other if !other.is_empty() && other.len() < 64 => other.to_string(),
            _ => continue,
        };
        if !kinds.contains(&kind) {
            kinds.push(kind);
        }
    }
    kinds
}

/// Every kubectl invocation in a shell command line, with what pipes and here-documents feed
/// to `-f -` filled into [`KubectlInvocation::manifest_kinds`].
pub fn parse_command_line(text: &str) -> Vec<KubectlInvocation> {
    from_commands(&shell::parse_script(text))
}

/// Every kubectl invocation an argv runs (itself, or what its `sh -c` script runs).
pub fn parse_argv(argv: &[String]) -> Vec<KubectlInvocation> {
    from_commands(&shell::commands_of_argv(argv))
}

/// Kubectl invocations among already-split commands.
pub fn from_commands(commands: &[SimpleCommand]) -> Vec<KubectlInvocation> {
    let mut out = Vec::new();
    for (i, cmd) in commands.iter().enumerate() {
        let Some(mut inv) = parse_owned(&cmd.argv) else {
            continue;
        };
        if inv.files.iter().any(|f| f.kind == ManifestKind::Stdin) {
            let mut kinds = Vec::new();
            if let Some(text) = &cmd.stdin_text {
                kinds.extend(kinds_in_manifest(text));
            }
            if let Some(prev) = &cmd.piped_from {
                kinds.extend(kinds_in_manifest(prev));
                // `cat <<EOF | kubectl apply -f -`: the here-document feeds the pipe.
                if let Some(text) = i
                    .checked_sub(1)
                    .and_then(|p| commands.get(p))
                    .and_then(|c| c.stdin_text.as_ref())
                {
                    kinds.extend(kinds_in_manifest(text));
                }
                for earlier in shell::parse_script(prev) {
                    if let Some(generator) = parse_owned(&earlier.argv) {
                        kinds.extend(generator.resources.iter().map(|r| r.kind.clone()));
                        kinds.extend(generator.manifest_kinds.iter().cloned());
                    } else {
                        kinds.extend(
                            earlier
                                .argv
                                .iter()
                                .filter_map(|w| kind_from_name(w))
                                .map(str::to_string),
                        );
                    }
                }
            }
            for k in kinds {
                if !inv.manifest_kinds.contains(&k) {
                    inv.manifest_kinds.push(k);
                }
            }
        }
        out.push(inv);
    }
    out
}

impl KubectlInvocation {
    /// What the invocation does, coarsely.
    pub fn action(&self) -> Action {
        match self.verb.as_str() {
            "get" | "describe" | "logs" | "wait" | "explain" | "top" | "events" => {
                if self.verb == "get" && self.raw.is_some() {
                    return Action::Read;
                }
                Action::Read
            }
            "auth" if self.subcommand.as_deref() == Some("can-i") => Action::Read,
            "create" | "replace" | "patch" | "edit" | "run" | "label" | "annotate" | "scale"
            | "autoscale" | "expose" | "set" => {
                if self.dry_run == Some(DryRun::Client) {
                    // Nothing leaves the machine; the output usually feeds a real create.
                    return Action::Other;
                }
                Action::Write
            }
            "apply" => match self.subcommand.as_deref() {
                Some("view-last-applied") => Action::Read,
                _ if self.dry_run == Some(DryRun::Client) => Action::Other,
                _ => Action::Write,
            },
            "rollout" => match self.subcommand.as_deref() {
                Some("status" | "history") => Action::Read,
                _ => Action::Write,
            },
            "delete" => Action::Delete,
            "exec" | "attach" | "cp" | "debug" | "port-forward" => Action::Exec,
            _ => Action::Other,
        }
    }

    /// True when the named resources include Jobs or CronJobs (or `all`), or the manifests
    /// fed to `-f` are known to hold one, or `--from` names a CronJob.
    pub fn touches_batch(&self) -> bool {
        self.resources.iter().any(ResourceRef::is_batch)
            || self
                .manifest_kinds
                .iter()
                .any(|k| k == "Job" || k == "CronJob")
            || self.from.as_ref().is_some_and(ResourceRef::is_batch)
    }

    /// Creates or changes objects from manifests (`-f`, `-k`) whose kinds the command line
    /// does not show.
    pub fn writes_manifests(&self) -> bool {
        self.action() == Action::Write && (!self.files.is_empty() || self.kustomize.is_some())
    }

    /// The batch kind written or read: from the resources, then `-f` hints.
    pub fn batch_kind(&self) -> Option<&str> {
        self.resources
            .iter()
            .map(|r| r.kind.as_str())
            .chain(self.manifest_kinds.iter().map(String::as_str))
            .find(|k| *k == "CronJob" || *k == "Job")
            .or_else(|| {
                self.resources
                    .iter()
                    .any(|r| r.kind == "all")
                    .then_some("all")
            })
    }

    /// The first batch object name given, if any.
    pub fn batch_name(&self) -> Option<&str> {
        self.resources
            .iter()
            .filter(|r| r.is_batch())
            .find_map(|r| r.name.as_deref())
    }

    /// `--dry-run=client` or `=server`: nothing persisted.
    pub fn is_dry_run(&self) -> bool {
        matches!(self.dry_run, Some(DryRun::Client | DryRun::Server))
    }

    /// A short human rendering (`kubectl create job x --from=cronjob/y -n prod`).
    pub fn describe(&self) -> String {
        let mut s = format!("{} {}", self.program, self.verb);
        if let Some(sub) = &self.subcommand {
            s.push(' ');
            s.push_str(sub);
        }
        for r in &self.resources {
            s.push(' ');
            s.push_str(&r.kind);
            if let Some(n) = &r.name {
                s.push('/');
                s.push_str(n);
            }
        }
        for f in &self.files {
            s.push_str(" -f ");
            s.push_str(&f.path);
        }
        if let Some(from) = &self.from {
            s.push_str(&format!(
                " --from={}/{}",
                from.kind,
                from.name.as_deref().unwrap_or("")
            ));
        }
        if let Some(ns) = &self.namespace {
            s.push_str(" -n ");
            s.push_str(ns);
        }
        if self.all_namespaces {
            s.push_str(" -A");
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_kinds() {
        for typed in [
            "jobs",
            "job",
            "jobs.batch",
            "job.v1.batch",
            "JOBS",
            "job.batch",
        ] {
            assert_eq!(canonical_kind(typed), "Job", "{typed}");
        }
        for typed in [
            "cronjobs",
            "cronjob",
            "cj",
            "cronjobs.batch",
            "cronjob.v1beta1.batch",
        ] {
            assert_eq!(canonical_kind(typed), "CronJob", "{typed}");
        }
        assert_eq!(
            canonical_kind("jobs.batch.volcano.sh"),
            "jobs.batch.volcano.sh"
        );
        assert_eq!(canonical_kind("po"), "Pod");
    }

    #[test]
    fn flag_tables_are_disjoint() {
        for f in IMPLICIT_VALUE {
            assert!(!LONG_WITH_VALUE.contains(f), "{f}");
        }
    }

    #[test]
    fn programs() {
        for p in [
            "kubectl",
            "/usr/local/bin/kubectl",
            "./kubectl",
            "kubectl.exe",
            "C:\\bin\\kubectl.exe",
            "oc",
            "kubectl1.29",
            "kubectl-v1.29",
        ] {
            assert!(is_kubectl(p), "{p}");
        }
        for p in ["k", "kubectl-neat", "kubectx", "ocp", "docker"] {
            assert!(!is_kubectl(p), "{p}");
        }
    }
}
