//! Command-line arguments. Every option is documented here; `--help` is generated from it.

use crate::exit::EXIT_CODES_HELP;
use clap::{Args, Parser, Subcommand, ValueEnum};
use jobwarden_model::Severity;
use std::path::PathBuf;

/// Detect and prevent abuse of Kubernetes CronJobs and Jobs (MITRE ATT&CK T1053.007).
#[derive(Debug, Parser)]
#[command(name = "jobwarden", version, about, long_about = None, after_help = EXIT_CODES_HELP)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Hunt for CronJob/Job abuse in Kubernetes audit logs (files, directories, gzip, stdin).
    #[command(after_help = EXIT_CODES_HELP)]
    Hunt(HuntArgs),
    /// Judge manifests (YAML, JSON, Helm/Kustomize output) before they reach a cluster: Pod
    /// Security Standards, risky job templates, CronJob heuristics. CI-ready (SARIF).
    #[command(after_help = EXIT_CODES_HELP)]
    Scan(ScanArgs),
    /// Who can do VERB on RESOURCE, from RBAC manifests (static, no cluster needed); with
    /// --schedule-code, everyone who can get code run through jobs or cronjobs, directly or by
    /// escalation.
    #[command(name = "who-can", after_help = EXIT_CODES_HELP)]
    WhoCan(WhoCanArgs),
    /// Run in the cluster: the admission webhook (/validate) that blocks malicious jobs, the
    /// audit webhook backend (/audit) that detects live with a durable spool, /metrics,
    /// /healthz and /readyz — HTTPS only. See deploy/ for the manifests.
    #[command(
        after_help = "Without --config, `jobwarden serve --listen ADDR --tls-cert FILE --tls-key FILE` runs the default policy in enforce mode (and warns that no client authentication is configured)."
    )]
    Serve(ServeArgs),
    /// The baseline of normal batch activity: learn it from history, show, forget, export.
    #[command(subcommand)]
    Baseline(BaselineCommand),
    /// List the built-in detection rules, or explain one.
    Rules(RulesArgs),
}

/// `jobwarden baseline ...`.
#[derive(Debug, Subcommand)]
pub enum BaselineCommand {
    /// Learn from audit logs (history is normal by definition; nothing is judged).
    Learn {
        /// Audit logs (files, directories, gzip, `-`).
        #[arg(required = true, value_name = "PATH")]
        inputs: Vec<String>,
        #[command(flatten)]
        state: BaselineState,
    },
    /// Show what is normal, per namespace.
    Show {
        /// Only this namespace (`*` for the cluster-wide aggregate).
        #[arg(short = 'n', long)]
        namespace: Option<String>,
        /// Only this cluster.
        #[arg(long)]
        cluster: Option<String>,
        /// Print JSON (`jobwarden.baseline/v1`) instead of text.
        #[arg(long)]
        json: bool,
        /// Rows shown per table.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        #[command(flatten)]
        state: BaselineState,
    },
    /// Forget an identity, a namespace, or everything.
    Forget {
        /// Forget this username everywhere.
        #[arg(long, conflicts_with_all = ["namespace", "all"])]
        identity: Option<String>,
        /// Forget this namespace.
        #[arg(short = 'n', long, conflicts_with = "all")]
        namespace: Option<String>,
        /// Forget everything.
        #[arg(long)]
        all: bool,
        /// Only in this cluster.
        #[arg(long)]
        cluster: Option<String>,
        #[command(flatten)]
        state: BaselineState,
    },
    /// Export the whole baseline as JSON (`jobwarden.baseline/v1`).
    Export {
        #[command(flatten)]
        state: BaselineState,
    },
}

/// Where the baseline lives.
#[derive(Debug, Args)]
pub struct BaselineState {
    /// The state file (default: the config's `baseline.path`, else
    /// $XDG_STATE_HOME/jobwarden/baseline.redb).
    #[arg(long, value_name = "PATH")]
    pub state: Option<PathBuf>,
    /// Config file (its `baseline:` section: learning window, thresholds, path).
    #[arg(long, short = 'c', value_name = "FILE", env = "JOBWARDEN_CONFIG")]
    pub config: Option<PathBuf>,
}

/// Admission modes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AdmissionModeArg {
    /// Deny bad objects, naming each failed check and field.
    Enforce,
    /// Allow them with warnings (kubectl prints them).
    Warn,
    /// Allow them and record the findings as audit annotations.
    Audit,
}

/// When the audit spool is flushed to disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FsyncArg {
    /// fsync every batch before answering 200 (survives power loss).
    Always,
    /// fsync on a timer (a kill -9 loses nothing; power loss may lose one interval).
    Interval,
    /// Leave it to the kernel.
    Never,
}

/// `jobwarden serve`. Flags override the config file.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// The serve config (YAML): listen address, TLS, client authentication, admission policy,
    /// audit spool, sinks. See deploy/configmap.yaml.
    #[arg(long, short = 'c', value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Address to listen on (default 0.0.0.0:8443).
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<std::net::SocketAddr>,
    /// PEM certificate chain (reloaded when the file changes).
    #[arg(long, value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key (reloaded when the file changes).
    #[arg(long, value_name = "FILE")]
    pub tls_key: Option<PathBuf>,
    /// PEM CA bundle: clients presenting a certificate it signed are authenticated (the
    /// apiserver presents one per its webhook kubeconfig).
    #[arg(long, value_name = "FILE")]
    pub client_ca: Option<PathBuf>,
    /// A file holding a bearer token clients may present instead of a certificate.
    #[arg(long, value_name = "FILE")]
    pub token_file: Option<PathBuf>,
    /// The detection and policy config (the same jobwarden.yaml as hunt and scan).
    #[arg(long, value_name = "FILE")]
    pub detect_config: Option<PathBuf>,
    /// Directory of the durable audit spool (default ./jobwarden-spool).
    #[arg(long, value_name = "DIR")]
    pub spool_dir: Option<PathBuf>,
    /// When the spool is flushed to disk before a batch is acknowledged.
    #[arg(long, value_enum)]
    pub fsync: Option<FsyncArg>,
    /// Admission mode.
    #[arg(long, value_enum)]
    pub mode: Option<AdmissionModeArg>,
    /// Pod Security Standards level enforced on templates (`baseline`, `restricted`, or
    /// `privileged` to turn PSS off).
    #[arg(long, value_name = "LEVEL")]
    pub pss: Option<String>,
    /// Pod Security Standards version (`latest`, `v1.29`, ...).
    #[arg(long, value_name = "VERSION")]
    pub pss_version: Option<String>,
    /// Write alerts as JSON lines to standard output.
    #[arg(long)]
    pub alerts_stdout: bool,
    /// Write alerts as JSON lines to this (rotating) file.
    #[arg(long, value_name = "FILE")]
    pub alerts_file: Option<PathBuf>,
    /// POST alerts as JSON to this URL (retries with backoff).
    #[arg(long, value_name = "URL")]
    pub alerts_webhook: Option<String>,
}

/// Output format of access answers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AccessFormat {
    /// One line per subject, scope and path, with the chain (for people).
    Table,
    /// One `jobwarden.access/v1` JSON object per line.
    Jsonl,
    /// A Graphviz graph: subject -> binding -> role -> permission.
    Dot,
}

/// `jobwarden who-can`.
#[derive(Debug, Args)]
pub struct WhoCanArgs {
    /// The verb (`create`, `patch`, `*`, `impersonate`, ...). Not used with --schedule-code.
    #[arg(value_name = "VERB", required_unless_present = "schedule_code")]
    pub verb: Option<String>,

    /// The resource: `cronjobs`, `cronjobs.batch`, `cj`, `jobs.batch/status`, `*/scale`, or a
    /// non-resource URL such as `/metrics`.
    #[arg(value_name = "RESOURCE", required_unless_present = "schedule_code")]
    pub resource: Option<String>,

    /// RBAC manifests: Role, ClusterRole, RoleBinding, ClusterRoleBinding, ServiceAccount,
    /// Namespace (and Pods or workloads, for exec and pod-with-serviceaccount paths); files,
    /// directories or `-`.
    #[arg(short = 'f', long = "filename", value_name = "PATH", required = true)]
    pub inputs: Vec<String>,

    /// The namespace of the request (default: cluster-wide, i.e. every namespace).
    #[arg(short = 'n', long, value_name = "NS")]
    pub namespace: Option<String>,

    /// The object name of the request (rules limited by resourceNames then count).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,

    /// Answer the technique's question: who can get code run by the orchestrator through jobs
    /// or cronjobs — directly (create/update/patch) or through escalate, bind, impersonate,
    /// token minting, pods running as a capable service account, exec, or tampering with
    /// admission control. Each indirect path lists its hops.
    #[arg(long)]
    pub schedule_code: bool,

    /// Output format.
    #[arg(long, value_enum, default_value_t = AccessFormat::Table)]
    pub format: AccessFormat,

    /// Write the answer to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Exit with code 1 when a subject outside these patterns (`[Kind:]glob`, e.g.
    /// `Group:system:masters`, `ServiceAccount:kube-system/*`; repeatable) is in the answer.
    #[arg(long, value_name = "PATTERN")]
    pub fail_unless: Vec<String>,

    /// Do not print the summary.
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// Output format of findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FindingFormat {
    /// Grouped by object, most severe first (for people).
    Table,
    /// One `jobwarden.finding/v1` JSON object per line.
    Jsonl,
    /// SARIF 2.1.0, for GitHub code scanning and other CI tools.
    Sarif,
}

/// Pod Security Standards levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PssLevelArg {
    /// The baseline level: no known privilege escalations.
    Baseline,
    /// The restricted level: current pod hardening best practice.
    Restricted,
}

/// `jobwarden scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Manifests: files (YAML multi-document, JSON, `List` kinds), directories (read
    /// recursively: *.yaml, *.yml, *.json), or `-` for standard input (e.g. `helm template . |
    /// jobwarden scan -`).
    #[arg(required = true, value_name = "PATH")]
    pub inputs: Vec<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = FindingFormat::Table)]
    pub format: FindingFormat,

    /// Write findings to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Pod Security Standards level applied to every object. Without it, objects in a Namespace
    /// of the input that has a `pod-security.kubernetes.io/enforce` label are judged at that
    /// level, and the others at baseline.
    #[arg(long, value_enum)]
    pub pss: Option<PssLevelArg>,

    /// Pod Security Standards version (`v1.30`, `1.30` or `latest`): the checks as that
    /// Kubernetes release defines them.
    #[arg(long, value_name = "VERSION", default_value = "latest")]
    pub pss_version: String,

    /// Config file (YAML): the `template` and `cronjob` sections tune the checks, as for hunt.
    #[arg(long, short = 'c', value_name = "FILE", env = "JOBWARDEN_CONFIG")]
    pub config: Option<PathBuf>,

    /// Show only findings at or above this severity.
    #[arg(long, value_name = "SEVERITY", default_value = "low", value_parser = parse_severity)]
    pub min_severity: Severity,

    /// Exit with code 1 when a finding at or above this severity is shown.
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub fail_on: Option<Severity>,

    /// When to use colour.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Do not print the summary (errors are still printed).
    #[arg(long, short = 'q')]
    pub quiet: bool,
}

/// Output format of alerts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AlertFormat {
    /// Grouped by subject, most severe first, coloured, with a summary (for people).
    Table,
    /// One `jobwarden.alert/v1` JSON object per line (for machines).
    Jsonl,
}

/// When to colour the output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// When writing to a terminal and NO_COLOR is not set.
    Auto,
    /// Always.
    Always,
    /// Never.
    Never,
}

/// Input formats (`--input-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InputFormatArg {
    /// Detect per file and per record (also recognises Elastic ECS `kubernetes.audit` documents).
    Auto,
    /// audit.k8s.io Event objects, one per line.
    AuditJsonl,
    /// audit.k8s.io EventList objects (the webhook backend's batches).
    EventList,
    /// GKE Cloud Logging entries (protoPayload).
    Gke,
    /// AKS diagnostic records (category kube-audit / kube-audit-admin).
    Aks,
    /// EKS CloudWatch Logs exports (event JSON inside `message`).
    Eks,
}

/// `jobwarden hunt`.
#[derive(Debug, Args)]
pub struct HuntArgs {
    /// Audit logs to read: files (plain or gzip, detected by content), directories (read
    /// recursively), or `-` for standard input.
    #[arg(required = true, value_name = "PATH")]
    pub inputs: Vec<String>,

    /// Output format.
    #[arg(long, value_enum, default_value_t = AlertFormat::Table)]
    pub format: AlertFormat,

    /// Write alerts to this file instead of standard output.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub output: Option<PathBuf>,

    /// Force the input format instead of detecting it per file and record.
    #[arg(long, value_enum, default_value_t = InputFormatArg::Auto)]
    pub input_format: InputFormatArg,

    /// Config file (YAML): trusted automation, monitors, batch admins, trusted registries,
    /// severity overrides, disabled rules, limits. See examples/jobwarden.yaml.
    #[arg(long, short = 'c', value_name = "FILE", env = "JOBWARDEN_CONFIG")]
    pub config: Option<PathBuf>,

    /// Show only alerts at or above this severity (info shows inventory too).
    #[arg(long, value_name = "SEVERITY", default_value = "low", value_parser = parse_severity)]
    pub min_severity: Severity,

    /// Exit with code 1 when an alert at or above this severity is shown.
    #[arg(long, value_name = "SEVERITY", value_parser = parse_severity)]
    pub fail_on: Option<Severity>,

    /// Show only alerts whose event time is at or after this time (RFC 3339, e.g.
    /// 2024-05-01T00:00:00Z, or a date 2024-05-01). Earlier events still build state.
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub since: Option<jiff::Timestamp>,

    /// Show only alerts whose event time is before this time (same forms as --since).
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub until: Option<jiff::Timestamp>,

    /// Decoding threads (default: all cores). The detector itself is one ordered stream.
    #[arg(long, short = 'j', value_name = "N")]
    pub threads: Option<usize>,

    /// Parse every record in full instead of only those the byte prefilter selects (slower;
    /// for checking the prefilter).
    #[arg(long)]
    pub no_prefilter: bool,

    /// Sigma rules to run next to the built-in pack: a rule file, a multi-document collection,
    /// or a directory (repeatable). Kubernetes audit rules (`product: kubernetes, service:
    /// audit`) see the raw audit field names. Invalid rules are reported with file and line and
    /// make the exit code 2; valid ones still run.
    #[arg(long, value_name = "PATH")]
    pub sigma: Vec<PathBuf>,

    /// Judge batch writes against the cluster's baseline of normal activity (creators,
    /// clients, networks, registries, schedules, hours) and keep it current. PATH is the state
    /// file (default: the config's `baseline.path`, else $XDG_STATE_HOME/jobwarden/baseline.redb).
    #[arg(long, value_name = "PATH", num_args = 0..=1, default_missing_value = "")]
    pub baseline: Option<PathBuf>,

    /// With --baseline: judge without learning (a frozen baseline).
    #[arg(long, requires = "baseline")]
    pub baseline_frozen: bool,

    /// Map SigmaHQ's abstract Kubernetes field names (`hostPath`, `capabilities`, `apiGroup`)
    /// onto audit paths, including CronJob and Job pod templates.
    #[arg(long)]
    pub sigma_sigmahq_fields: bool,

    /// When to use colour.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Do not print the summary or the progress bar (errors are still printed).
    #[arg(long, short = 'q')]
    pub quiet: bool,

    /// Print at most this many input errors (all are counted in the summary).
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub max_errors_shown: usize,
}

/// `jobwarden rules`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// `explain ID` prints one rule's documentation.
    #[command(subcommand)]
    pub action: Option<RulesAction>,

    /// Output format of the listing.
    #[arg(long, value_enum, default_value_t = RulesFormat::Table)]
    pub format: RulesFormat,

    /// Also list these Sigma rules (files or directories, repeatable), as `hunt --sigma` loads
    /// them, with how the prefilter treats each: filtered by the literals it requires, never
    /// firing on raw audit JSON, or evaluated on every event (counted).
    #[arg(long, value_name = "PATH")]
    pub sigma: Vec<PathBuf>,

    /// Map SigmaHQ's abstract Kubernetes field names, as `hunt --sigma-sigmahq-fields` does
    /// (for --sigma and `lint`).
    #[arg(long, global = true)]
    pub sigma_sigmahq_fields: bool,

    /// The config file, for its `sigma:` section: rules listed next to --sigma, `expand`
    /// placeholders and field mappings (for --sigma and `lint`).
    #[arg(
        long,
        short = 'c',
        value_name = "FILE",
        env = "JOBWARDEN_CONFIG",
        global = true
    )]
    pub config: Option<PathBuf>,
}

/// `jobwarden rules` actions.
#[derive(Debug, Subcommand)]
pub enum RulesAction {
    /// Print a rule's documentation: what it detects, why it matters, an example, false
    /// positives, response.
    Explain {
        /// Rule id (JW-AUD-0002) or slug (risky-job-template).
        id: String,
    },
    /// Validate Sigma rules without running them: load errors (file, line, construct), rules
    /// that can never fire on audit events, unknown references.
    Lint {
        /// Rule files or directories.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

/// Format of `rules` output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RulesFormat {
    /// For people.
    Table,
    /// JSON.
    Json,
}

fn parse_severity(s: &str) -> Result<Severity, String> {
    s.parse::<Severity>().map_err(|e| e.to_string())
}

fn parse_time(s: &str) -> Result<jiff::Timestamp, String> {
    if let Ok(ts) = s.parse::<jiff::Timestamp>() {
        return Ok(ts);
    }
    if let Ok(date) = s.parse::<jiff::civil::Date>() {
        return date
            .to_zoned(jiff::tz::TimeZone::UTC)
            .map(|z| z.timestamp())
            .map_err(|e| e.to_string());
    }
    Err(format!(
        "invalid time {s:?}: expected RFC 3339 (2024-05-01T10:00:00Z) or a date (2024-05-01)"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn times_parse() {
        assert!(parse_time("2024-05-01T10:00:00Z").is_ok());
        assert!(parse_time("2024-05-01").is_ok());
        assert!(parse_time("yesterday").is_err());
    }
}
