//! The streaming host detector: gathers [`Facts`] about each record (context, kubectl
//! invocations, raw API calls, recent reconnaissance), runs the rules, builds
//! `jobwarden.alert/v1` alerts, and exports [`BatchIntent`]s for correlation with the audit log.

use crate::config::{HostConfig, matches_any};
use crate::context::{self, ExecContext};
use crate::error::HostLocation;
use crate::event::{HostRecord, ProcessEvent};
use crate::kubectl::{self, Action, KubectlInvocation};
use crate::rawapi::{self, SA_DIR};
use crate::rules::{self, Facts, Hit, Rule};
use crate::shell;
use jobwarden_model::{ALERT_SCHEMA, Actor, Alert, Evidence, EvidenceKind, RuleRef};
use serde::Serialize;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap, VecDeque};

/// Most (host, user) pairs remembered for reconnaissance-then-write.
const MAX_RECON_KEYS: usize = 8_192;

/// A host-side write of a batch object, exported so the audit side can link it to the
/// apiserver's record of the same request (same verb, object and user agent `kubectl/...`
/// within a time window) and build one incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchIntent {
    /// RFC 3339 time of the process start (empty when the producer gave none).
    pub time: String,
    /// Host or node.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// Local user.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// `-n` or the namespace in the URL; `None` means the kubeconfig's default.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// `CronJob`, `Job`, or `unknown` (manifests whose kinds the command line does not show).
    pub kind: String,
    /// Object name, when the command line names it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The client's verb (`create`, `apply`, `replace`, `patch`, `set`, `edit`, `run`,
    /// `delete`, or the HTTP method for raw calls).
    pub verb: String,
    /// The audit verbs the request may show up as (`create`, `update`, `patch`, `delete`).
    pub audit_verbs: Vec<&'static str>,
    /// `create job --from=cronjob/NAME`: the CronJob.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_cronjob: Option<String>,
    /// `kubectl`, `oc`, `curl`, `wget`, `python3`, ...
    pub client: String,
    /// The user agent the command line sets (raw API calls), which the audit log shows
    /// instead of the client's own.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_agent: Option<String>,
    /// Where the process ran (`container`, `host shell`, ...).
    pub context: String,
    /// The pod the process ran in, when the producer knows it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pod: Option<String>,
    /// The process is the client itself, not a shell or wrapper whose command line runs it
    /// (`sh -c "kubectl ..."`, `sudo kubectl ...`): the line an analyst wants cited.
    pub direct: bool,
    /// `file:line` of the process event.
    pub source: String,
}

/// The streaming host detector. Feed records in input order with [`HostDetector::push`].
pub struct HostDetector {
    config: HostConfig,
    rules: Vec<Box<dyn Rule>>,
    enabled: Vec<bool>,
    intents: VecDeque<BatchIntent>,
    recon: HashMap<(String, String), i64>,
}

impl std::fmt::Debug for HostDetector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HostDetector")
            .field("config", &self.config)
            .field("intents", &self.intents.len())
            .finish_non_exhaustive()
    }
}

impl HostDetector {
    /// A detector with the built-in host rules and `config`.
    pub fn new(config: HostConfig) -> Self {
        let rules = rules::builtin();
        let enabled = rules
            .iter()
            .map(|r| !config.is_disabled(r.meta().id, r.meta().slug))
            .collect();
        Self {
            config,
            rules,
            enabled,
            intents: VecDeque::new(),
            recon: HashMap::new(),
        }
    }

    /// The rules, in id order.
    pub fn rules(&self) -> &[Box<dyn Rule>] {
        &self.rules
    }

    /// Batch writes seen so far (oldest first), for correlation.
    pub fn intents(&self) -> &VecDeque<BatchIntent> {
        &self.intents
    }

    /// Take the batch writes seen so far, leaving none.
    pub fn take_intents(&mut self) -> Vec<BatchIntent> {
        self.intents.drain(..).collect()
    }

    /// Judge one record read at `location`; alerts are appended to `out`.
    pub fn push(&mut self, record: &HostRecord, location: &HostLocation, out: &mut Vec<Alert>) {
        let facts = self.facts(record, location);
        for (i, rule) in self.rules.iter().enumerate() {
            if !self.enabled.get(i).copied().unwrap_or(false) {
                continue;
            }
            if let Some(hit) = rule.check(&facts, &self.config) {
                out.push(build_alert(rule.as_ref(), hit, &facts, &self.config));
            }
        }
        if let HostRecord::Process(p) = record {
            self.remember(p, &facts);
        }
    }

    fn facts<'a>(&self, record: &'a HostRecord, location: &'a HostLocation) -> Facts<'a> {
        let mut facts = Facts {
            record,
            location,
            context: None,
            kubectl: Vec::new(),
            raw_api: Vec::new(),
            writes_to: Vec::new(),
            recent_recon: false,
            service_account_token: false,
        };
        let HostRecord::Process(p) = record else {
            return facts;
        };
        let argv = if p.argv.is_empty() {
            shell::split_words(&p.command_line)
        } else {
            p.argv.clone()
        };
        let commands = shell::commands_of_argv(&argv);
        facts.kubectl = kubectl::from_commands(&commands);
        let whole = argv.join(" ");
        facts.raw_api = rawapi::from_commands(&commands, &whole);
        facts.writes_to = commands
            .iter()
            .flat_map(|c| c.writes_to.iter().cloned())
            .collect();
        facts.service_account_token = whole.contains(SA_DIR);
        facts.context = Some(context::classify(p));
        if let (Some(t), Some(key)) = (p.time, recon_key(p))
            && let Some(seen) = self.recon.get(&key)
        {
            let age = t.as_second() - seen;
            facts.recent_recon = (0..=self.config.recon_window_secs).contains(&age);
        }
        facts
    }

    fn remember(&mut self, p: &ProcessEvent, facts: &Facts<'_>) {
        let reads_batch = facts
            .kubectl
            .iter()
            .any(|k| k.action() == Action::Read && k.touches_batch())
            || facts
                .raw_api
                .iter()
                .any(|c| !c.is_write() && c.target.is_batch());
        if reads_batch && let (Some(t), Some(key)) = (p.time, recon_key(p)) {
            if self.recon.len() >= MAX_RECON_KEYS {
                self.recon.clear();
            }
            self.recon.insert(key, t.as_second());
        }
        let context = facts
            .context
            .as_ref()
            .map_or("unknown", ExecContext::label)
            .to_string();
        let time = p.time.map(|t| t.to_string()).unwrap_or_default();
        let user = p.user.clone().or_else(|| p.uid.map(|u| u.to_string()));
        let program = p
            .exe
            .as_deref()
            .or(p.argv.first().map(String::as_str))
            .map(|e| crate::event::basename(e).to_ascii_lowercase())
            .unwrap_or_default();
        for inv in &facts.kubectl {
            if let Some(intent) = kubectl_intent(inv) {
                self.push_intent(BatchIntent {
                    time: time.clone(),
                    host: p.host.clone(),
                    user: user.clone(),
                    context: context.clone(),
                    pod: p.container.pod.clone(),
                    direct: program == intent.client.to_ascii_lowercase(),
                    source: facts.location.to_string(),
                    ..intent
                });
            }
        }
        for call in &facts.raw_api {
            if !(call.is_write() && call.target.is_batch()) {
                continue;
            }
            let audit_verbs = match call.method.as_str() {
                "POST" => vec!["create"],
                "PUT" => vec!["update"],
                "PATCH" => vec!["patch"],
                _ => vec!["delete", "deletecollection"],
            };
            self.push_intent(BatchIntent {
                time: time.clone(),
                host: p.host.clone(),
                user: user.clone(),
                namespace: call.target.namespace.clone(),
                kind: call.target.kind.clone().unwrap_or_else(|| "unknown".into()),
                name: call.target.name.clone(),
                verb: call.method.clone(),
                audit_verbs,
                from_cronjob: None,
                client: call.tool.clone(),
                user_agent: call.user_agent.clone(),
                context: context.clone(),
                pod: p.container.pod.clone(),
                direct: program == call.tool,
                source: facts.location.to_string(),
            });
        }
    }

    fn push_intent(&mut self, intent: BatchIntent) {
        if self.intents.len() >= self.config.max_intents.max(1) {
            self.intents.pop_front();
        }
        self.intents.push_back(intent);
    }
}

fn recon_key(p: &ProcessEvent) -> Option<(String, String)> {
    let host = p.host.clone().or_else(|| p.container.pod.clone())?;
    let user = p
        .user
        .clone()
        .or_else(|| p.uid.map(|u| u.to_string()))
        .unwrap_or_default();
    Some((host, user))
}

/// The batch intent of one kubectl invocation (host, user, time and source filled by the caller).
fn kubectl_intent(inv: &KubectlInvocation) -> Option<BatchIntent> {
    let action = inv.action();
    if !matches!(action, Action::Write | Action::Delete)
        || inv.dry_run == Some(kubectl::DryRun::Server)
    {
        return None;
    }
    let kind = match inv.batch_kind() {
        Some(k) => k.to_string(),
        None if inv.writes_manifests() => "unknown".to_string(),
        None => return None,
    };
    let audit_verbs = match inv.verb.as_str() {
        "create" | "run" => vec!["create"],
        "apply" if inv.subcommand.is_some() => vec!["patch"],
        "apply" => vec!["create", "patch"],
        "replace" => vec!["update", "create"],
        "delete" => vec!["delete", "deletecollection"],
        "edit" | "set" | "label" | "annotate" | "scale" | "rollout" => vec!["patch"],
        _ => vec!["patch", "update"],
    };
    Some(BatchIntent {
        time: String::new(),
        host: None,
        user: None,
        namespace: inv.namespace.clone(),
        kind,
        name: inv.batch_name().map(str::to_string),
        verb: inv.verb.clone(),
        audit_verbs,
        from_cronjob: inv
            .from
            .as_ref()
            .filter(|f| f.kind == "CronJob")
            .and_then(|f| f.name.clone()),
        client: inv.program.clone(),
        user_agent: None,
        context: String::new(),
        pod: None,
        direct: false,
        source: String::new(),
    })
}

fn record_detail(facts: &Facts<'_>) -> (EvidenceKind, BTreeMap<String, Value>, Actor) {
    let mut d = BTreeMap::new();
    let mut actor = Actor::default();
    let mut put = |k: &str, v: Value| {
        if !v.is_null() {
            d.insert(k.to_string(), v);
        }
    };
    let opt = |s: &Option<String>| s.clone().map(Value::from).unwrap_or(Value::Null);
    let container = |c: &crate::event::ContainerContext| {
        if c.is_known() || c.image.is_some() {
            serde_json::to_value(c).unwrap_or(Value::Null)
        } else {
            Value::Null
        }
    };
    let kind = match facts.record {
        HostRecord::Process(p) => {
            put("command_line", p.command_line.clone().into());
            put("argv", p.argv.clone().into());
            put("exe", opt(&p.exe));
            put("user", opt(&p.user));
            put("uid", p.uid.map(Value::from).unwrap_or(Value::Null));
            put("pid", p.pid.map(Value::from).unwrap_or(Value::Null));
            put("ppid", p.ppid.map(Value::from).unwrap_or(Value::Null));
            put("cwd", opt(&p.cwd));
            put("parent_exe", opt(&p.parent_exe));
            put("parent_command_line", opt(&p.parent_command_line));
            put("container", container(&p.container));
            if let Some(c) = &facts.context {
                put("context", serde_json::to_value(c).unwrap_or(Value::Null));
            }
            if !facts.kubectl.is_empty() {
                put(
                    "kubectl",
                    serde_json::to_value(&facts.kubectl).unwrap_or(Value::Null),
                );
            }
            if !facts.raw_api.is_empty() {
                put(
                    "raw_api",
                    serde_json::to_value(&facts.raw_api).unwrap_or(Value::Null),
                );
            }
            actor.username = p
                .user
                .clone()
                .or_else(|| p.uid.map(|u| u.to_string()))
                .unwrap_or_default();
            actor.host = p.host.clone();
            EvidenceKind::Process
        }
        HostRecord::File(f) => {
            put("path", f.path.clone().into());
            put("operation", opt(&f.operation));
            put("exe", opt(&f.exe));
            put("command_line", opt(&f.command_line));
            put("pid", f.pid.map(Value::from).unwrap_or(Value::Null));
            put("container", container(&f.container));
            actor.username = f.user.clone().unwrap_or_default();
            actor.host = f.host.clone();
            EvidenceKind::File
        }
        HostRecord::Container(c) => {
            put(
                "container",
                serde_json::to_value(&c.container).unwrap_or(Value::Null),
            );
            put("command_line", opt(&c.command_line));
            actor.host = c.host.clone();
            EvidenceKind::Container
        }
        HostRecord::Proxy(p) => {
            put("method", p.method.clone().into());
            put("path", p.path.clone().into());
            put("status", p.status.into());
            put("authority", opt(&p.authority));
            put("user_agent", opt(&p.user_agent));
            put("upstream", opt(&p.upstream));
            put("upstream_cluster", opt(&p.upstream_cluster));
            put("downstream", opt(&p.downstream));
            put("forwarded_for", opt(&p.forwarded_for));
            put("request_id", opt(&p.request_id));
            put("pod", container(&p.pod));
            put("log_path", opt(&p.log_path));
            actor.user_agent = p.user_agent.clone();
            actor.source_ips = p
                .downstream
                .iter()
                .map(|a| strip_port(a))
                .chain(
                    p.forwarded_for
                        .iter()
                        .flat_map(|x| x.split(',').map(|s| s.trim().to_string())),
                )
                .filter(|s| !s.is_empty())
                .collect();
            EvidenceKind::Proxy
        }
    };
    (kind, d, actor)
}

/// An address without its port (`10.0.0.5:443` → `10.0.0.5`, `[fd00::1]:443` → `fd00::1`).
pub fn strip_port(addr: &str) -> String {
    match addr.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) && !host.is_empty() => host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_string(),
        _ => addr.to_string(),
    }
}

fn build_alert(rule: &dyn Rule, hit: Hit, facts: &Facts<'_>, config: &HostConfig) -> Alert {
    let meta = rule.meta();
    let severity = config
        .severity_override(meta.id, meta.slug)
        .unwrap_or(hit.severity);
    let (kind, mut detail, actor) = record_detail(facts);
    for (k, v) in hit.detail {
        detail.insert(k.to_string(), v);
    }
    let evidence = vec![Evidence {
        source: facts.location.to_string(),
        kind,
        audit_id: None,
        detail,
    }];
    let mut provenance = Vec::new();
    if let Some(ctx) = &facts.context {
        let host = facts.record.host().unwrap_or("unknown host");
        provenance.push(format!("process on {host} ({})", ctx.label()));
    }
    Alert {
        schema: ALERT_SCHEMA.to_string(),
        id: Alert::stable_id(meta.id, &evidence),
        rule: RuleRef {
            id: meta.id.to_string(),
            title: meta.title.to_string(),
            origin: "builtin".to_string(),
            attack: meta.attack.iter().map(|s| s.to_string()).collect(),
        },
        severity,
        time: facts
            .record
            .time()
            .map(|t| t.to_string())
            .unwrap_or_default(),
        summary: hit.summary,
        subject: hit.subject,
        actor,
        evidence,
        provenance,
        remediation: hit.remediation,
    }
}

/// Context raise shared by the kubectl rules: who and where.
pub(crate) fn identity_steps(facts: &Facts<'_>, config: &HostConfig) -> usize {
    let HostRecord::Process(p) = facts.record else {
        return 0;
    };
    let on_host = matches!(facts.context, Some(ExecContext::Host));
    let mut steps = 0;
    if on_host && !config.admins.is_empty() {
        let user = p
            .user
            .clone()
            .or_else(|| p.uid.map(|u| u.to_string()))
            .unwrap_or_default();
        if !matches_any(&config.admins, &user) {
            steps += 1;
        }
    }
    if on_host && !config.admin_hosts.is_empty() {
        let host = p.host.clone().unwrap_or_default();
        if !matches_any(&config.admin_hosts, &host) {
            steps += 1;
        }
    }
    steps.min(1)
}
